/** When to retry and how long to wait: pure functions, so they are tested without a network. */

/** Retry-After applies when Genesys sends none (its 429s normally say up to about 60 s). */
export const DEFAULT_RETRY_AFTER_MS = 60_000
/** A Retry-After beyond this is taken as this: an answer of hours would stall the run silently. */
export const MAX_RETRY_AFTER_MS = 600_000

/**
 * Milliseconds to wait from a 429's `Retry-After` (seconds or an HTTP date), else from the number
 * Genesys writes into its message ("Retry the request in [42] seconds"), else 60 s. Never shortened.
 */
export function retryAfterMs(header: string | string[] | undefined, nowMs: number, message?: string): number {
  const value = Array.isArray(header) ? header[0] : header
  let ms: number | undefined
  if (value !== undefined && value.trim() !== '') {
    const v = value.trim()
    if (/^\d+(\.\d+)?$/.test(v)) {
      ms = Math.ceil(Number(v) * 1000)
    } else {
      const date = Date.parse(v)
      if (!Number.isNaN(date)) ms = Math.max(0, date - nowMs)
    }
  }
  if (ms === undefined && message) {
    const m = /retry the request in \[?(\d+(?:\.\d+)?)\]? second/i.exec(message)
    if (m) ms = Math.ceil(Number(m[1]) * 1000)
  }
  if (ms === undefined) ms = DEFAULT_RETRY_AFTER_MS
  return Math.min(ms, MAX_RETRY_AFTER_MS)
}

export interface BackoffOptions {
  baseMs?: number
  maxMs?: number
}

/**
 * Exponential backoff with jitter for the `attempt`-th retry (0-based): half of the exponential
 * step is fixed and half random, so retries spread out but never come back at once.
 */
export function backoffMs(attempt: number, random: () => number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 500
  const max = options.maxMs ?? 30_000
  const step = Math.min(max, base * 2 ** Math.max(0, attempt))
  const r = Math.min(1, Math.max(0, random()))
  return Math.round(step / 2 + (r * step) / 2)
}

/** HTTP statuses worth retrying with backoff (server trouble, not the request's fault). */
export function isRetryableStatus(status: number): boolean {
  return (
    status === 408 || status === 500 || status === 502 || status === 503 || status === 504 || status > 504
  )
}
