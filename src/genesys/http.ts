import { Agent, ProxyAgent, type Dispatcher } from 'undici'
import type { IncomingHttpHeaders } from 'node:http'
import { describeProxy, NO_PROXY, proxyFor, proxyToken, type ProxySettings } from './proxy.js'

/** One HTTP exchange: the request as sent, the response read in full. */
export interface HttpRequest {
  method: 'GET' | 'POST'
  url: URL
  headers: Record<string, string>
  body?: string | Buffer
}

export interface HttpResponse {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

/** Why an exchange produced no response, in the terms the retry policy needs. */
export type TransportFailureKind = 'timeout' | 'reset' | 'refused' | 'dns' | 'tls' | 'proxy' | 'other'

export class TransportError extends Error {
  /** The proxy the exchange went through (describeProxy), if any. */
  proxy?: string
  /** kind 'proxy': the status the proxy answered the tunnel request with. */
  proxyStatus?: number

  constructor(
    readonly kind: TransportFailureKind,
    readonly code: string | undefined,
    message: string,
    options?: { cause?: unknown }
  ) {
    super(message, options)
    this.name = 'TransportError'
  }

  /** Worth another try: the server or the path to it may recover. */
  get retryable(): boolean {
    return (
      this.kind === 'timeout' ||
      this.kind === 'reset' ||
      this.kind === 'refused' ||
      this.code === 'EAI_AGAIN' ||
      (this.kind === 'proxy' && (this.proxyStatus ?? 0) >= 500)
    )
  }
}

/**
 * What to check when an exchange through a proxy failed (lower case, ends with a full stop), or
 * undefined when no proxy was in the way or the failure says nothing about it (a timeout).
 */
export function proxyHint(err: TransportError, where: string): string | undefined {
  if (err.proxy === undefined) return undefined
  if (err.proxyStatus === 407)
    return `the proxy ${err.proxy} wants credentials: give them in its URL (http://user:password@host:port), from a secret.`
  if (err.kind === 'timeout') return undefined
  return `the request went through the proxy ${err.proxy}; check that it is up and lets the runner reach ${where}, or list ${where} in no_proxy.`
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT'
])
const RESET_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'HPE_INVALID_CHUNK_SIZE',
  'HPE_INVALID_CONSTANT',
  'HPE_UNEXPECTED_CONTENT_LENGTH'
])

function errorCode(err: unknown): string | undefined {
  // undici wraps socket errors; the useful code may sit on the cause.
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string') return code
    e = (e as { cause?: unknown }).cause
  }
  return undefined
}

/** Sorts a low-level failure into a TransportError (the message carries no URL). */
export function classifyTransportError(err: unknown, timedOut: boolean, timeoutMs: number): TransportError {
  const code = errorCode(err)
  // undici's words when a proxy refuses the CONNECT that opens the tunnel.
  const tunnel = /Proxy response \((\d+)\)/.exec(err instanceof Error ? err.message : '')
  if (tunnel) {
    const failure = new TransportError(
      'proxy',
      code,
      `the proxy answered ${tunnel[1]} to the tunnel request`,
      {
        cause: err
      }
    )
    failure.proxyStatus = Number(tunnel[1])
    return failure
  }
  if (timedOut || (code && TIMEOUT_CODES.has(code))) {
    return new TransportError(
      'timeout',
      code,
      `no complete answer within ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`}`,
      {
        cause: err
      }
    )
  }
  if (code === 'ECONNREFUSED')
    return new TransportError('refused', code, 'connection refused', { cause: err })
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new TransportError('dns', code, 'host name not found', { cause: err })
  }
  if (code && (code.startsWith('ERR_TLS') || code.includes('CERT'))) {
    return new TransportError('tls', code, `TLS failure (${code})`, { cause: err })
  }
  if ((code && RESET_CODES.has(code)) || code?.startsWith('HPE_')) {
    return new TransportError('reset', code, `connection broken (${code})`, { cause: err })
  }
  const message = err instanceof Error ? err.message : String(err)
  return new TransportError(
    'other',
    code,
    `request failed (${code ?? message.split('\n')[0].slice(0, 120)})`,
    {
      cause: err
    }
  )
}

export interface HttpTransportOptions {
  /** Connections per origin. */
  connections: number
  /** Whole exchange (connect, headers and body). */
  timeoutMs: number
  /** The runner's proxy (proxySettingsFrom); none when absent. */
  proxy?: ProxySettings
}

/**
 * undici underneath: one Agent (a keep-alive pool per origin) with explicit connect, headers and
 * body timeouts, plus a deadline on the whole exchange. The deadline uses real time on purpose: it
 * bounds real I/O, which a virtual test clock cannot stand in for.
 */
export class HttpTransport {
  private readonly agentOptions: Agent.Options
  private readonly agent: Agent
  /** One tunnelling agent per proxy, made when first needed. */
  private readonly proxyAgents = new Map<string, ProxyAgent>()

  constructor(private readonly options: HttpTransportOptions) {
    this.agentOptions = {
      connections: Math.max(1, options.connections),
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 120_000,
      connect: { timeout: Math.min(options.timeoutMs, 30_000) },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs
    }
    this.agent = new Agent(this.agentOptions)
  }

  /** The proxy a request to `url` goes through, or undefined when it goes direct. */
  proxyFor(url: URL): string | undefined {
    const proxy = proxyFor(this.options.proxy ?? NO_PROXY, url)
    return proxy && describeProxy(proxy)
  }

  private dispatcherFor(url: URL): { dispatcher: Dispatcher; proxy?: string } {
    const proxy = proxyFor(this.options.proxy ?? NO_PROXY, url)
    if (!proxy) return { dispatcher: this.agent }
    let agent = this.proxyAgents.get(proxy.url.href)
    if (!agent) {
      // ProxyAgent replaces `connect` with its tunnel: the timeouts go to both TLS legs instead. The
      // URL's credentials become Proxy-Authorization (a user alone too, which undici would drop).
      const timeout = Math.min(this.options.timeoutMs, 30_000)
      const token = proxyToken(proxy.url)
      agent = new ProxyAgent({
        ...this.agentOptions,
        uri: proxy.url.origin,
        proxyTls: { timeout },
        requestTls: { timeout },
        ...(token !== undefined ? { token } : {})
      })
      this.proxyAgents.set(proxy.url.href, agent)
    }
    return { dispatcher: agent, proxy: describeProxy(proxy) }
  }

  async send(request: HttpRequest): Promise<HttpResponse> {
    const { dispatcher, proxy } = this.dispatcherFor(request.url)
    const controller = new AbortController()
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      controller.abort()
    }, this.options.timeoutMs)
    try {
      const response = await dispatcher.request({
        origin: request.url.origin,
        path: `${request.url.pathname}${request.url.search}`,
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: controller.signal
      })
      const body = Buffer.from(await response.body.arrayBuffer())
      return { status: response.statusCode, headers: response.headers, body }
    } catch (err) {
      const failure = classifyTransportError(err, timedOut, this.options.timeoutMs)
      if (proxy !== undefined) failure.proxy = proxy
      throw failure
    } finally {
      clearTimeout(timer)
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.agent.close(), ...[...this.proxyAgents.values()].map(a => a.close())])
  }
}

/** First value of a response header, lower-case name. */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()]
  return Array.isArray(value) ? value[0] : value
}
