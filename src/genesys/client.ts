import { systemClock, type Clock } from '../common/clock.js'
import { silentLog, type Log } from '../common/log.js'
import type { Inputs } from '../inputs.js'
import { LOGIN_ENDPOINT, TokenSource } from './auth.js'
import { ConcurrencyLimit, RequestBudget } from './budget.js'
import {
  GenesysApiError,
  Scrubber,
  bodyExcerpt,
  hintForStatus,
  parseErrorBody,
  type GenesysErrorBody
} from './errors.js'
import {
  HttpTransport,
  TransportError,
  headerValue,
  proxyHint,
  type HttpRequest,
  type HttpResponse
} from './http.js'
import { IncompleteListingError, readAllPages, type EntityListing } from './paging.js'
import type { ProxySettings } from './proxy.js'
import { backoffMs, isRetryableStatus, retryAfterMs } from './retry-policy.js'

export { GenesysApiError } from './errors.js'

export interface GenesysClientOptions {
  /** From resolveHosts(); requests go to `${apiUrl}/api/v2/...`. */
  apiUrl: string
  /** Login goes to `${loginUrl}/oauth/token`. */
  loginUrl: string
  clientId: string
  clientSecret: string
  /** Most requests in flight at once (shared by everything). */
  concurrency: number
  /** One shared budget for every request that carries the token (paced, never a burst past it). */
  requestsPerMinute: number
  /** All waiting goes through it; default systemClock. */
  clock?: Clock
  /** Default silentLog. */
  log?: Log
  /** Per request (headers + body); default 60 s. */
  timeoutMs?: number
  /** For 5xx, resets, timeouts, malformed JSON; default 5. */
  maxRetries?: number
  /** Jitter source. */
  random?: () => number
  /** The runner's outbound proxy (proxySettingsFrom(process.env)); default none. */
  proxy?: ProxySettings
}

/** What the action's inputs set of a client's options; the caller adds its clock, log and the rest. */
export function clientOptionsFromInputs(
  inputs: Pick<Inputs, 'hosts' | 'clientId' | 'clientSecret' | 'concurrency' | 'requestsPerMinute' | 'proxy'>
): GenesysClientOptions {
  return {
    apiUrl: inputs.hosts!.apiUrl,
    loginUrl: inputs.hosts!.loginUrl,
    clientId: inputs.clientId,
    clientSecret: inputs.clientSecret,
    concurrency: inputs.concurrency,
    requestsPerMinute: inputs.requestsPerMinute,
    ...(inputs.proxy ? { proxy: inputs.proxy } : {})
  }
}

export type QueryValue = string | number | boolean | readonly string[] | undefined
export type Query = Record<string, QueryValue>

export interface RequestOptions {
  query?: Query
  body?: unknown
  /** Template for counting and messages, e.g. 'GET /api/v2/routing/queues/{queueId}'; default method + path. */
  endpoint?: string
  /** Statuses returned as `{ status }` instead of thrown (e.g. [403, 404] when probing a resource). */
  acceptStatus?: number[]
  /**
   * Error codes thrown even when their status is accepted: `missing.permissions` on a resource
   * without divisions says the role lacks the permission, not that this one object is hidden.
   */
  refuseCodes?: string[]
}

export interface ClientStats {
  total: number
  byEndpoint: Record<string, number>
  retries: number
  rateLimited: number
  logins: number
}

/** 429s in a row one request may see before it gives up. */
const MAX_RATE_LIMITED_IN_A_ROW = 20
/** 401s on tokens already replaced by another request's login that one request retries. */
const MAX_STALE_TOKEN_RETRIES = 5
export const DOWNLOAD_ENDPOINT = 'GET (export download URL)'
const MAX_REDIRECTS = 3

/** Builds `${base}${path}?query`, arrays as repeated parameters, undefined values left out. */
export function buildUrl(base: string, path: string, query?: Query): URL {
  const url = new URL(`${base}${path.startsWith('/') ? '' : '/'}${path}`)
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue
    if (Array.isArray(value)) for (const v of value as readonly string[]) url.searchParams.append(key, v)
    else url.searchParams.append(key, String(value))
  }
  return url
}

/** Genesys's message for a failed response, as one line. */
function genesysText(body: GenesysErrorBody | undefined, raw: Buffer): string {
  if (body) {
    return [body.message ?? body.error_description ?? body.description ?? body.error].filter(Boolean).join('')
  }
  return bodyExcerpt(raw)
}

/**
 * The Genesys Cloud Platform API over undici: client-credentials login (renewed before expiry and
 * once on a 401), one paced request budget and a concurrency limit shared by every call, 429s that
 * pause everyone for the full Retry-After, bounded retries with backoff for server and network
 * trouble, and errors that say what to check. No secret, token or signed URL query reaches a
 * message or the log.
 */
