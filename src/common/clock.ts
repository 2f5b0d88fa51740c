/**
 * Time as the action sees it. Everything that waits (rate limits, Retry-After, polling, backoff)
 * goes through a Clock so tests can run minutes of simulated waiting in milliseconds.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
  /** Resolves after `ms` milliseconds of this clock's time. */
  sleep(ms: number): Promise<void>
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: ms => new Promise(resolve => setTimeout(resolve, Math.max(0, ms)))
}

/**
 * A clock whose time only moves when someone sleeps on it: each sleep advances `now` to its wake-up
 * time at once. Shared by a test's client and simulated org, it makes a 60 s Retry-After instant
 * while keeping every time-based decision (token expiry, rate windows, pacing) exact.
 */
export class VirtualClock implements Clock {
  private current: number

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start
  }

  now(): number {
    return this.current
  }

  advance(ms: number): void {
    this.current += Math.max(0, ms)
  }

  async sleep(ms: number): Promise<void> {
    // Concurrent sleepers that start together wake together: time moves to the latest deadline
    // reached, never by the sum of the waits. Yield first so other work interleaves.
    const deadline = this.current + Math.max(0, ms)
    await new Promise(resolve => setImmediate(resolve))
    this.current = Math.max(this.current, deadline)
  }
}
