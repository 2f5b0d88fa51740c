import type { Clock } from '../common/clock.js'

const MINUTE_MS = 60_000
/** Most time whose unused slots a request that was kept waiting may still use. */
const MAX_CATCH_UP_MS = 5_000

/**
 * The shared request budget: at most `requestsPerMinute` starts in any minute, spread evenly
 * (one every 60 s / rpm) instead of a burst followed by a wall of 429s. A 429 pauses everyone
 * until its Retry-After has passed. Takers are served in arrival order; all waiting is on the clock.
 */
export class RequestBudget {
  private readonly intervalMs: number
  /** Start times of the last `limit` requests, oldest first (a sliding window). */
  private readonly starts: number[] = []
  private nextStart = -Infinity
  private pausedUntil = -Infinity
  private queue: Promise<void> = Promise.resolve()

  constructor(
    private readonly requestsPerMinute: number,
    private readonly clock: Clock
  ) {
    if (!(requestsPerMinute >= 1)) throw new Error('requestsPerMinute must be at least 1')
    this.intervalMs = MINUTE_MS / requestsPerMinute
  }

  /**
   * Resolves when one more request may start, and counts it as started. `wantedSince` is when the
   * request first wanted to go (before it waited for a connection, say): slots the budget could
   * have given it meanwhile are not lost, up to MAX_CATCH_UP_MS of them (see waitForSlot).
   */
  take(wantedSince?: number): Promise<void> {
    const turn = this.queue.then(() => this.waitForSlot(wantedSince))
    // A failed wait must not block the queue for everyone behind it.
    this.queue = turn.catch(() => undefined)
    return turn
  }

  /** No request starts before `untilMs` (clock time). Pauses only ever get longer. */
  pauseUntil(untilMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, untilMs)
  }

  /** Clock time before which nothing starts because of a 429, if any. */
  pausedUntilMs(): number | undefined {
    return this.pausedUntil > this.clock.now() ? this.pausedUntil : undefined
  }

  private earliestStart(): number {
    let earliest = Math.max(this.nextStart, this.pausedUntil)
    if (this.starts.length >= this.requestsPerMinute) {
      // Strictly more than a minute after the start that would otherwise be the limit-th in the window.
      earliest = Math.max(earliest, this.starts[this.starts.length - this.requestsPerMinute] + MINUTE_MS + 1)
    }
    return earliest
  }

  private async waitForSlot(wantedSince?: number): Promise<void> {
    const since = wantedSince ?? this.clock.now()
    // Loop: a pause may be set (by a 429 elsewhere) while this taker sleeps.
    for (;;) {
      const now = this.clock.now()
      const earliest = this.earliestStart()
      if (now >= earliest) {
        this.starts.push(now)
        if (this.starts.length > this.requestsPerMinute) this.starts.shift()
        // The next slot follows the moment this start was due, not the moment it happened: the
        // later of the slot's time and when the request wanted to go. A timer that fires late, or a
        // request held up by a slow answer to another, does not cost the budget a slot; idle time
        // (no request wanting to go) is never banked. What is caught up is bounded, and the window
        // check above still holds any minute to requestsPerMinute.
        const due = Math.max(earliest, Math.min(since, now), now - MAX_CATCH_UP_MS)
        this.nextStart = due + this.intervalMs
        return
      }
      await this.clock.sleep(earliest - now)
    }
  }
}

/** At most `limit` tasks at once; the rest wait in arrival order. */
export class ConcurrencyLimit {
  private active = 0
  private readonly waiting: (() => void)[] = []

  constructor(private readonly limit: number) {
    if (!(limit >= 1)) throw new Error('concurrency must be at least 1')
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) {
      await new Promise<void>(resolve => this.waiting.push(resolve))
    } else {
      this.active++
    }
    try {
      return await task()
    } finally {
      const next = this.waiting.shift()
      // Hand the slot straight to the next waiter, so `active` never dips and lets a newcomer jump the queue.
      if (next) next()
      else this.active--
    }
  }

  /** Tasks running now (for tests and diagnostics). */
  inFlight(): number {
    return this.active
  }
}