export class GenesysClient {
  /** The clock every wait of this client goes through (export polling uses it too). */
  readonly clock: Clock
  private readonly log: Log
  private readonly timeoutMs: number
  private readonly maxRetries: number
  private readonly random: () => number
  private readonly scrubber = new Scrubber()
  private readonly transport: HttpTransport
  private readonly budget: RequestBudget
  private readonly slots: ConcurrencyLimit
  private readonly tokens: TokenSource
  private readonly apiUrl: string
  private readonly apiHost: string
  private readonly counts = { total: 0, retries: 0, rateLimited: 0, logins: 0 }
  private readonly byEndpoint = new Map<string, number>()

  constructor(options: GenesysClientOptions) {
    this.clock = options.clock ?? systemClock
    this.log = options.log ?? silentLog
    this.timeoutMs = options.timeoutMs ?? 60_000
    this.maxRetries = options.maxRetries ?? 5
    this.random = options.random ?? Math.random
    this.apiUrl = options.apiUrl.replace(/\/+$/, '')
    this.apiHost = new URL(this.apiUrl).host
    this.log.secret(options.clientSecret)
    this.scrubber.add(options.clientSecret)
    for (const proxy of [options.proxy?.http, options.proxy?.https]) {
      const password = proxy && decodeURIComponent(proxy.url.password)
      if (password) {
        this.log.secret(password)
        this.scrubber.add(password)
      }
    }
    this.transport = new HttpTransport({
      connections: options.concurrency,
      timeoutMs: this.timeoutMs,
      ...(options.proxy ? { proxy: options.proxy } : {})
    })
    for (const url of new Set([this.apiUrl, options.loginUrl.replace(/\/+$/, '')])) {
      const proxy = this.transport.proxyFor(new URL(url))
      if (proxy) this.log.info(`Requests to ${new URL(url).host} go through the proxy ${proxy}.`)
    }
    this.budget = new RequestBudget(options.requestsPerMinute, this.clock)
    this.slots = new ConcurrencyLimit(options.concurrency)
    this.tokens = new TokenSource({
      loginUrl: options.loginUrl.replace(/\/+$/, ''),
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      clock: this.clock,
      log: this.log,
      scrubber: this.scrubber,
      maxRetries: this.maxRetries,
      random: this.random,
      send: request => {
        this.count(LOGIN_ENDPOINT)
        this.counts.logins++
        return this.transport.send(request)
      },
      onRetry: kind => {
        if (kind === 'retry') this.counts.retries++
        else this.counts.rateLimited++
      }
    })
  }

  /** Validates credentials early (login + GET /api/v2/organizations/me) so a bad secret or region fails clearly before any work. */
  async verify(): Promise<{ orgName: string; orgId: string }> {
    const org = await this.request<{ id?: string; name?: string }>('GET', '/api/v2/organizations/me')
    if (!org || typeof org.id !== 'string') {
      throw new GenesysApiError(
        `GET /api/v2/organizations/me on ${this.apiHost} answered without an organization: check region (or api-url).`,
        { method: 'GET', endpoint: 'GET /api/v2/organizations/me', status: 200 }
      )
    }
    return { orgName: org.name ?? '', orgId: org.id }
  }

