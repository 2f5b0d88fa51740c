/**
 * Flow export jobs, as POST/GET /api/v2/flows/export/jobs run them: a job is Registered, Started
 * while polled, then Success with a signed download URL (or Failure with Archy's messages). The URL
 * needs no bearer token and expires on the sim clock; it serves the one YAML file, or a zip of them.
 *
 * File names: the job's `fileName` when given (path separators and control characters replaced,
 * `.yaml` added unless present), else Archy's `<flow name>_v<major>-0.yaml`, characters no file
 * system takes replaced by `_` and cut to 255 bytes. Two entries of one zip never share a name:
 * the later one gets ` (2)`, ` (3)`... before the extension.
 */
import { zipSync, type Zippable } from 'fflate'
import type { Clock } from '../../src/common/clock.js'
import { badRequest, notFound, type SimRequest, type SimResponse } from './http.js'
import { Rng, unitFor } from './random.js'
import type { FlowRecord, OrgState } from './state.js'
import type { Faults } from './types.js'
import { exportFileName, replaceUnsafe } from './yaml.js'

interface JobFlow {
  flowId: string
  version?: string
  exportType: 'Yaml' | 'Architect'
  fileName?: string
}

interface JobMessage {
  dateTime: string
  type: 'Info' | 'Warning' | 'Error'
  text: string
}

interface Job {
  id: string
  number: number
  createdAt: number
  polls: number
  status: 'Registered' | 'Started' | 'Success' | 'Failure'
  flows: JobFlow[]
  messages: JobMessage[]
  downloadUrl?: string
  /** Versions resolved when the job ran, by index in `flows`. */
  resolved?: { flow: FlowRecord; version: number }[]
}

interface Download {
  jobId: string
  expiresAt: number
}

export interface ExportSettings {
  polls: number
  seconds: number
  maxFlows: number
  downloadTtlSeconds: number
}

export class ExportJobs {
  private readonly jobs = new Map<string, Job>()
  private readonly downloads = new Map<string, Download>()
  private count = 0
  /** Faults injected here, by kind: 'failedJob', 'expiredDownload', 'publishedDuringExport', ... */
  injected: Record<string, number> = {}

  constructor(
    private readonly state: OrgState,
    private readonly clock: Clock,
    private readonly settings: ExportSettings,
    private readonly faults: () => Faults,
    private readonly baseUrl: () => string
  ) {}

  private inject(kind: string): void {
    this.injected[kind] = (this.injected[kind] ?? 0) + 1
  }

  create(req: SimRequest): Record<string, unknown> {
    let body: unknown
    try {
      body = JSON.parse(req.body.toString('utf8') || 'null')
    } catch {
      throw badRequest(req, 'Unable to parse the request body as JSON.')
    }
    const flows = (body as { flows?: unknown } | null)?.flows
    if (!Array.isArray(flows) || flows.length === 0)
      throw badRequest(req, 'The request must name at least one flow in flows.')
    if (flows.length > this.settings.maxFlows)
      throw badRequest(
        req,
        `Too many flows requested for export: ${flows.length} exceeds the limit of ${this.settings.maxFlows}.`
      )
    const parsed: JobFlow[] = flows.map((item: unknown, i) => {
      const e = item as {
        flow?: { id?: unknown; version?: unknown }
        exportType?: unknown
        fileName?: unknown
      } | null
      if (typeof e?.flow?.id !== 'string' || e.flow.id === '')
        throw badRequest(req, `flows[${i}].flow.id is required.`)
      if (e.flow.version !== undefined && typeof e.flow.version !== 'string')
        throw badRequest(req, `flows[${i}].flow.version must be a string.`)
      const type = e.exportType === undefined ? 'yaml' : String(e.exportType).toLowerCase()
      if (type !== 'yaml' && type !== 'architect')
        throw badRequest(
          req,
          `Invalid exportType '${String(e.exportType)}'; valid values are Yaml and Architect.`
        )
      if (e.fileName !== undefined && typeof e.fileName !== 'string')
        throw badRequest(req, `flows[${i}].fileName must be a string.`)
      if (this.faults().rejectExportFlowIds.includes(e.flow.id)) {
        this.inject('rejectedFlow')
        throw badRequest(
          req,
          `flows[${i}]: flow ${e.flow.id} version ${String(e.flow.version)} cannot be exported.`
        )
      }
      return {
        flowId: e.flow.id,
        version: e.flow.version,
        exportType: type === 'yaml' ? 'Yaml' : 'Architect',
        fileName: e.fileName || undefined
      }
    })
    this.count += 1
    const id = new Rng(this.state.seed, 'export-job', this.count).uuid()
    const now = this.clock.now()
    this.jobs.set(id, {
      id,
      number: this.count,
      createdAt: now,
      polls: 0,
      status: 'Registered',
      flows: parsed,
      messages: [
        { dateTime: iso(now), type: 'Info', text: `Export job registered with ${parsed.length} flow(s).` }
      ]
    })
    // The publishDuringExport fault: someone publishes in Architect while this job waits to run.
    const faults = this.faults()
    if (faults.publishDuringExport.length > 0) {
      const due = new Set(parsed.map(p => p.flowId).filter(fid => faults.publishDuringExport.includes(fid)))
      faults.publishDuringExport = faults.publishDuringExport.filter(fid => !due.has(fid))
      for (const fid of due) {
        const flow = this.state.flowById.get(fid)
        if (flow && !flow.deleted) {
          this.state.publishFlow(fid)
          this.inject('publishedDuringExport')
        }
      }
    }
    return { id, status: 'Registered', totalFlows: parsed.length, selfUri: `/api/v2/flows/export/jobs/${id}` }
  }

