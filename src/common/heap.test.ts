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

describe('heapCollector', () => {
  test('is reachable on this Node, so the bound is active where the benchmark measures it', () => {
    expect(typeof heapCollector()).toBe('function')
    // The flag is turned off again: code loaded later sees no global gc.
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined()
  })

  test('frees what has become garbage', () => {
    const collect = heapCollector()!
    const held = [allocate(64)]
    collect()
    const withHeld = used()
    expect(held[0].length).toBe(64 * 1024)
    held.length = 0
    collect()
    expect(withHeld - used()).toBeGreaterThan(48 * MB)
  })
})

describe('boundHeapGrowth', () => {
  /** A heap whose size the test sets, and a collector that shrinks it to `live`. */
  function fakeHeap(start: number): { heap: { used: number; live: number }; collect: () => void } {
    const heap = { used: start, live: start }
    return { heap, collect: () => void (heap.used = heap.live) }
  }

  test('collects once the heap has grown past the bound, and measures the next growth from what is left', async () => {
    const { heap, collect } = fakeHeap(20 * MB)
    const bound = boundHeapGrowth({
      minGrowthBytes: 16 * MB,
      intervalMs: 5,
      heapUsed: () => heap.used,
      collect
    })
    try {
      heap.used = 30 * MB
      await new Promise(resolve => setTimeout(resolve, 50))
      expect(bound.collections).toBe(0)
      heap.live = 24 * MB
      heap.used = 37 * MB
      await waitFor(() => bound.collections === 1)
      expect(heap.used).toBe(24 * MB)
      // From a floor of 24 MB, 16 MB more is needed again.
      heap.used = 39 * MB
      await new Promise(resolve => setTimeout(resolve, 50))
      expect(bound.collections).toBe(1)
      heap.used = 40 * MB
      await waitFor(() => bound.collections === 2)
    } finally {
      bound.stop()
    }
  })

  test('stop() ends the checks', async () => {
    const { heap, collect } = fakeHeap(20 * MB)
    const bound = boundHeapGrowth({ intervalMs: 5, heapUsed: () => heap.used, collect })
    bound.stop()
    heap.used = 500 * MB
    await new Promise(resolve => setTimeout(resolve, 50))
    expect(bound.collections).toBe(0)
  })

  test('without a collector it does nothing', async () => {
    const bound = boundHeapGrowth({ intervalMs: 5, heapUsed: () => 500 * MB, collect: null })
    await new Promise(resolve => setTimeout(resolve, 30))
    expect(bound.collections).toBe(0)
    bound.stop()
  })
})
