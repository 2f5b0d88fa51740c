import { InputError } from '../common/errors.js'
import { REGION_DOMAINS, regionDomain, resolveHosts } from './regions.js'

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
})
