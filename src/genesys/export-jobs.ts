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
  /** Flows per job; default 50. */
  batchSize?: number
  /** First poll delay; later polls back off up to 5 s. Default 1 s. */
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
  | { kind: 'done'; matched: Map<string, Buffer>; reason?: string }
  | { kind: 'failed'; reason: string }
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

/**
 * Exports flows as Archy YAML through batched export jobs. Batches run concurrently (the client
 * paces the requests). A batch that fails (job failure, timeout, refused or corrupt download, flows
 * missing from the zip) is split in halves down to single flows, which are tried a bounded number
 * of times before they are reported in `failed`. Every loop here is bounded.
 */
export async function exportFlows(
  client: GenesysClient,
  flows: FlowToExport[],
  options: ExportFlowsOptions
): Promise<ExportFlowsResult> {
  const log = options.log ?? silentLog
  const clock = client.clock
  const batchSize = Math.max(1, options.batchSize ?? 50)
  const firstPoll = Math.max(1, options.pollIntervalMs ?? 1_000)
  const jobTimeoutMs = options.jobTimeoutMs ?? 600_000
  const singleFlowAttempts = Math.max(1, options.singleFlowAttempts ?? 3)
  const retryDelayMs = Math.max(0, options.retryDelayMs ?? 5_000)
  const jobs = new ConcurrencyLimit(Math.max(1, options.concurrentJobs ?? 4))
  const failed: ExportFlowsResult['failed'] = []
  const delivered = new Set<string>()
  // Once a fatal error (permissions) ends the export, the other batches stop at their next step.
  let fatal: unknown

  // The same flow twice would make two files of one flow.
  const unique = [...new Map(flows.map(f => [f.id, f])).values()]

  const runJob = (batch: FlowToExport[]): Promise<JobOutcome> =>
    jobs.run(async () => {
      if (fatal) throw fatal
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
        return { kind: 'failed', reason: `the export job could not be created: ${err.message}` }
      }
      if (!created?.id) return { kind: 'failed', reason: 'the export job was created without an id' }
      const jobId = created.id

      const started = clock.now()
      let delay = firstPoll
      let state: ExportJobState | undefined
      for (;;) {
        if (clock.now() - started >= jobTimeoutMs) {
          return {
            kind: 'failed',
            reason: `the export job did not finish within ${Math.round(jobTimeoutMs / 1000)} s`
          }
        }
        await clock.sleep(Math.min(delay, Math.max(1, started + jobTimeoutMs - clock.now())))
        delay = Math.min(MAX_POLL_INTERVAL_MS, Math.round(delay * 1.5))
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
          matched: new Map([...matched].map(([id, m]) => [id, m.data])),
          reason: messages ? `missing from the export: ${messages}` : 'missing from the export'
        }
      } catch (err) {
        if (err instanceof CorruptArchiveError)
          return { kind: 'failed', reason: `corrupt download: ${err.message}` }
        throw err
      }
    })

  /** One job for `batch`, re-run while its download URL turns out expired; then the flows it left out. */
  const attempt = async (batch: FlowToExport[]): Promise<{ left: FlowToExport[]; reason: string }> => {
    let outcome = await runJob(batch)
    for (let rerun = 0; outcome.kind === 'expired' && rerun < MAX_EXPIRED_RERUNS; rerun++) {
      log.debug(`Export job of ${batch.length} flow(s): ${outcome.reason}; running it again.`)
      outcome = await runJob(batch)
    }
    if (outcome.kind !== 'done') return { left: batch, reason: outcome.reason }
    for (const flow of batch) {
      const yaml = outcome.matched.get(flow.id)
      if (yaml && !delivered.has(flow.id)) {
        delivered.add(flow.id)
        await options.onFlow(flow, yaml)
      }
    }
    return {
      left: batch.filter(f => !delivered.has(f.id)),
      reason: outcome.reason ?? 'missing from the export'
    }
  }

  const exportOne = async (flow: FlowToExport, firstReason: string): Promise<void> => {
    let reason = firstReason
    for (let tries = 1; tries < singleFlowAttempts; tries++) {
      // Archy reports rate limiting as "could not find the flow"; give it time before the next try.
      const wait = (isArchyRateLimited(reason) ? 3 : 1) * retryDelayMs * tries
      log.debug(
        `Flow '${flow.name}' (${flow.id}) did not export (${reason}); trying again in ${wait / 1000} s.`
      )
      await clock.sleep(wait)
      const result = await attempt([flow])
      if (result.left.length === 0) return
      reason = result.reason
    }
    failed.push({ flow, reason })
  }

  const exportBatch = async (batch: FlowToExport[]): Promise<void> => {
    const { left, reason } = await attempt(batch)
    if (left.length === 0) return
    if (batch.length === 1) return exportOne(left[0], reason)
    if (left.length === 1) {
      // A job that exported all but one already tried that one: go straight to single retries.
      return exportOne(left[0], reason)
    }
    log.debug(`Export job of ${batch.length} flows left ${left.length} out (${reason}); splitting them.`)
    const [a, b] = halves(left)
    await Promise.all([exportBatch(a), exportBatch(b)])
  }

  const batches: FlowToExport[][] = []
  for (let i = 0; i < unique.length; i += batchSize) batches.push(unique.slice(i, i + batchSize))
  await Promise.all(
    batches.map(batch =>
      exportBatch(batch).catch((err: unknown) => {
        fatal ??= err
        throw err
      })
    )
  )

  const order = new Map(unique.map((f, i) => [f.id, i]))
  failed.sort((x, y) => (order.get(x.flow.id) ?? 0) - (order.get(y.flow.id) ?? 0))
  return { failed }
}