  poll(req: SimRequest, jobId: string): Record<string, unknown> {
    const job = this.jobs.get(jobId)
    if (!job) throw notFound(req, `Export job ${jobId} not found.`)
    job.polls += 1
    const now = this.clock.now()
    if (job.status === 'Registered' || job.status === 'Started') {
      const due = job.polls >= this.settings.polls && now - job.createdAt >= this.settings.seconds * 1000
      if (this.faults().stuckExportJobs && due) this.inject('stuckPoll')
      if (this.faults().stuckExportJobs || !due) {
        if (job.status === 'Registered')
          job.messages.push({ dateTime: iso(now), type: 'Info', text: 'Export started.' })
        job.status = 'Started'
      } else this.finish(job, now)
    }
    const out: Record<string, unknown> = { id: job.id, status: job.status, command: 'Export' }
    if (job.downloadUrl) out.downloadUrl = job.downloadUrl
    const expand = req.query.getAll('expand').flatMap(v => v.split(','))
    if (expand.includes('messages')) out.messages = job.messages
    out.selfUri = `/api/v2/flows/export/jobs/${job.id}`
    return out
  }

  private finish(job: Job, now: number): void {
    const faults = this.faults()
    const resolved: { flow: FlowRecord; version: number }[] = []
    const errors: string[] = []
    if (faults.failExportJobs > 0) {
      // Archy's way of reporting that it was rate limited, for every flow of the job.
      faults.failExportJobs -= 1
      this.inject('failedJob')
      for (const entry of job.flows)
        errors.push(
          `Failed to export flow '${entry.flowId}': could not find the flow. Archy exited with exit code 107.`
        )
    }
    job.flows.forEach((entry, i) => {
      const flow = this.state.flowById.get(entry.flowId)
      if (!flow || flow.deleted) {
        errors.push(`Failed to export flow '${entry.flowId}': could not find the flow.`)
        return
      }
      const label = `'${flow.name}' (${flow.type})`
      if (faults.failExportFlowIds.includes(flow.id)) {
        this.inject('failedFlow')
        errors.push(
          `Failed to export flow ${label}: could not find the flow '${flow.name}' of type ${flow.type}. Archy exited with exit code 107.`
        )
        return
      }
      if (flow.version === 0) {
        errors.push(`Failed to export flow ${label}: the flow has no published version.`)
        return
      }
      const version = flow.version
      if (entry.version === undefined) {
        // Naming the flow without a version fails now and then on the real service.
        if (unitFor(this.state.seed, 'versionless', job.number, i) < 0.3) {
          errors.push(
            `Failed to export flow '${flow.id}': could not find the flow. Archy exited with exit code 107.`
          )
          return
        }
      } else if (entry.version !== `${flow.version}.0`) {
        errors.push(`Failed to export flow ${label}: version '${entry.version}' could not be found.`)
        return
      }
      resolved.push({ flow, version })
    })
    if (errors.length > 0) {
      job.status = 'Failure'
      for (const text of errors) job.messages.push({ dateTime: iso(now), type: 'Error', text })
      job.messages.push({ dateTime: iso(now), type: 'Error', text: 'Export failed.' })
      return
    }
    job.status = 'Success'
    job.resolved = resolved
    const token = new Rng(this.state.seed, 'download', job.number).hex(48)
    this.downloads.set(token, { jobId: job.id, expiresAt: now + this.settings.downloadTtlSeconds * 1000 })
    const expires = Math.floor((now + this.settings.downloadTtlSeconds * 1000) / 1000)
    job.downloadUrl = `${this.baseUrl()}/sim/downloads/${token}?X-Amz-Expires=${this.settings.downloadTtlSeconds}&Expires=${expires}&Signature=${new Rng(this.state.seed, 'signature', job.number).hex(40)}`
    job.messages.push({ dateTime: iso(now), type: 'Info', text: `Exported ${resolved.length} flow(s).` })
  }

