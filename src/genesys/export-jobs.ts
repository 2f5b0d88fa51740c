import type { Clock } from '../common/clock.js'
import { silentLog, type Log } from '../common/log.js'
import { ConcurrencyLimit } from './budget.js'
import { DOWNLOAD_ENDPOINT, type GenesysClient } from './client.js'
import { GenesysApiError, stripUrlQueries } from './errors.js'
import { CorruptArchiveError, matchEntriesToFlows, readExportDownload } from './export-archive.js'
import type { ExportJobCreated, ExportJobState } from './types.js'

export interface FlowToExport {
  id: string
  /** Published version id ("3.0"); a job naming the id alone fails at random. */
  version: string
  name: string
  type: string
}

export interface ExportFlowsOptions {
  /**
   * Most flows per job; default 100. The API documents no maximum (the SDK's RegisterArchitectExportJob
   * has none); 100 keeps a zip of 50 KB flows near 5 MB. A job the API refuses for its size is split.
   */
  batchSize?: number
  /**
   * First poll delay; later polls back off up to 5 s. Default 1 s. Once jobs have finished, the first
   * poll of the next job waits for most of the time they took, so a slow Archy costs few polls.
   */
  pollIntervalMs?: number
  /** Per job; default 10 min, after which the job counts as failed. */
  jobTimeoutMs?: number
  /** Export jobs running at once; default 4 (each costs polls from the shared budget). */
  concurrentJobs?: number
  /** Tries for a flow exported on its own before it is reported failed; default 3. */
  singleFlowAttempts?: number
  /**
   * Wait before the n-th retry of a single flow is n times this; default 5 s, tripled when Archy
   * reported rate limiting ("could not find the flow ... exit code 107").
   */
  retryDelayMs?: number
  /** Called once per exported flow with its YAML. */
  onFlow: (flow: FlowToExport, yaml: Buffer) => Promise<void>
  log?: Log
}

export interface ExportFlowsResult {
  failed: { flow: FlowToExport; reason: string }[]
}

const JOBS_ENDPOINT = 'POST /api/v2/flows/export/jobs'
const JOB_ENDPOINT = 'GET /api/v2/flows/export/jobs/{jobId}'
const MAX_POLL_INTERVAL_MS = 5_000
/** Re-runs of a job whose download URL was refused (expired) before the batch counts as failed. */
const MAX_EXPIRED_RERUNS = 2

/** Archy's way of saying it was rate limited. */
export function isArchyRateLimited(reason: string): boolean {
  return /could not find the flow/i.test(reason) || /exit code:?\s*107\b/i.test(reason)
}

type JobOutcome =
  | { kind: 'done'; matched: Map<string, { readonly data: Buffer }>; reason?: string }
  | { kind: 'failed'; reason: string; refused?: boolean }
  | { kind: 'expired'; reason: string }

/**
 * Errors that no re-run or split can fix, so they end the export at once: the OAuth client's token
 * or permissions (401/403), or the API out of reach even after the client's own retries.
 */
function isFatal(err: unknown): err is GenesysApiError {
  if (!(err instanceof GenesysApiError) || err.endpoint === DOWNLOAD_ENDPOINT) return false
  return err.status === 401 || err.status === 403 || err.status === undefined
}

/** Splits `items` in two halves (the first one the larger). */
function halves<T>(items: T[]): [T[], T[]] {
  const middle = Math.ceil(items.length / 2)
  return [items.slice(0, middle), items.slice(middle)]
}

/** Splits `items` into `ceil(length / size)` runs of nearly equal length, in order. */
function evenBatches<T>(items: T[], size: number): T[][] {
  if (items.length === 0) return []
  const count = Math.ceil(items.length / size)
  const out: T[][] = []
  for (let i = 0, start = 0; i < count; i++) {
    const end = start + Math.ceil((items.length - start) / (count - i))
    out.push(items.slice(start, end))
    start = end
  }
  return out
}

/** Longest first poll delay learnt from earlier jobs: a job slower than this is polled with backoff. */
const MAX_LEARNT_FIRST_POLL_MS = 30_000

