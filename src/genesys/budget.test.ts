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
