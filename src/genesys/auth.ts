import type { Clock } from '../common/clock.js'
import type { Log } from '../common/log.js'
import { GenesysApiError, bodyExcerpt, describeUrl, parseErrorBody, type Scrubber } from './errors.js'
import { headerValue, proxyHint, TransportError, type HttpRequest, type HttpResponse } from './http.js'
import { backoffMs, isRetryableStatus, retryAfterMs } from './retry-policy.js'

export const LOGIN_ENDPOINT = 'POST /oauth/token'
/** The token endpoint's own rate limit: how many times in a row it may tell us to wait. */
const MAX_LOGIN_RATE_LIMITED = 10

export interface TokenSourceOptions {
  loginUrl: string
  clientId: string
  clientSecret: string
  clock: Clock
  log: Log
  scrubber: Scrubber
  maxRetries: number
  random: () => number
  /** Sends one exchange (counted by the caller); throws TransportError when no response came. */
  send: (request: HttpRequest) => Promise<HttpResponse>
  /** Told about every retry and rate-limit wait, for stats. */
  onRetry: (kind: 'retry' | 'rateLimited') => void
}

interface Token {
  value: string
  /** Clock time after which the token is renewed before use. */
  renewAt: number
}

/**
 * When to renew a token of `ttlMs`: 60 s or a tenth of its life before it runs out, whichever is
 * earlier, but never in its first half (so a very short-lived token is not renewed on every call).
 */
export function renewalDelayMs(ttlMs: number): number {
  const margin = Math.max(60_000, ttlMs / 10)
  return Math.max(ttlMs / 2, ttlMs - margin)
}

/**
 * Client-credentials tokens: logs in on first use, again before expiry, and again when the API says
 * 401 for the token in use. Concurrent callers share one login in flight.
 */
export class TokenSource {
  private current: Token | undefined
  private inFlight: Promise<Token> | undefined
  private readonly basic: string

  constructor(private readonly options: TokenSourceOptions) {
    this.basic = Buffer.from(`${options.clientId}:${options.clientSecret}`, 'utf8').toString('base64')
    options.scrubber.add(this.basic)
    options.log.secret(this.basic)
  }

  async token(): Promise<string> {
    if (this.current && this.options.clock.now() < this.current.renewAt) return this.current.value
    if (!this.inFlight) {
      this.inFlight = this.login().finally(() => {
        this.inFlight = undefined
      })
    }
    return (await this.inFlight).value
  }

  /** Whether `token` is the one in use (not yet replaced by a newer login). */
  isCurrent(token: string): boolean {
    return this.current?.value === token
  }

  /** The API refused `token` (401): the next caller logs in again, unless someone already has. */
  invalidate(token: string): void {
    if (this.current?.value === token) this.current = undefined
  }

  private get loginHost(): string {
    return new URL(this.options.loginUrl).host
  }

  private fail(
    message: string,
    status?: number,
    code?: string,
    genesysMessage?: string,
    cause?: unknown
  ): never {
    const scrub = (s: string): string => this.options.scrubber.scrub(s)
    throw new GenesysApiError(scrub(message), {
      method: 'POST',
      endpoint: LOGIN_ENDPOINT,
      status,
      code,
      genesysMessage: genesysMessage === undefined ? undefined : scrub(genesysMessage),
      cause
    })
  }