/**
 * Exports flows as Archy YAML through batched export jobs, taking flows while other work goes on:
 * `add` queues flows and starts a job for each full batch, `flush` starts one for what is left,
 * `finish` flushes and waits for every job. Jobs run concurrently (the client paces the requests).
 * A batch that fails (job failure, timeout, refused or corrupt download, flows missing from the zip)
 * is split in halves down to single flows, which are tried a bounded number of times before they
 * are reported in `failed`. Every loop here is bounded.
 */
export class FlowExportQueue {
  private readonly log: Log
  private readonly clock: Clock
  private readonly batchSize: number
  private readonly firstPoll: number
  private readonly jobTimeoutMs: number
  private readonly singleFlowAttempts: number
  private readonly retryDelayMs: number
  private readonly jobs: ConcurrencyLimit
  private readonly failed: ExportFlowsResult['failed'] = []
  private readonly delivered = new Set<string>()
  /** Every flow taken, in order (the same flow twice would make two files of one flow). */
  private readonly order = new Map<string, number>()
  private readonly taken: FlowToExport[] = []
  private pending: FlowToExport[] = []
  private readonly running: Promise<void>[] = []
  /** Milliseconds the last successful job took from creation to Success, when one has. */
  private learntJobMs: number | undefined
  /** Once a fatal error (permissions) ends the export, the other batches stop at their next step. */
  private fatalError: unknown
  private finished = false
  /**
   * Lowered once the API refused to create a job (400) and then took each half of it: a limit on
   * flows per job, so larger batches are split first. A flow the API will not take is refused in
   * one half only, and must not shrink every later job (4 requests a flow instead of 4 a hundred).
   */
  private maxJobFlows = Infinity

  constructor(
    private readonly client: GenesysClient,
    private readonly options: ExportFlowsOptions
  ) {
    this.log = options.log ?? silentLog
    this.clock = client.clock
    this.batchSize = Math.max(1, options.batchSize ?? 100)
    this.firstPoll = Math.max(1, options.pollIntervalMs ?? 1_000)
    this.jobTimeoutMs = options.jobTimeoutMs ?? 600_000
    this.singleFlowAttempts = Math.max(1, options.singleFlowAttempts ?? 3)
    this.retryDelayMs = Math.max(0, options.retryDelayMs ?? 5_000)
    this.jobs = new ConcurrencyLimit(Math.max(1, options.concurrentJobs ?? 4))
  }

  /** The error that ended the export early (a permission problem, the API out of reach), if any. */
  get fatal(): unknown {
    return this.fatalError
  }

  /** Flows taken so far. */
  get size(): number {
    return this.order.size
  }

  /** Every flow taken, in the order taken. */
  flows(): FlowToExport[] {
    return [...this.taken]
  }

  /** Ends the export early: jobs stop at their next step and `finish` throws `reason`. */
  abort(reason: unknown): void {
    this.fatalError ??= reason
  }

  /** Takes flows (a flow already taken is ignored); starts a job for each full batch. */
  add(flows: Iterable<FlowToExport>): void {
    if (this.finished) throw new Error('FlowExportQueue: add after finish')
    for (const flow of flows) {
      if (this.order.has(flow.id)) continue
      this.order.set(flow.id, this.order.size)
      this.taken.push(flow)
      this.pending.push(flow)
    }
    while (this.pending.length >= this.batchSize) this.start(this.pending.splice(0, this.batchSize))
  }

  /** Starts jobs for the flows still waiting for a full batch, in batches of nearly equal size. */
  flush(): void {
    const rest = this.pending
    this.pending = []
    for (const batch of evenBatches(rest, this.batchSize)) this.start(batch)
  }

  /** Flushes, waits for every job, and returns the flows that could not be exported; throws a fatal error. */
  async finish(): Promise<ExportFlowsResult> {
    this.flush()
    this.finished = true
    // Jobs started while waiting (none: add is closed) would be missed, so wait on a snapshot of all.
    await Promise.all(this.running)
    if (this.fatalError !== undefined) throw this.fatalError
    const failed = [...this.failed]
    failed.sort((x, y) => (this.order.get(x.flow.id) ?? 0) - (this.order.get(y.flow.id) ?? 0))
    return { failed }
  }