  async request<T>(method: 'GET' | 'POST', path: string, options: RequestOptions = {}): Promise<T> {
    const url = buildUrl(this.apiUrl, path, options.query)
    const endpoint = options.endpoint ?? `${method} ${path.split('?')[0]}`
    const body = options.body === undefined ? undefined : JSON.stringify(options.body)
    let retries = 0
    let rateLimitedInARow = 0
    let reloggedIn = false
    let staleTokenRetries = 0

    for (;;) {
      let token = ''
      let sent = false
      let response: HttpResponse
      const wanted = this.clock.now()
      try {
        response = await this.slots.run(async () => {
          await this.budget.take(wanted)
          // The token is taken only now, when the request goes out: one taken before the wait for a
          // connection and the budget could expire in the queue (tokens may live just 300 s).
          token = await this.tokens.token()
          const request: HttpRequest = {
            method,
            url,
            headers: {
              authorization: `Bearer ${token}`,
              accept: 'application/json',
              ...(body === undefined ? {} : { 'content-type': 'application/json' })
            },
            body
          }
          this.count(endpoint)
          sent = true
          return this.transport.send(request)
        })
      } catch (err) {
        // A failed login has had its own retries and says what to do; only the request's are here.
        if (!sent || !(err instanceof TransportError)) throw err
        if (err.retryable && retries < this.maxRetries) {
          await this.backoff(retries++, endpoint, err.message)
          continue
        }
        throw this.transportFailure(method, endpoint, err, retries)
      }

      if (response.status === 429) {
        this.counts.rateLimited++
        rateLimitedInARow++
        const errorBody = parseErrorBody(response.body)
        if (rateLimitedInARow > MAX_RATE_LIMITED_IN_A_ROW) {
          throw this.statusFailure(method, endpoint, response, errorBody, retries)
        }
        const wait = retryAfterMs(
          headerValue(response.headers, 'retry-after'),
          this.clock.now(),
          errorBody?.message
        )
        // Everyone waits, not just this request: others would only collect more 429s.
        const until = this.clock.now() + wait
        const alreadyPaused = this.budget.pausedUntilMs() ?? -Infinity
        this.budget.pauseUntil(until)
        if (until > alreadyPaused + 1_000) {
          // One line per pause, not one per request that was already in flight.
          this.log.info(
            `Genesys Cloud rate limit reached (${endpoint}); pausing requests for ${Math.ceil(wait / 1000)} s.`
          )
        }
        continue
      }
      rateLimitedInARow = 0

      if (
        options.acceptStatus?.includes(response.status) &&
        !options.refuseCodes?.includes(parseErrorBody(response.body)?.code ?? '')
      )
        return { status: response.status } as T

      if (response.status >= 200 && response.status < 300) {
        if (response.body.length === 0) return undefined as T
        try {
          return JSON.parse(response.body.toString('utf8')) as T
        } catch {
          if (retries < this.maxRetries) {
            await this.backoff(retries++, endpoint, 'malformed JSON')
            continue
          }
          throw new GenesysApiError(
            `${endpoint} answered ${response.status} with malformed JSON ${retries + 1} times; Genesys Cloud or a proxy in between is cutting responses short. Rerun later.`,
            { method, endpoint, status: response.status, code: 'malformed.json' }
          )
        }
      }

      if (response.status === 401) {
        // A token another request already replaced (it met the 401 first) costs this request
        // nothing: it only waited in the queue with the old token. Bounded all the same.
        if (!this.tokens.isCurrent(token) && staleTokenRetries < MAX_STALE_TOKEN_RETRIES) {
          staleTokenRetries++
          this.counts.retries++
          continue
        }
        if (!reloggedIn) {
          // The token may have been revoked or expired early: log in again, once.
          reloggedIn = true
          this.tokens.invalidate(token)
          this.counts.retries++
          this.log.debug(`${endpoint} answered 401; logging in again.`)
          continue
        }
      }
      if (isRetryableStatus(response.status) && retries < this.maxRetries) {
        await this.backoff(retries++, endpoint, `status ${response.status}`)
        continue
      }
      throw this.statusFailure(method, endpoint, response, parseErrorBody(response.body), retries)
    }
  }

  /**
   * Every page of a `*EntityListing`, checked against `total`: a page shorter than promised is re-read
   * (bounded), duplicates removed by id, never taken as the end.
   */
  async getAllPages<T extends { id?: string }>(
    path: string,
    query: Query = {},
    options: { pageSize?: number; endpoint?: string } = {}
  ): Promise<T[]> {
    const pageSize = options.pageSize ?? 500
    const endpoint = options.endpoint ?? `GET ${path.split('?')[0]}`
    try {
      return await readAllPages<T>(
        (pageNumber, size) =>
          this.request<EntityListing<T>>('GET', path, {
            query: { ...query, pageNumber, pageSize: size },
            endpoint
          }),
        { pageSize, onReread: what => this.log.debug(`${endpoint}: ${what}; reading again.`) }
      )
    } catch (err) {
      if (err instanceof IncompleteListingError) {
        throw new GenesysApiError(`${endpoint}: ${err.message}.`, {
          method: 'GET',
          endpoint,
          code: 'incomplete.listing'
        })
      }
      throw err
    }
  }

