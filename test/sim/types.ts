import type { Clock } from '../../src/common/clock.js'

/** The 20 Architect flow types, lower case, as the `type` query parameter takes them. */
export const SIM_FLOW_TYPES = [
  'bot',
  'commonmodule',
  'digitalbot',
  'emailsend',
  'inboundcall',
  'inboundchat',
  'inboundemail',
  'inboundshortmessage',
  'inqueuecall',
  'inqueueemail',
  'inqueueshortmessage',
  'outboundcall',
  'securecall',
  'speech',
  'surveyinvite',
  'voice',
  'voicemail',
  'voicesurvey',
  'workflow',
  'workitem'
] as const
export type SimFlowType = (typeof SIM_FLOW_TYPES)[number]

export interface SimOptions {
  /** Default 1; the same seed and options give the same org, byte for byte. */
  seed?: number
  /** Default 40. */
  flows?: number
  /** Defaults derived from flows: queues flows/4, skills flows/3, data actions flows/8 (at least a few each). */
  queues?: number
  skills?: number
  dataActions?: number
  /** Lower-case flow types to generate; default a realistic mix of all 20 (every type present from 20 flows up). */
  flowTypes?: string[]
  /** Default 6000; each flow's YAML is padded with realistic tasks to about this size (±40%). */
  averageFlowBytes?: number
  /** Default 'sim-client' and a fixed 40-character secret. */
  clientId?: string
  clientSecret?: string
  /** Default systemClock. Drives token expiry, rate windows, job progress and download URL expiry. */
  clock?: Clock
  /** API requests per access token per 60 s window; default 300; 0 turns the limit off. */
  rateLimitPerMinute?: number
  /** Logins per client id per 60 s before the token endpoint answers 400; default 20; 0 turns it off. */
  loginsPerMinute?: number
  /** Default 86400. */
  tokenTtlSeconds?: number
  /** Added to every response, through clock.sleep. */
  latencyMs?: number
  faults?: Partial<Faults>
  /** Status polls before a job leaves Started; default 2. */
  exportJobPolls?: number
  /** Sim-clock seconds a job needs besides the polls; default 0. */
  exportJobSeconds?: number
  /** Default 100. */
  maxFlowsPerExportJob?: number
  /** Sim-clock seconds a signed download URL stays valid; default 600. */
  downloadUrlTtlSeconds?: number
  /** Flows never published (no publishedVersion); default about 5%. */
  unpublishedFlows?: number
  /** Give some resources the awkward names (unicode, traversal, reserved device names, ...); default true. */
  awkwardNames?: boolean
  /** TCP port on 127.0.0.1; default 0 (random). */
  port?: number
}

