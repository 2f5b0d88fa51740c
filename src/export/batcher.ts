/**
 * Collects ids and reads them in batches while other work goes on: a batch starts as soon as `size`
 * ids are waiting, `flush` starts one for the rest, `settle` waits for every batch started so far.
 * The first error of any batch is kept and thrown by `settle` (and reported by `error` at once, so
 * the caller can stop early); batches never reject unobserved.
 */
export class Batcher {
  private waiting: string[] = []
  private readonly seen = new Set<string>()
  private readonly running = new Set<Promise<void>>()
  private failure: { error: unknown } | undefined

  constructor(
    private readonly size: number,
    private readonly read: (ids: string[]) => Promise<void>
  ) {}

  /** Queues an id (once: an id already queued is ignored). */
  add(id: string): void {
    if (this.seen.has(id)) return
    this.seen.add(id)
    this.waiting.push(id)
    if (this.waiting.length >= this.size) this.start(this.waiting.splice(0, this.size))
  }

  has(id: string): boolean {
    return this.seen.has(id)
  }

  /** Starts a batch for the ids still waiting, if any. */
  flush(): void {
    const rest = this.waiting
    this.waiting = []
    for (let i = 0; i < rest.length; i += this.size) this.start(rest.slice(i, i + this.size))
  }

  /** Drops the ids still waiting (a failed run reads no more); batches already started run out. */
  cancel(): void {
    this.waiting = []
  }

  /** Whether anything is waiting or being read. */
  get busy(): boolean {
    return this.waiting.length > 0 || this.running.size > 0
  }

  get error(): { error: unknown } | undefined {
    return this.failure
  }

  /**
   * Flushes and waits until no batch is running; throws the first error. Loops because a batch may
   * add ids; it ends because each id is read at most once.
   */
  async settle(): Promise<void> {
    while (this.busy) {
      this.flush()
      await Promise.all([...this.running])
    }
    if (this.failure) throw this.failure.error
  }

  private start(ids: string[]): void {
    if (ids.length === 0) return
    const task: Promise<void> = this.read(ids)
      .catch((error: unknown) => {
        this.failure ??= { error }
      })
      .finally(() => {
        this.running.delete(task)
      })
    this.running.add(task)
  }
}