  private start(batch: FlowToExport[]): void {
    if (batch.length === 0) return
    this.running.push(
      this.exportBatch(batch).then(
        () => undefined,
        (err: unknown) => {
          this.fatalError ??= err
        }
      )
    )
  }

  /** First poll delay: the configured one, or most of what finished jobs took. */
  private firstPollDelay(): number {
    if (this.learntJobMs === undefined) return this.firstPoll
    return Math.max(this.firstPoll, Math.min(MAX_LEARNT_FIRST_POLL_MS, Math.round(this.learntJobMs * 0.75)))
  }

  private runJob(batch: FlowToExport[]): Promise<JobOutcome> {
    return this.jobs.run(async () => {
      try {
        return await this.jobSteps(batch)
      } catch (err) {
        // Recorded before the slot is handed on, so the next job in line sees it and does not start.
        if (isFatal(err)) this.fatalError ??= err
        throw err
      }
    })
  }

  private async jobSteps(batch: FlowToExport[]): Promise<JobOutcome> {
    const { client, clock } = this
    if (this.fatalError !== undefined) throw this.fatalError
    // The API refused a job this large meanwhile: split without asking again.
    if (batch.length > this.maxJobFlows)
      return { kind: 'failed', reason: 'more flows than the API took in one export job' }
    let created: ExportJobCreated
    try {
      created = await client.request<ExportJobCreated>('POST', '/api/v2/flows/export/jobs', {
        endpoint: JOBS_ENDPOINT,
        body: {
          flows: batch.map(f => ({
            flow: { id: f.id, version: f.version },
            exportType: 'Yaml',
            fileName: f.id
          }))
        }
      })
    } catch (err) {
      if (isFatal(err) || !(err instanceof GenesysApiError)) throw err
      // Too many flows for one job (no documented maximum), or a flow the API will not take:
      // exportBatch tells them apart by how the halves fare.
      return {
        kind: 'failed',
        reason: `the export job could not be created: ${err.message}`,
        refused: err.status === 400
      }
    }
    if (!created?.id) return { kind: 'failed', reason: 'the export job was created without an id' }
    const jobId = created.id

    const started = clock.now()
    const deadline = started + this.jobTimeoutMs
    let wait = this.firstPollDelay()
    let delay = this.firstPoll
    let state: ExportJobState | undefined
    for (;;) {
      if (clock.now() >= deadline) {
        return {
          kind: 'failed',
          reason: `the export job did not finish within ${Math.round(this.jobTimeoutMs / 1000)} s`
        }
      }
      await clock.sleep(Math.min(wait, Math.max(1, deadline - clock.now())))
      delay = Math.min(MAX_POLL_INTERVAL_MS, Math.round(delay * 1.5))
      wait = delay
      if (this.fatalError !== undefined) throw this.fatalError
      try {
        state = await client.request<ExportJobState>(
          'GET',
          `/api/v2/flows/export/jobs/${encodeURIComponent(jobId)}`,
          {
            endpoint: JOB_ENDPOINT,
            query: { expand: 'messages' }
          }
        )
      } catch (err) {
        if (isFatal(err) || !(err instanceof GenesysApiError)) throw err
        return { kind: 'failed', reason: `the export job could not be read: ${err.message}` }
      }
      const status = (state?.status ?? '').toLowerCase()
      if (status === 'success' || status === 'failure') break
    }

    const messages = stripUrlQueries(
      (state?.messages ?? [])
        .map(m => m.text)
        .filter((t): t is string => !!t)
        .join('; ')
    )
    if ((state?.status ?? '').toLowerCase() === 'failure') {
      return { kind: 'failed', reason: `the export job failed${messages ? `: ${messages}` : ''}` }
    }
    this.learntJobMs = clock.now() - started
    if (!state?.downloadUrl)
      return { kind: 'failed', reason: 'the export job succeeded without a download URL' }

    let download: { body: Buffer; contentType: string; fileName?: string }
    try {
      download = await client.download(state.downloadUrl)
    } catch (err) {
      if (!(err instanceof GenesysApiError)) throw err
      const reason = `the download was refused (${err.status ?? err.code ?? 'error'})`
      return err.status === 403 || err.status === 404 || err.status === 410
        ? { kind: 'expired', reason }
        : { kind: 'failed', reason: `the download failed: ${err.message}` }
    }
    try {
      const entries = readExportDownload(download.body, download.contentType, download.fileName)
      const { matched } = matchEntriesToFlows(entries, batch)
      return {
        kind: 'done',
        matched,
        reason: messages ? `missing from the export: ${messages}` : 'missing from the export'
      }
    } catch (err) {
      if (err instanceof CorruptArchiveError)
        return { kind: 'failed', reason: `corrupt download: ${err.message}` }
      throw err
    }
  }