export interface Faults {
  /** Fraction of API requests answered 500/502/503/504 (deterministic from seed and request counter). */
  errorRate: number
  /** Fraction of API requests whose socket is destroyed without a response. */
  resetRate: number
  /** Fraction of API requests answered 200 with truncated JSON (the request itself took effect). */
  malformedRate: number
  /** Fraction of API requests delayed by slowMs of real time. */
  slowRate: number
  slowMs: number
  /** Export jobs holding any of these flows end in Failure. */
  failExportFlowIds: string[]
  /** Creating an export job that names any of these flows answers 400 (the job is never made). */
  rejectExportFlowIds: string[]
  /** Jobs never leave Started. */
  stuckExportJobs: boolean
  /** Every download URL answers this status (403, 404, 500...). */
  downloadStatus: number | null
  /** Zip downloads are truncated. */
  corruptZip: boolean
  /** These flows are missing from zips. */
  zipDropsFlowIds: string[]
  /** Status reported by GET /api/v2/architect/dependencytracking/build. */
  dependencyBuildStatus: string
  /** 403 on GET by id, and left out of listings. */
  forbiddenQueueIds: string[]
  forbiddenSkillIds: string[]
  forbiddenDataActionIds: string[]
  /** Flows in a division the OAuth client cannot see: left out of listings, 403 on GET by id. */
  forbiddenFlowIds: string[]
  /** A stale dependency index: consumedresources flags these ids deleted although they exist. */
  reportedDeletedIds: string[]
  /** Lower-case flow types dependency tracking does not take: consumedresources answers 400 for them. */
  untrackedFlowTypes: string[]
  /** consumedresources of these flows lists one entry twice, counted in `total`, on every read. */
  repeatedDependencyFlowIds: string[]
  /**
   * An index that lacks these flows' current versions: consumedresources answers an empty listing
   * for them, as an index not (yet) built does.
   */
  unindexedFlowIds: string[]
  /**
   * The last index build failed on these flows: the build status lists them in `failedObjects` (id,
   * current version, errorCode) and consumedresources answers an empty listing for them.
   */
  failedIndexFlowIds: string[]
  /** Listings: once per endpoint, a page starts one entity early (repeating one, missing another). */
  pagingShift: boolean
  /** The next `count` API requests get 429 with this Retry-After. */
  forceRateLimit: { count: number; retryAfterSeconds: number } | null
  /**
   * Each access token is revoked once it has served n API requests: the next request with it gets
   * 401 bad.credentials, as when a token expires early or an admin revokes it; 0 turns it off.
   */
  tokenRevokeAfter: number
  /** API endpoints (keys such as 'GET /api/v2/flows') answered 403 missing.permissions. */
  forbiddenEndpoints: string[]
  /** The next `count` export jobs end in Failure with Archy's rate-limit message (exit code 107). */
  failExportJobs: number
  /** The next `count` downloads answer 403 "Request has expired", as a signed URL past its time. */
  expireDownloads: number
  /**
   * These flows are published again right after the first export job naming them is registered,
   * as if someone published in Architect between the listing and the export (each flow once).
   */
  publishDuringExport: string[]
}

export const DEFAULT_FAULTS: Readonly<Faults> = {
  errorRate: 0,
  resetRate: 0,
  malformedRate: 0,
  slowRate: 0,
  slowMs: 0,
  failExportFlowIds: [],
  rejectExportFlowIds: [],
  stuckExportJobs: false,
  downloadStatus: null,
  corruptZip: false,
  zipDropsFlowIds: [],
  dependencyBuildStatus: 'OPERATIONAL',
  forbiddenQueueIds: [],
  forbiddenSkillIds: [],
  forbiddenDataActionIds: [],
  forbiddenFlowIds: [],
  reportedDeletedIds: [],
  untrackedFlowTypes: [],
  repeatedDependencyFlowIds: [],
  unindexedFlowIds: [],
  failedIndexFlowIds: [],
  pagingShift: false,
  forceRateLimit: null,
  tokenRevokeAfter: 0,
  forbiddenEndpoints: [],
  failExportJobs: 0,
  expireDownloads: 0,
  publishDuringExport: []
}

/** Everything one flow refers to, by id. */
export interface SimFlowDeps {
  /** Including deleted queues (see SimOrgView.deletedQueues). */
  queues: string[]
  skills: string[]
  dataActions: string[]
  /** Common modules, in-queue flows and bot flows the flow calls. */
  flows: string[]
  /** Resources the action does not export (prompts, schedule groups, data tables, ...). */
  others: { id: string; name: string; type: string }[]
}

export interface SimFlowInfo {
  id: string
  name: string
  /** Lower case. */
  type: string
  description: string
  division: string
  /** "n.0", or undefined when never published. */
  publishedVersion: string | undefined
  deleted: boolean
  deps: SimFlowDeps
}

export interface SimQueueInfo {
  id: string
  name: string
  division: string
  /** Skills named in bullseye rings, and flows named by queueFlow, emailInQueueFlow, messageInQueueFlow, callback flows. */
  deps: { skills: string[]; flows: string[] }
}

export interface SimSkillInfo {
  id: string
  name: string
}

export interface SimDataActionInfo {
  id: string
  name: string
  category: string
  integrationId: string
  /** Credentials typed into this action's config (also in seededSecrets()). */
  secrets: string[]
  /** A secure data action: dependency tracking lists it as SECUREACTION, not DATAACTION. */
  secure: boolean
}

