import fc from 'fast-check'
import {
  backoffMs,
  DEFAULT_RETRY_AFTER_MS,
  isRetryableStatus,
  MAX_RETRY_AFTER_MS,
  retryAfterMs
} from './retry-policy.js'

describe('retryAfterMs', () => {
  const now = Date.UTC(2026, 0, 1)

  it('reads seconds in full, never shortened', () => {
    expect(retryAfterMs('42', now)).toBe(42_000)
    expect(retryAfterMs('60', now)).toBe(60_000)
    expect(retryAfterMs('90', now)).toBe(90_000)
    expect(retryAfterMs('1.5', now)).toBe(1_500)
    expect(retryAfterMs(['7', '9'], now)).toBe(7_000)
  })

  it('reads an HTTP date', () => {
    expect(retryAfterMs(new Date(now + 30_000).toUTCString(), now)).toBe(30_000)
    expect(retryAfterMs(new Date(now - 5_000).toUTCString(), now)).toBe(0)
  })

  it("falls back to the number in Genesys's message, then to 60 s", () => {
    const message = 'Rate limit exceeded the maximum. Retry the request in [42] seconds'
    expect(retryAfterMs(undefined, now, message)).toBe(42_000)
    expect(retryAfterMs('', now, message)).toBe(42_000)
    expect(retryAfterMs(undefined, now)).toBe(DEFAULT_RETRY_AFTER_MS)
    expect(retryAfterMs('soon', now)).toBe(DEFAULT_RETRY_AFTER_MS)
  })

  it('caps absurd values', () => {
    expect(retryAfterMs('86400', now)).toBe(MAX_RETRY_AFTER_MS)
  })
})

describe('backoffMs', () => {
  it('stays within [step/2, step] of an exponential step capped at maxMs', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (attempt, r) => {
          const step = Math.min(30_000, 500 * 2 ** attempt)
          const ms = backoffMs(attempt, () => r)
          return ms >= Math.floor(step / 2) && ms <= step
        }
      )
    )
  })

  it('grows with the attempt and uses the jitter source', () => {
    expect(backoffMs(0, () => 0)).toBe(250)
    expect(backoffMs(0, () => 1)).toBe(500)
    expect(backoffMs(3, () => 0)).toBe(2_000)
    expect(backoffMs(20, () => 1)).toBe(30_000)
    expect(backoffMs(1, () => 0.5, { baseMs: 100, maxMs: 150 })).toBe(113)
  })
})

describe('isRetryableStatus', () => {
  it('retries server trouble, not client errors', () => {
    for (const s of [408, 500, 502, 503, 504, 599]) expect(isRetryableStatus(s)).toBe(true)
    for (const s of [200, 400, 401, 403, 404, 409, 429, 501]) expect(isRetryableStatus(s)).toBe(false)
  })
})