  /** Fetches a signed URL without the bearer token (export downloads); same retries and timeouts; counted. */
  async download(url: string): Promise<{ body: Buffer; contentType: string; fileName?: string }> {
    const endpoint = DOWNLOAD_ENDPOINT
    let target = new URL(url)
    let retries = 0
    let redirects = 0
    for (;;) {
      const request: HttpRequest = { method: 'GET', url: target, headers: { accept: '*/*' } }
      let response: HttpResponse
      try {
        response = await this.slots.run(async () => {
          this.count(endpoint)
          return this.transport.send(request)
        })
      } catch (err) {
        if (!(err instanceof TransportError)) throw err
        if (err.retryable && retries < this.maxRetries) {
          await this.backoff(retries++, endpoint, err.message)
          continue
        }
        throw this.transportFailure('GET', endpoint, err, retries, downloadHost(target))
      }
      const location = headerValue(response.headers, 'location')
      if (response.status >= 300 && response.status < 400 && location && redirects < MAX_REDIRECTS) {
        redirects++
        target = new URL(location, target)
        continue
      }
      if (response.status >= 200 && response.status < 300) {
        return {
          body: response.body,
          contentType: headerValue(response.headers, 'content-type') ?? 'application/octet-stream',
          fileName: fileNameFromDisposition(headerValue(response.headers, 'content-disposition'))
        }
      }
      if ((isRetryableStatus(response.status) || response.status === 429) && retries < this.maxRetries) {
        if (response.status === 429) this.counts.rateLimited++
        // A 429 that says how long to wait is waited out in full; coming back sooner only collects another.
        const header = response.status === 429 ? headerValue(response.headers, 'retry-after') : undefined
        await this.backoff(
          retries++,
          endpoint,
          `status ${response.status}`,
          header ? retryAfterMs(header, this.clock.now()) : undefined
        )
        continue
      }
      const where = downloadHost(target)
      const hint =
        response.status === 403 || response.status === 404 || response.status === 410
          ? 'The signed download URL was refused; it may have expired (the export job is run again).'
          : 'Rerun later.'
      throw new GenesysApiError(`GET ${where} (export download) failed with ${response.status}. ${hint}`, {
        method: 'GET',
        endpoint,
        status: response.status
      })
    }
  }

  stats(): ClientStats {
    return {
      ...this.counts,
      byEndpoint: Object.fromEntries(
        [...this.byEndpoint.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      )
    }
  }

  async close(): Promise<void> {
    await this.transport.close()
  }

  private count(endpoint: string): void {
    this.counts.total++
    this.byEndpoint.set(endpoint, (this.byEndpoint.get(endpoint) ?? 0) + 1)
  }

  /** Waits before retry `attempt`: the backoff, or at least `atLeastMs` when the server named a wait. */
  private async backoff(attempt: number, endpoint: string, why: string, atLeastMs = 0): Promise<void> {
    this.counts.retries++
    const wait = Math.max(atLeastMs, backoffMs(attempt, this.random))
    this.log.debug(
      `${endpoint}: ${why}; retrying in ${wait} ms (retry ${attempt + 1} of ${this.maxRetries}).`
    )
    await this.clock.sleep(wait)
  }

  private transportFailure(
    method: string,
    endpoint: string,
    err: TransportError,
    retries: number,
    where = this.apiHost
  ): GenesysApiError {
    const attempts = retries > 0 ? ` (${retries + 1} attempts)` : ''
    const hint =
      proxyHint(err, where) ??
      (err.kind === 'dns' || err.kind === 'refused'
        ? `check region (or api-url) and that the runner can reach ${where}.`
        : err.kind === 'tls'
          ? `the TLS connection to ${where} failed; check api-url and any proxy in between.`
          : err.kind === 'timeout'
            ? 'Genesys Cloud did not answer in time; rerun later.'
            : `check the runner's network access to ${where}; rerun later.`)
    return new GenesysApiError(
      this.scrubber.scrub(`${endpoint} on ${where} failed: ${err.message}${attempts}; ${hint}`),
      {
        method,
        endpoint,
        code: err.code ?? err.kind,
        cause: err
      }
    )
  }

  private statusFailure(
    method: string,
    endpoint: string,
    response: HttpResponse,
    body: GenesysErrorBody | undefined,
    retries: number
  ): GenesysApiError {
    const text = this.scrubber.scrub(genesysText(body, response.body))
    const attempts = retries > 0 ? ` after ${retries + 1} attempts` : ''
    const code = body?.code ?? body?.error
    const said = text ? ` (${code ? `${code}: ` : ''}${text})` : code ? ` (${code})` : ''
    const message = `${endpoint} failed with ${response.status}${said}${attempts}. ${hintForStatus(response.status, method, endpoint, this.apiHost)}`
    return new GenesysApiError(this.scrubber.scrub(message), {
      method,
      endpoint,
      status: response.status,
      code,
      genesysMessage: text || undefined,
      contextId: body?.contextId
    })
  }
}

/** A signed URL may carry its signature in the path as well as the query: messages name only its origin. */
function downloadHost(url: URL): string {
  return `${url.origin}/…`
}

/** File name from a Content-Disposition header (plain or RFC 5987 `filename*`). */
export function fileNameFromDisposition(header: string | undefined): string | undefined {
  if (!header) return undefined
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)?''([^;]+)/.exec(header)
  if (star) {
    try {
      return decodeURIComponent(star[1].trim())
    } catch {
      // fall through to the plain form
    }
  }
  const plain = /filename\s*=\s*("([^"]*)"|[^;]+)/.exec(header)
  return plain ? (plain[2] ?? plain[1]).trim() : undefined
}