export interface SimClosure {
  flows: string[]
  queues: string[]
  skills: string[]
  dataActions: string[]
  /** Referenced but deleted (queues, flows, skills soft-deleted by deleteSkill). */
  deleted: string[]
}

export interface SimOrgView {
  readonly orgId: string
  /** Live and deleted flows (see `deleted`). */
  readonly flows: readonly SimFlowInfo[]
  /** Live queues only. */
  readonly queues: readonly SimQueueInfo[]
  /** Queues that flows still name but that no longer exist (GET → 404). */
  readonly deletedQueues: readonly SimQueueInfo[]
  /** Every skill, those soft-deleted by deleteSkill included. */
  readonly skills: readonly SimSkillInfo[]
  readonly dataActions: readonly SimDataActionInfo[]
  flow(id: string): SimFlowInfo | undefined
  queue(id: string): SimQueueInfo | undefined
  /** The bytes an export job returns for this flow (default: its published version). */
  flowYaml(id: string, version?: string): string
  /** The file name an export job gives this flow when no fileName is asked for. */
  exportFileName(id: string, version?: string): string
  /** Everything reachable from these flows: flow → flows/queues/skills/data actions, queue → skills/flows. */
  closure(flowIds: string[]): SimClosure
}

/** One request as the sim counts it, for tests that act at a precise point of a run. */
export interface SimRequestInfo {
  /** Endpoint key, e.g. 'GET /api/v2/flows/{flowId}'. */
  key: string
  /** How many requests of this key the sim has counted, this one included. */
  count: number
  /** The Authorization header as sent (tests check tokens were masked before use). */
  authorization?: string
}

export interface SimStats {
  total: number
  byEndpoint: Record<string, number>
  rateLimited: number
  tokensIssued: number
  /**
   * Faults the sim injected, by kind: 'reset', '500', '502', '503', '504', 'malformed', 'slow',
   * 'revoked', 'forbidden', 'failedJob', 'failedFlow', 'stuckPoll', 'expiredDownload',
   * 'download<status>', 'corruptZip', 'droppedFromZip', 'publishedDuringExport', 'pagingShift'.
   */
  faults: Record<string, number>
}

export interface SimOrg {
  /** http://127.0.0.1:<port>; serves login and API (api-url = login-url = url). */
  url: string
  clientId: string
  clientSecret: string
  clock: Clock
  /** Requests counted by endpoint key, e.g. 'GET /api/v2/flows/{flowId}', 'GET /sim/downloads/{token}'. */
  stats(): SimStats
  resetStats(): void
  setFaults(f: Partial<Faults>): void
  /** Latency added to every response from now on (through the sim's clock). */
  setLatencyMs(ms: number): void
  /** Called for each request as it is counted, before latency and faults; returns an unsubscribe. */
  onRequest(listener: (info: SimRequestInfo) => void): () => void
  /** Every access token the token endpoint has issued, in order (tests check none leaks). */
  issuedTokens(): string[]
  readonly org: SimOrgView
  /** Credentials seeded into data actions, so tests can check they never leak. */
  seededSecrets(): string[]
  /** Publishes a new version ("n.0") whose content differs visibly (description, a prompt text). */
  publishFlow(flowId: string): string
  /** Deep-merges into the queue object (arrays replace). */
  editQueue(queueId: string, patch: Record<string, unknown>): void
  editSkill(skillId: string, patch: Record<string, unknown>): void
  editDataAction(actionId: string, patch: Record<string, unknown>): void
  deleteFlow(flowId: string): void
  deleteQueue(queueId: string): void
  /**
   * Soft-deletes a skill, as Genesys does: its GET and the skill listings still answer 200 with it,
   * `state: "deleted"`; dependency tracking still lists it, not flagged deleted.
   */
  deleteSkill(skillId: string): void
  /** A new flow, published as "1.0"; dependsOn holds ids of queues, skills, data actions or flows. */
  addFlow(spec: { name: string; type: string; dependsOn?: string[] }): string
  close(): Promise<void>
}
