import fc from 'fast-check'
import { VirtualClock } from '../common/clock.js'
import { ConcurrencyLimit, RequestBudget } from './budget.js'

/** Most starts that fall within any window [t, t + 60 s]. */
function maxInAnyMinute(starts: number[]): number {
  let best = 0
  for (let i = 0, j = 0; j < starts.length; j++) {
    while (starts[j] - starts[i] > 60_000) i++
    best = Math.max(best, j - i + 1)
  }
  return best
}

describe('RequestBudget', () => {
  it('spreads requests evenly at the given rate instead of bursting', async () => {
    const clock = new VirtualClock()
    const t0 = clock.now()
    const budget = new RequestBudget(300, clock)
    const starts: number[] = []
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        await budget.take()
        starts.push(clock.now() - t0)
      })
    )
    expect(starts).toEqual([0, 200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800])
  })

  it('never lets more than requestsPerMinute start within any minute, with closed windows', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 120 }),
        async (rpm, gaps) => {
          const clock = new VirtualClock()
          const budget = new RequestBudget(rpm, clock)
          const starts: number[] = []
          for (const gap of gaps) {
            clock.advance(gap)
            await budget.take()
            starts.push(clock.now())
          }
          return maxInAnyMinute(starts) <= rpm
        }
      ),
      { numRuns: 60 }
    )
  })

  it('holds everyone until a pause (a 429) has passed, even takers already waiting', async () => {
    const clock = new VirtualClock()
    const t0 = clock.now()
    const budget = new RequestBudget(60, clock) // one per second
    await budget.take()
    const later = budget.take().then(() => clock.now() - t0)
    budget.pauseUntil(t0 + 42_000)
    expect(budget.pausedUntilMs()).toBe(t0 + 42_000)
    budget.pauseUntil(t0 + 10_000) // a shorter pause does not shorten the longer one
    expect(await later).toBe(42_000)
    const next = await budget.take().then(() => clock.now() - t0)
    expect(next).toBe(43_000)
    expect(budget.pausedUntilMs()).toBeUndefined()
  })

  it('lets a request that was kept waiting use the slots it missed, but never banks idle time', async () => {
    const clock = new VirtualClock()
    const t0 = clock.now()
    const budget = new RequestBudget(600, clock) // one per 100 ms
    await budget.take()
    // Eleven requests wanted to go 50 ms in, but were held up for a second (a slow answer elsewhere).
    const wanted = t0 + 50
    clock.advance(1000)
    const starts: number[] = []
    await Promise.all(
      Array.from({ length: 11 }, async () => {
        await budget.take(wanted)
        starts.push(clock.now() - t0)
      })
    )
    // The ten slots from 100 to 1000 ms went unused while they waited: all ten are theirs now; the
    // eleventh waits for the next slot.
    expect(starts).toEqual([1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1100])
    // A request after idle time gets no burst: one slot, then the steady pace.
    clock.advance(10_000)
    const idle: number[] = []
    await Promise.all(
      Array.from({ length: 3 }, async () => {
        await budget.take()
        idle.push(clock.now() - t0)
      })
    )
    expect(idle).toEqual([11_100, 11_200, 11_300])
  })

  it('catches up at most five seconds of missed slots', async () => {
    const clock = new VirtualClock()
    const t0 = clock.now()
    const budget = new RequestBudget(60, clock) // one per second
    await budget.take()
    clock.advance(60_000)
    const starts: number[] = []
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        await budget.take(t0) // wanted a minute ago
        starts.push(clock.now() - t0)
      })
    )
    // Slots from 55 s to 60 s: six at once, then one a second.
    expect(starts).toEqual([60_000, 60_000, 60_000, 60_000, 60_000, 60_000, 61_000, 62_000])
  })

  it('holds any minute to requestsPerMinute however long requests were kept waiting', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 20_000 })), {
          minLength: 1,
          maxLength: 120
        }),
        async (rpm, steps) => {
          const clock = new VirtualClock()
          const budget = new RequestBudget(rpm, clock)
          const starts: number[] = []
          for (const [gap, waited] of steps) {
            clock.advance(gap)
            await budget.take(clock.now() - waited)
            starts.push(clock.now())
          }
          return maxInAnyMinute(starts) <= rpm
        }
      ),
      { numRuns: 60 }
    )
  })

  it('rejects a rate below 1', () => {
    expect(() => new RequestBudget(0, new VirtualClock())).toThrow()
  })
})

describe('ConcurrencyLimit', () => {
  it('never runs more than the limit at once and runs everything', async () => {
    const limit = new ConcurrencyLimit(3)
    let active = 0
    let peak = 0
    const done: number[] = []
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        limit.run(async () => {
          active++
          peak = Math.max(peak, active)
          await new Promise(r => setImmediate(r))
          active--
          done.push(i)
        })
      )
    )
    expect(peak).toBe(3)
    expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i))
    expect(limit.inFlight()).toBe(0)
  })

  it('frees the slot when a task fails', async () => {
    const limit = new ConcurrencyLimit(1)
    await expect(limit.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    await expect(limit.run(async () => 7)).resolves.toBe(7)
    expect(limit.inFlight()).toBe(0)
  })
})
