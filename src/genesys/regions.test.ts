import { InputError } from '../common/errors.js'
import { cleartextWarnings, REGION_DOMAINS, regionDomain, resolveHosts } from './regions.js'

describe('resolveHosts', () => {
  it('maps every region name and domain to api. and login. hosts', () => {
    for (const [region, domain] of Object.entries(REGION_DOMAINS)) {
      const expected = { apiUrl: `https://api.${domain}`, loginUrl: `https://login.${domain}` }
      expect(resolveHosts({ region, apiUrl: '', loginUrl: '' })).toEqual(expected)
      expect(resolveHosts({ region: domain, apiUrl: '', loginUrl: '' })).toEqual(expected)
    }
    expect(resolveHosts({ region: '', apiUrl: '', loginUrl: '' }).apiUrl).toBe('https://api.mypurecloud.com')
    expect(resolveHosts({ region: 'https://api.usw2.pure.cloud/', apiUrl: '', loginUrl: '' }).loginUrl).toBe(
      'https://login.usw2.pure.cloud'
    )
  })

  it("takes the org's URL or host for every region domain", () => {
    for (const domain of Object.values(REGION_DOMAINS)) {
      for (const value of [
        `https://apps.${domain}`,
        `https://apps.${domain}/`,
        `apps.${domain}`,
        `https://login.${domain}/x`
      ]) {
        expect(regionDomain(value)).toBe(domain)
      }
    }
    expect(regionDomain('https://apps.example.com')).toBeUndefined()
    expect(regionDomain('toString')).toBeUndefined()
    expect(regionDomain('constructor')).toBeUndefined()
  })

  it('lets api-url serve login too unless login-url is given', () => {
    expect(resolveHosts({ region: 'nowhere', apiUrl: 'http://127.0.0.1:8080/', loginUrl: '' })).toEqual({
      apiUrl: 'http://127.0.0.1:8080',
      loginUrl: 'http://127.0.0.1:8080'
    })
    expect(
      resolveHosts({ region: 'eu-west-1', apiUrl: 'http://127.0.0.1:1', loginUrl: 'http://127.0.0.1:2' })
    ).toEqual({
      apiUrl: 'http://127.0.0.1:1',
      loginUrl: 'http://127.0.0.1:2'
    })
  })

  it('rejects unknown regions and URLs with credentials, queries or other schemes', () => {
    expect(() => resolveHosts({ region: 'mars-1', apiUrl: '', loginUrl: '' })).toThrow(InputError)
    expect(() => resolveHosts({ region: '', apiUrl: 'https://u:p@h', loginUrl: '' })).toThrow(/credentials/)
    expect(() => resolveHosts({ region: '', apiUrl: 'https://h/?x=1', loginUrl: '' })).toThrow(/query/)
    expect(() => resolveHosts({ region: '', apiUrl: 'ftp://h', loginUrl: '' })).toThrow(/https/)
  })

  it('repeats neither credentials nor a query in a refusal', () => {
    const refusal = (apiUrl: string) => {
      try {
        resolveHosts({ region: '', apiUrl, loginUrl: '' })
      } catch (error) {
        return (error as Error).message
      }
      throw new Error('not refused')
    }
    expect(refusal('ftp://user:pw@host/x')).toBe(
      "Input 'api-url': must not carry credentials; use client-id and client-secret."
    )
    expect(refusal('https://host/v1?token=abc#frag')).toBe(
      "Input 'api-url': 'https://host/v1' must not have a query or fragment."
    )
    expect(refusal('host name?token=abc')).toBe(
      "Input 'api-url': 'host name' is not a URL; give one such as https://api.mypurecloud.com."
    )
    expect(refusal('tok:en@ host')).toBe(
      "Input 'api-url': '…@ host' must use https (or http for a local test server)."
    )
    expect(refusal('ftp://host/x')).toBe(
      "Input 'api-url': 'ftp://host/x' must use https (or http for a local test server)."
    )
  })
})

describe('cleartextWarnings', () => {
  const hosts = (apiUrl: string, loginUrl = apiUrl) => resolveHosts({ region: '', apiUrl, loginUrl })

  it('warns once per plain-http origin off this machine', () => {
    expect(cleartextWarnings(hosts('http://proxy.corp.example:8080'))).toEqual([
      'http://proxy.corp.example:8080 is plain http: the client secret and access tokens sent to it cross the network unencrypted. Use https in api-url and login-url unless that host is on a network you trust.'
    ])
    expect(cleartextWarnings(hosts('https://api.example', 'http://10.0.0.5'))).toHaveLength(1)
    expect(cleartextWarnings(hosts('http://10.0.0.6', 'http://10.0.0.5'))).toHaveLength(2)
  })

  it('says nothing for https, loopback or the region defaults', () => {
    expect(cleartextWarnings(hosts('https://api.example'))).toEqual([])
    for (const local of [
      'http://127.0.0.1:8080',
      'http://localhost:1',
      'http://[::1]:2',
      'http://sim.localhost'
    ])
      expect(cleartextWarnings(hosts(local))).toEqual([])
    expect(cleartextWarnings(resolveHosts({ region: 'eu-west-1', apiUrl: '', loginUrl: '' }))).toEqual([])
  })
})
