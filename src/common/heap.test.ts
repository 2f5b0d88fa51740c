import v8 from 'node:v8'
import { boundHeapGrowth, heapCollector, heapGrewPast } from './heap.js'

const MB = 1024 * 1024
const used = (): number => v8.getHeapStatistics().used_heap_size

/** About `mb` MB of small objects, the way a run's garbage looks. */
function allocate(mb: number): number[][] {
  const out: number[][] = []
  for (let i = 0; i < mb * 1024; i++) out.push(new Array<number>(126).fill(i))
  return out
}

async function waitFor(condition: () => boolean, ms = 5_000): Promise<void> {
  const until = Date.now() + ms
  while (!condition()) {
    if (Date.now() > until) throw new Error('timed out')
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

describe('heapGrewPast', () => {
  test('a small heap is collected after a fixed growth', () => {
    expect(heapGrewPast(20 * MB + 15 * MB, 20 * MB, 16 * MB)).toBe(false)
    expect(heapGrewPast(20 * MB + 16 * MB, 20 * MB, 16 * MB)).toBe(true)
  })

  test('a large heap only after growing by half of itself', () => {
    expect(heapGrewPast(100 * MB + 40 * MB, 100 * MB, 16 * MB)).toBe(false)
    expect(heapGrewPast(100 * MB + 50 * MB, 100 * MB, 16 * MB)).toBe(true)
  })

  test('a heap that shrank is never collected', () => {
    expect(heapGrewPast(10 * MB, 40 * MB, 16 * MB)).toBe(false)
  })
})

describe('boundHeapGrowth', () => {
  test('the collector is reachable on this Node, so the bound is active where the benchmark measures it', () => {
    const collect = heapCollector()
    expect(typeof collect).toBe('function')
    expect(() => collect!()).not.toThrow()
    // The flag is turned off again: code loaded later sees no global gc.
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined()
  })

  test('collects once the heap has grown past the bound, freeing what is garbage by then', async () => {
    const bound = boundHeapGrowth({ minGrowthBytes: 8 * MB, intervalMs: 10 })
    try {
      // Enough to pass the bound whatever the test runner's heap holds.
      const step = Math.ceil(Math.max(8 * MB, used() / 2) / MB) + 16
      let held: number[][] | undefined = allocate(step)
      await waitFor(() => bound.collections >= 1)
      expect(held.length).toBe(step * 1024)
      const peak = used()
      const before = bound.collections

      // The first batch is garbage now; a second batch makes the heap grow again.
      held = undefined
      const next = allocate(step)
      await waitFor(() => bound.collections > before)
      // Without the collection the heap would hold both batches.
      expect(used()).toBeLessThan(peak + (step * MB) / 2)
      expect(next.length).toBe(step * 1024)
    } finally {
      bound.stop()
    }
  })

  test('a heap that does not grow is left alone, and stop() ends the checks', async () => {
    const bound = boundHeapGrowth({ minGrowthBytes: 64 * MB, intervalMs: 10 })
    await new Promise(resolve => setTimeout(resolve, 100))
    expect(bound.collections).toBe(0)
    bound.stop()
    const held = allocate(Math.ceil(Math.max(64 * MB, used() / 2) / MB) + 16)
    await new Promise(resolve => setTimeout(resolve, 100))
    expect(bound.collections).toBe(0)
    expect(held.length).toBeGreaterThan(0)
  })
})
