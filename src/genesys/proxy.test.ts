import { proxyFor, proxySettingsFrom } from './proxy.js'

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

  test('no_proxy is split on commas and spaces, lower-cased', () => {
    expect(proxySettingsFrom({ NO_PROXY: 'Example.com, .corp  10.0.0.1:8443,' }).noProxy).toEqual([
      'example.com',
      '.corp',
      '10.0.0.1:8443'
    ])
  })

  test('a value that is not an http(s) URL is refused, naming the variable and hiding a password', () => {
    expect(() => proxySettingsFrom({ http_proxy: 'http://u:secret@[bad' })).toThrow(
      "Environment variable http_proxy ('http://u:***@[bad') is not a proxy URL"
    )
    expect(() => proxySettingsFrom({ HTTPS_PROXY: 'socks5://proxy:1080' })).toThrow(/names a socks5 proxy/)
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
