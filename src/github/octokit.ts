import { getOctokit } from '@actions/github'
import { retry } from '@octokit/plugin-retry'
import { throttling, type ThrottlingOptions } from '@octokit/plugin-throttling'
import { systemClock, type Clock } from '../common/clock.js'
import type { Log } from '../common/log.js'

export type Octokit = ReturnType<typeof getOctokit>

export interface OctokitOptions {
  /** GITHUB_API_URL, e.g. https://api.github.com or https://ghe.example.com/api/v3. */
  baseUrl: string
  log: Log
  /** How many times one request is retried after a 5xx, a network error or a rate limit. */
  retries?: number
  /** Waits for rate limits go through it, so tests spend no real time on Retry-After. */
  clock?: Clock
  /** 5xx backoff: retry n waits n² × this many ms (the retry plugin's own timer). */
  retryBackoffMs?: number
  /** Least time between two writes; GitHub asks for 1 s to stay clear of its secondary limits. */
  writeSpacingMs?: number
  /** A rate limit that asks for a longer wait than this fails the request instead. */
  maxRateLimitWaitSeconds?: number
}

/** The throttling plugin's limiter group type (Bottleneck's), without depending on bottleneck. */
type LimiterGroup = NonNullable<ThrottlingOptions['write']>

/**
 * A stand-in for the plugin's Bottleneck groups that only spaces jobs, timed by our Clock: the
 * plugin calls `group.key(id).schedule(options, fn, ...args)` and nothing else.
 */
function spacedGroup(clock: Clock, gapMs: number): LimiterGroup {
  let last = Number.NEGATIVE_INFINITY
  let chain: Promise<unknown> = Promise.resolve()
  const limiter = {
    schedule(...args: unknown[]): Promise<unknown> {
      const rest = typeof args[0] === 'function' ? args : args.slice(1)
      const [fn, ...fnArgs] = rest as [(...a: unknown[]) => unknown, ...unknown[]]
      const run = chain.then(async () => {
        const wait = last + gapMs - clock.now()
        if (wait > 0) await clock.sleep(wait)
        last = clock.now()
        return fn(...fnArgs)
      })
      chain = run.catch(() => undefined)
      return run
    }
  }
  return { key: () => limiter } as unknown as LimiterGroup
}

/**
 * Octokit from @actions/github's getOctokit, with @octokit/plugin-retry (5xx and network errors)
 * and @octokit/plugin-throttling (GitHub's primary and secondary rate limits: 403/429 with
 * retry-after or x-ratelimit-reset), each retried a bounded number of times. Writes are spaced
 * and serialized as GitHub's best practices ask.
 */
export function createOctokit(token: string, options: OctokitOptions): Octokit {
  const { log } = options
  const retries = options.retries ?? 3
  const clock = options.clock ?? systemClock
  const writeSpacingMs = options.writeSpacingMs ?? 1000
  const maxWait = options.maxRateLimitWaitSeconds ?? 600
  log.secret(token)

  const onLimit =
    (kind: string) =>
    async (
      retryAfter: number,
      request: { method: string; url: string },
      _octokit: unknown,
      retryCount: number
    ) => {
      const what = `${request.method} ${request.url}`
      if (retryCount >= retries) {
        log.warning(`GitHub ${kind} rate limit on ${what}: giving up after ${retries} retries.`)
        return false
      }
      if (retryAfter > maxWait) {
        log.warning(`GitHub ${kind} rate limit on ${what} asks for ${retryAfter} s; not waiting that long.`)
        return false
      }
      log.warning(
        `GitHub ${kind} rate limit on ${what}: waiting ${retryAfter} s (retry ${retryCount + 1} of ${retries}).`
      )
      await clock.sleep(retryAfter * 1000)
      return true
    }

  return getOctokit(
    token,
    {
      baseUrl: options.baseUrl.replace(/\/+$/, ''),
      userAgent: 'genesys-cloud-snapshot-action',
      log: {
        debug: (message: string) => log.debug(message),
        info: (message: string) => log.debug(message),
        warn: (message: string) => log.warning(message),
        error: (message: string) => log.error(message)
      },
      retry: {
        retries,
        retryAfterBaseValue: options.retryBackoffMs ?? 1000,
        // Rate limits (403/429) belong to the throttling plugin; the rest of 4xx are answers.
        doNotRetry: [400, 401, 403, 404, 409, 410, 422, 429, 451]
      },
      throttle: {
        // The handlers wait on our clock; the plugin then retries at once.
        retryAfterBaseValue: 0,
        onRateLimit: onLimit('primary'),
        onSecondaryRateLimit: onLimit('secondary'),
        write: spacedGroup(clock, writeSpacingMs),
        notifications: spacedGroup(clock, 3 * writeSpacingMs)
      }
    },
    retry,
    throttling
  )
}
