import { proxyFor, proxySettingsFrom, proxyToken } from './proxy.js'

const at = (url: string) => new URL(url)

describe('proxySettingsFrom', () => {
  test('reads lower case before upper case, and a bare host:port as http://', () => {
    const s = proxySettingsFrom({
      https_proxy: 'proxy.corp:3128',
      HTTPS_PROXY: 'http://other:1',
      HTTP_PROXY: 'http://up:8080'
    })
    expect(s.https?.url.href).toBe('http://proxy.corp:3128/')
    expect(s.https?.variable).toBe('https_proxy')
    expect(s.http?.variable).toBe('HTTP_PROXY')
    expect(s.noProxy).toEqual([])
  })

  test('no_proxy is split on commas (as @actions/http-client does), trimmed, lower-cased', () => {
    expect(proxySettingsFrom({ NO_PROXY: 'Example.com, .corp ,10.0.0.1:8443,' }).noProxy).toEqual([
      'example.com',
      '.corp',
      '10.0.0.1:8443'
    ])
    expect(proxySettingsFrom({ no_proxy: '', NO_PROXY: 'upper.example' }).noProxy).toEqual(['upper.example'])
  })

  test('a value that is not an http(s) URL is refused, naming the variable and hiding the credentials', () => {
    expect(() => proxySettingsFrom({ http_proxy: 'http://u:secret@[bad' })).toThrow(
      "Environment variable http_proxy ('http://***@[bad') is not a proxy URL"
    )
    // A '/' in the password ends the host part early: the URL is refused, the password not shown.
    let message = ''
    try {
      proxySettingsFrom({ https_proxy: 'http://runner:pa/ss@proxy:3128' })
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toContain("('http://***@proxy:3128') is not a proxy URL")
    expect(message).not.toContain('pa/ss')
    expect(() => proxySettingsFrom({ HTTPS_PROXY: 'socks5://proxy:1080' })).toThrow(/names a socks5 proxy/)
  })

  test('a password with a bare % is refused with how to encode it, not a URI error', () => {
    expect(() => proxySettingsFrom({ https_proxy: 'http://runner:50%off@proxy:3128' })).toThrow(
      "Environment variable https_proxy ('http://***@proxy:3128') has a user or password that is not percent-encoded"
    )
  })

  test('credentials become one Proxy-Authorization value, a user alone too', () => {
    const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`
    expect(proxyToken(new URL('http://runner:p%40ss@proxy:3128'))).toBe(basic('runner:p@ss'))
    expect(proxyToken(new URL('http://token@proxy:3128'))).toBe(basic('token:'))
    expect(proxyToken(new URL('http://proxy:3128'))).toBeUndefined()
  })
})

describe('proxyFor', () => {
  const settings = proxySettingsFrom({
    https_proxy: 'http://secure-proxy:3128',
    http_proxy: 'http://plain-proxy:3128',
    no_proxy: 'internal.example,.corp,api.example.net:8443'
  })

  test('each scheme uses its own variable; https is not sent to http_proxy', () => {
    expect(proxyFor(settings, at('https://api.mypurecloud.com/api/v2'))?.variable).toBe('https_proxy')
    expect(proxyFor(settings, at('http://gateway.example/api'))?.variable).toBe('http_proxy')
    expect(
      proxyFor(proxySettingsFrom({ http_proxy: 'http://p:1' }), at('https://api.mypurecloud.com'))
    ).toBeUndefined()
  })

  test('no_proxy: a host, its subdomains, a suffix, and host:port only on that port', () => {
    expect(proxyFor(settings, at('https://internal.example/'))).toBeUndefined()
    expect(proxyFor(settings, at('https://a.internal.example/'))).toBeUndefined()
    expect(proxyFor(settings, at('https://notinternal.example/'))).toBeDefined()
    expect(proxyFor(settings, at('https://x.corp/'))).toBeUndefined()
    expect(proxyFor(settings, at('https://api.example.net:8443/'))).toBeUndefined()
    expect(proxyFor(settings, at('https://api.example.net/'))).toBeDefined()
    expect(
      proxyFor(proxySettingsFrom({ https_proxy: 'http://p:1', no_proxy: '*' }), at('https://a.b/'))
    ).toBeUndefined()
  })

  test('no_proxy IPv6 entries, bare or bracketed with a port', () => {
    const v6 = proxySettingsFrom({ https_proxy: 'http://p:1', no_proxy: 'fd00::1,[fd00::2]:8443' })
    expect(proxyFor(v6, at('https://[fd00::1]/'))).toBeUndefined()
    expect(proxyFor(v6, at('https://[fd00::2]:8443/'))).toBeUndefined()
    expect(proxyFor(v6, at('https://[fd00::2]/'))).toBeDefined()
    expect(proxyFor(v6, at('https://[fd00::3]/'))).toBeDefined()
  })

  test('loopback is always direct', () => {
    for (const url of [
      'http://127.0.0.1:8080/',
      'http://localhost:1/',
      'http://[::1]:9/',
      'http://a.localhost/'
    ])
      expect(proxyFor(settings, at(url))).toBeUndefined()
  })
})