  download(token: string): SimResponse {
    const faults = this.faults()
    const d = this.downloads.get(token)
    if (!d) return s3Error(404, 'NoSuchKey', 'The specified key does not exist.')
    if (faults.downloadStatus !== null && faults.downloadStatus !== undefined) {
      this.inject(`download${faults.downloadStatus}`)
      return s3Error(
        faults.downloadStatus,
        faults.downloadStatus === 404
          ? 'NoSuchKey'
          : faults.downloadStatus === 403
            ? 'AccessDenied'
            : 'InternalError',
        'Simulated download failure.'
      )
    }
    if (faults.expireDownloads > 0) {
      faults.expireDownloads -= 1
      this.inject('expiredDownload')
      return s3Error(403, 'AccessDenied', 'Request has expired')
    }
    if (this.clock.now() >= d.expiresAt) return s3Error(403, 'AccessDenied', 'Request has expired')
    const job = this.jobs.get(d.jobId) as Job
    const files = (job.resolved ?? []).map(({ flow, version }, i) => {
      const entry = job.flows[i]
      const yaml = this.state.flowYaml(flow, version)
      const architect = entry.exportType === 'Architect'
      const ext = architect ? `i3${flow.type[0].toUpperCase()}${flow.type.slice(1)}` : 'yaml'
      const name = entry.fileName
        ? requestedFileName(entry.fileName, ext)
        : exportFileName(flow.name, version, ext)
      const content = architect
        ? JSON.stringify({
            name: flow.name,
            type: flow.type.toUpperCase(),
            version: `${version}.0`,
            flowDocument: yaml
          })
        : yaml
      return { flowId: flow.id, name, bytes: new TextEncoder().encode(content) }
    })
    if (files.length === 1) {
      const [f] = files
      return {
        status: 200,
        headers: {
          'content-type': 'application/octet-stream',
          'content-disposition': contentDisposition(f.name),
          'content-length': String(f.bytes.length)
        },
        body: f.bytes
      }
    }
    const zip: Zippable = {}
    const used = new Set<string>()
    const mtime = new Date(job.createdAt)
    for (const f of files) {
      if (faults.zipDropsFlowIds.includes(f.flowId)) {
        this.inject('droppedFromZip')
        continue
      }
      let name = f.name
      // Unique even where file systems fold case or Unicode forms.
      const key = (x: string): string => x.normalize('NFC').toLowerCase()
      for (let n = 2; used.has(key(name)); n++) name = f.name.replace(/(\.[^.]+)$/, ` (${n})$1`)
      used.add(key(name))
      zip[name] = [f.bytes, { mtime }]
    }
    let bytes: Uint8Array = zipSync(zip, { level: 6, mtime })
    if (faults.corruptZip) {
      this.inject('corruptZip')
      bytes = bytes.slice(0, Math.floor(bytes.length * 0.6))
    }
    return {
      status: 200,
      headers: {
        'content-type': 'application/zip',
        'content-disposition': contentDisposition(`flows-export-${job.id}.zip`),
        'content-length': String(bytes.length)
      },
      body: bytes
    }
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString()
}

function requestedFileName(fileName: string, ext: string): string {
  const safe = replaceUnsafe(fileName, '/\\')
  return /\.(ya?ml|i3\w+)$/i.test(safe) ? safe : `${safe}.${ext}`
}

function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_')
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`
}

function s3Error(status: number, code: string, message: string): SimResponse {
  return {
    status,
    headers: { 'content-type': 'application/xml' },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>SIM0000000000000</RequestId></Error>`
  }
}