  /** One job for `batch`, re-run while its download URL turns out expired; then the flows it left out. */
  private async attempt(
    batch: FlowToExport[]
  ): Promise<{ left: FlowToExport[]; reason: string; refused?: boolean }> {
    let outcome = await this.runJob(batch)
    for (let rerun = 0; outcome.kind === 'expired' && rerun < MAX_EXPIRED_RERUNS; rerun++) {
      this.log.debug(`Export job of ${batch.length} flow(s): ${outcome.reason}; running it again.`)
      outcome = await this.runJob(batch)
    }
    if (outcome.kind !== 'done')
      return { left: batch, reason: outcome.reason, refused: outcome.kind === 'failed' && outcome.refused }
    for (const flow of batch) {
      const entry = outcome.matched.get(flow.id)
      if (!entry || this.delivered.has(flow.id)) continue
      // One flow's bytes at a time: inflated here, handed on, let go.
      let yaml: Buffer
      try {
        yaml = entry.data
      } catch (err) {
        if (err instanceof CorruptArchiveError) continue // left out: exported again on its own
        throw err
      }
      this.delivered.add(flow.id)
      await this.options.onFlow(flow, yaml)
    }
    return {
      left: batch.filter(f => !this.delivered.has(f.id)),
      reason: outcome.reason ?? 'missing from the export'
    }
  }

  private async exportOne(flow: FlowToExport, firstReason: string): Promise<void> {
    let reason = firstReason
    for (let tries = 1; tries < this.singleFlowAttempts; tries++) {
      // Archy reports rate limiting as "could not find the flow"; give it time before the next try.
      const wait = (isArchyRateLimited(reason) ? 3 : 1) * this.retryDelayMs * tries
      this.log.debug(
        `Flow '${flow.name}' (${flow.id}) did not export (${reason}); trying again in ${wait / 1000} s.`
      )
      await this.clock.sleep(wait)
      const result = await this.attempt([flow])
      if (result.left.length === 0) return
      reason = result.reason
    }
    this.failed.push({ flow, reason })
  }

  /** Exports `batch`, splitting what is left out; false when the API refused to create its job (400). */
  private async exportBatch(batch: FlowToExport[]): Promise<boolean> {
    if (batch.length > this.maxJobFlows) {
      const [a, b] = halves(batch)
      await Promise.all([this.exportBatch(a), this.exportBatch(b)])
      return true
    }
    const { left, reason, refused } = await this.attempt(batch)
    if (left.length === 0) return true
    if (batch.length === 1 || left.length === 1) {
      // A job that exported all but one already tried that one: go straight to single retries.
      await this.exportOne(left[0], reason)
      return !refused
    }
    this.log.debug(`Export job of ${batch.length} flows left ${left.length} out (${reason}); splitting them.`)
    const [a, b] = halves(left)
    const taken = await Promise.all([this.exportBatch(a), this.exportBatch(b)])
    // Refused whole, taken in halves: too many flows for one job; later batches stay at this size.
    if (refused && taken[0] && taken[1]) this.maxJobFlows = Math.min(this.maxJobFlows, a.length)
    return !refused
  }
}

/** Exports `flows` (see FlowExportQueue) and returns the ones that could not be exported. */
export async function exportFlows(
  client: GenesysClient,
  flows: FlowToExport[],
  options: ExportFlowsOptions
): Promise<ExportFlowsResult> {
  const queue = new FlowExportQueue(client, options)
  queue.add(flows)
  return queue.finish()
}