  private async login(): Promise<Token> {
    const { clock, log, maxRetries, random } = this.options
    const url = new URL(`${this.options.loginUrl}/oauth/token`)
    const request: HttpRequest = {
      method: 'POST',
      url,
      headers: {
        authorization: `Basic ${this.basic}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json'
      },
      body: 'grant_type=client_credentials'
    }
    let retries = 0
    let rateLimited = 0
    for (;;) {
      const sentAt = clock.now()
      let response: HttpResponse
      try {
        response = await this.options.send(request)
      } catch (err) {
        if (!(err instanceof TransportError)) throw err
        if (err.retryable && retries < maxRetries) {
          this.options.onRetry('retry')
          await clock.sleep(backoffMs(retries++, random))
          continue
        }
        const viaProxy = proxyHint(err, this.loginHost)
        this.fail(
          `Login at ${describeUrl(url.href)} failed: ${err.message}${retries ? ` after ${retries + 1} attempts` : ''}. ${
            viaProxy
              ? viaProxy[0].toUpperCase() + viaProxy.slice(1)
              : `Check region (or login-url / api-url) and the runner's network access to ${this.loginHost}.`
          }`,
          undefined,
          err.code,
          undefined,
          err
        )
      }

      const body = parseErrorBody(response.body)
      const genesysText = body
        ? [body.error, body.error_description ?? body.description ?? body.message].filter(Boolean).join(': ')
        : bodyExcerpt(response.body)

      if (response.status >= 200 && response.status < 300) {
        const token = this.readToken(response.body, sentAt)
        if (token) {
          log.debug(`Logged in to ${this.loginHost}.`)
          return token
        }
        if (retries < maxRetries) {
          this.options.onRetry('retry')
          await clock.sleep(backoffMs(retries++, random))
          continue
        }
        this.fail(
          `Login at ${this.loginHost} answered without a usable access token; rerun later.`,
          response.status
        )
      }

      const rateLimitedLogin =
        response.status === 429 ||
        (response.status === 400 && body?.error === 'invalid_request' && /rate limit/i.test(genesysText))
      if (rateLimitedLogin && rateLimited < MAX_LOGIN_RATE_LIMITED) {
        // The token endpoint has its own limit; wait it out (Retry-After, else growing waits).
        const header = headerValue(response.headers, 'retry-after')
        const wait = header ? retryAfterMs(header, clock.now()) : Math.min(60_000, 5_000 * 2 ** rateLimited)
        rateLimited++
        this.options.onRetry('rateLimited')
        log.info(`Login at ${this.loginHost} is rate limited; waiting ${Math.ceil(wait / 1000)} s.`)
        await clock.sleep(wait)
        continue
      }
      if (isRetryableStatus(response.status) && retries < maxRetries) {
        this.options.onRetry('retry')
        await clock.sleep(backoffMs(retries++, random))
        continue
      }
      if (
        response.status === 401 ||
        (response.status === 400 &&
          (body?.error === 'invalid_client' || body?.error === 'unauthorized_client'))
      ) {
        this.fail(
          `Login at ${this.loginHost} refused the client id/secret (${response.status}${body?.error ? ` ${body.error}` : ''}): check that client-id and client-secret belong to an OAuth client with the Client Credentials grant in this region (${this.loginHost}); an OAuth client of another region is unknown here.`,
          response.status,
          body?.error,
          genesysText
        )
      }
      if (response.status === 404) {
        this.fail(
          `Login at ${describeUrl(url.href)} answered 404: ${this.loginHost} serves no OAuth token endpoint; check region (or login-url / api-url).`,
          404,
          body?.error ?? body?.code,
          genesysText
        )
      }
      this.fail(
        `Login at ${this.loginHost} failed with ${response.status}${genesysText ? `: ${genesysText}` : ''}. Check client-id, client-secret and region.`,
        response.status,
        body?.error ?? body?.code,
        genesysText
      )
    }
  }

  private readToken(body: Buffer, sentAt: number): Token | undefined {
    let parsed: unknown
    try {
      parsed = JSON.parse(body.toString('utf8'))
    } catch {
      return undefined
    }
    const p = parsed as { access_token?: unknown; expires_in?: unknown }
    if (typeof p.access_token !== 'string' || p.access_token === '') return undefined
    this.options.scrubber.add(p.access_token)
    this.options.log.secret(p.access_token)
    // Genesys's default lifetime is a day; a missing value is taken as the shortest it allows.
    const ttlMs = (typeof p.expires_in === 'number' && p.expires_in > 0 ? p.expires_in : 300) * 1000
    const token = { value: p.access_token, renewAt: sentAt + renewalDelayMs(ttlMs) }
    this.current = token
    return token
  }
}
