import v8 from 'node:v8'
import vm from 'node:vm'

/**
 * V8 lets the old generation fill with garbage long before it collects it: in a rerun over 5,000
 * flows the old space grew from 15 MB to 67 MB with about 37 MB live, and no major collection came
 * before the end. An action cannot pass V8 flags (the runner starts `node dist/index.js`), so the
 * run collects itself once the heap has grown well past what the last collection left.
 */

type Collect = () => void

let collector: Collect | null | undefined

/** V8's `gc`, reached the way test runners reach it; null where the engine refuses. */
export function heapCollector(): Collect | null {
  if (collector !== undefined) return collector
  try {
    v8.setFlagsFromString('--expose-gc')
    // The flag applies to contexts made after it: a fresh one carries `gc`.
    const gc: unknown = vm.runInNewContext('gc')
    collector = typeof gc === 'function' ? (gc as Collect) : null
  } catch {
    collector = null
  } finally {
    v8.setFlagsFromString('--no-expose-gc')
  }
  return collector
}

export interface HeapBound {
  /** Collections this bound has started. */
  readonly collections: number
  stop(): void
}

const MB = 1024 * 1024

/**
 * Whether a heap of `used` bytes has grown enough past `floor` (what the last collection left) to
 * collect: by `minGrowth`, or by half the floor once that is more, so a large live heap is not
 * collected over and over for little gain.
 */
export function heapGrewPast(used: number, floor: number, minGrowth: number): boolean {
  return used - floor >= Math.max(minGrowth, floor / 2)
}

export interface HeapBoundOptions {
  /** Default 16 MB. */
  minGrowthBytes?: number
  /** Default 200 ms. */
  intervalMs?: number
  /** Bytes of the heap in use; default V8's own figure. */
  heapUsed?: () => number
  /** Default heapCollector(); null turns the bound off. */
  collect?: Collect | null
}

/**
 * Checks the heap every `intervalMs` and collects once heapGrewPast says so. The timer never keeps
 * the process alive.
 */
export function boundHeapGrowth(options: HeapBoundOptions = {}): HeapBound {
  const minGrowth = options.minGrowthBytes ?? 16 * MB
  const collect = options.collect === undefined ? heapCollector() : options.collect
  const used = options.heapUsed ?? ((): number => v8.getHeapStatistics().used_heap_size)
  let collections = 0
  if (!collect) return { collections, stop: () => undefined }
  let floor = used()
  const timer = setInterval(() => {
    if (!heapGrewPast(used(), floor, minGrowth)) return
    collect()
    collections++
    floor = used()
  }, options.intervalMs ?? 200)
  timer.unref()
  return {
    get collections() {
      return collections
    },
    stop: () => clearInterval(timer)
  }
}
