/**
 * The outbound proxy of a self-hosted runner, as runners and @actions/http-client (which Octokit
 * uses) read it: https_proxy for https URLs, http_proxy for http ones (lower case first), no_proxy
 * for hosts reached directly, and loopback always direct.
 */

export interface ProxySettings {
  http?: ProxyUrl
  https?: ProxyUrl
  /** no_proxy entries, lower case: '*', 'host', 'host:port', '.suffix'. */
  noProxy: string[]
}

export interface ProxyUrl {
  url: URL
  /** The variable it came from, for messages. */
  variable: string
}

export const NO_PROXY: ProxySettings = { noProxy: [] }

function proxyVariable(env: NodeJS.ProcessEnv, name: string): ProxyUrl | undefined {
  for (const variable of [name, name.toUpperCase()]) {
    const raw = env[variable]?.trim()
    if (!raw) continue
    let url: URL
    try {
      // A bare host:port is how many set it; http:// is what it means.
      url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`)
    } catch {
      throw new Error(
        `Environment variable ${variable} ('${redacted(raw)}') is not a proxy URL; set it to http://host:port or unset it.`
      )
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new Error(
        `Environment variable ${variable} names a ${url.protocol.slice(0, -1)} proxy; only http:// and https:// proxies are supported.`
      )
    try {
      decodeURIComponent(url.username)
      decodeURIComponent(url.password)
    } catch {
      throw new Error(
        `Environment variable ${variable} ('${redacted(raw)}') has a user or password that is not percent-encoded; write % as %25, @ as %40, / as %2F and : as %3A.`
      )
    }
    return { url, variable }
  }
  return undefined
}

/** The proxy URL with any credentials blanked, for a message: everything before the last '@'. */
function redacted(raw: string): string {
  const at = raw.lastIndexOf('@')
  if (at < 0) return raw
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(raw)?.[0] ?? ''
  return `${scheme}***${raw.slice(at)}`
}

/** Proxy-Authorization for a proxy URL's user and password (either may be empty), if it has any. */
export function proxyToken(url: URL): string | undefined {
  if (url.username === '' && url.password === '') return undefined
  const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
  return `Basic ${Buffer.from(credentials).toString('base64')}`
}

export function proxySettingsFrom(env: NodeJS.ProcessEnv): ProxySettings {
  // Split on commas only, as @actions/http-client (Octokit's) does, so both read it alike.
  const noProxy = (env.no_proxy || env.NO_PROXY || '')
    .split(',')
    .map(entry => entry.trim().toLowerCase())
    .filter(Boolean)
  const settings: ProxySettings = { noProxy }
  const http = proxyVariable(env, 'http_proxy')
  const https = proxyVariable(env, 'https_proxy')
  if (http) settings.http = http
  if (https) settings.https = https
  return settings
}

/** Loopback hosts (URL.hostname, lower case), which are reached directly and never leave the machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost') || /^127\./.test(host) || host === '[::1]'
}

/** The proxy to reach `target` through, or undefined to go direct. */
export function proxyFor(settings: ProxySettings, target: URL): ProxyUrl | undefined {
  const proxy =
    target.protocol === 'https:' ? settings.https : target.protocol === 'http:' ? settings.http : undefined
  if (!proxy) return undefined
  const host = target.hostname.toLowerCase()
  if (isLoopback(host)) return undefined
  const port = target.port || (target.protocol === 'https:' ? '443' : '80')
  for (const entry of settings.noProxy) {
    if (entry === '*') return undefined
    // An IPv6 address has colons of its own: only the bracketed form ([::1]:8080) carries a port.
    const ipv6 = !entry.startsWith('[') && (entry.match(/:/g)?.length ?? 0) > 1
    const withPort = ipv6 ? null : /^(.*):(\d+)$/.exec(entry)
    if (withPort && withPort[2] !== port) continue
    let name = (withPort ? withPort[1] : entry).replace(/^\*?\./, '')
    if (ipv6) name = `[${name}]`
    if (host === name || host.endsWith(`.${name}`)) return undefined
  }
  return proxy
}

/** How a proxy is named in the log and messages: its origin, never its credentials. */
export function describeProxy(proxy: ProxyUrl): string {
  return `${proxy.url.origin} (${proxy.variable})`
}
