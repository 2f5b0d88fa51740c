import type { GenesysClient } from './client.js'
import type { DataAction, Dependency, Flow, Queue, Skill } from './types.js'

/** Typed calls of the endpoints the export uses. */

export interface ByIdResult<T> {
  found: T[]
  /** Ids the org did not return: 404 (deleted), 403 (not readable by this OAuth client), ... */
  missing: { id: string; status: 403 | 404 | number; reason: string }[]
}

/** Every flow (all pages of 500), optionally only some types (lower or upper case). */
export function listFlows(client: GenesysClient, opts: { types?: string[] } = {}): Promise<Flow[]> {
  const types = (opts.types ?? []).map(t => t.toLowerCase())
  return client.getAllPages<Flow>(
    '/api/v2/flows',
    { type: types.length > 0 ? types : undefined },
    { pageSize: 500, endpoint: 'GET /api/v2/flows' }
  )
}

/** One flow by id: the flow, or { status } when it is gone (404) or not readable (403). */
export function getFlow(client: GenesysClient, id: string): Promise<Flow | { status: number }> {
  return client.request<Flow | { status: number }>('GET', `/api/v2/flows/${encodeURIComponent(id)}`, {
    endpoint: 'GET /api/v2/flows/{flowId}',
    acceptStatus: PROBE_STATUSES
  })
}

/** Dependency-tracking object type of a flow type: INBOUNDCALL → INBOUNDCALLFLOW; WORKFLOW stays WORKFLOW. */
export function flowObjectType(type: string): string {
  const upper = type.toUpperCase()
  return upper === 'WORKFLOW' ? upper : `${upper}FLOW`
}

/**
 * The flow object types the SDK documents for `consumedresources` (its objectType values). Flow
 * types outside it (speech, emailsend) are still asked about, since the list may lag the service,
 * but a refusal for them is expected rather than a sign the request itself is wrong.
 */
const DOCUMENTED_FLOW_OBJECT_TYPES = new Set([
  'BOTFLOW',
  'COMMONMODULEFLOW',
  'DIGITALBOTFLOW',
  'INBOUNDCALLFLOW',
  'INBOUNDCHATFLOW',
  'INBOUNDEMAILFLOW',
  'INBOUNDSHORTMESSAGEFLOW',
  'INQUEUECALLFLOW',
  'INQUEUEEMAILFLOW',
  'INQUEUESHORTMESSAGEFLOW',
  'OUTBOUNDCALLFLOW',
  'SECURECALLFLOW',
  'SURVEYINVITEFLOW',
  'VOICEFLOW',
  'VOICEMAILFLOW',
  'VOICESURVEYFLOW',
  'WORKFLOW',
  'WORKITEMFLOW'
])

/** Whether the SDK documents dependency tracking for flows of this type. */
export function dependencyTrackingDocumented(type: string): boolean {
  return DOCUMENTED_FLOW_OBJECT_TYPES.has(flowObjectType(type))
}

/** What a published flow version uses (all pages), optionally only some resource types. */
export function consumedResources(
  client: GenesysClient,
  flow: { id: string; version: string; type: string },
  resourceTypes?: string[]
): Promise<Dependency[]> {
  return client.getAllPages<Dependency>(
    '/api/v2/architect/dependencytracking/consumedresources',
    {
      id: flow.id,
      version: flow.version,
      objectType: flowObjectType(flow.type),
      resourceType: resourceTypes && resourceTypes.length > 0 ? resourceTypes : undefined
    },
    // 100, as Genesys's own Terraform exporter asks: 500 is vouched for only on flows, queues and skills.
    { pageSize: 100, endpoint: 'GET /api/v2/architect/dependencytracking/consumedresources' }
  )
}

/** The dependency index's state, as GET /api/v2/architect/dependencytracking/build gives it. */
export interface DependencyIndexStatus {
  /** OPERATIONAL, OPERATIONALNEEDSREBUILD, NOTBUILT, BUILDINITIALIZING, BUILDINPROGRESS, ... ('' when not said). */
  status: string
  /** Objects the last build could not index (flows among them): what it says they use is not to be trusted. */
  failedObjects: { id: string; version?: string; errorCode?: string }[]
}

export async function dependencyIndexStatus(client: GenesysClient): Promise<DependencyIndexStatus> {
  const info = await client.request<
    { status?: string; failedObjects?: { id?: string; version?: string; errorCode?: string }[] } | undefined
  >('GET', '/api/v2/architect/dependencytracking/build', {
    endpoint: 'GET /api/v2/architect/dependencytracking/build'
  })
  const failedObjects: DependencyIndexStatus['failedObjects'] = []
  for (const o of Array.isArray(info?.failedObjects) ? info.failedObjects : []) {
    if (typeof o?.id !== 'string' || o.id === '') continue
    failedObjects.push({
      id: o.id,
      ...(typeof o.version === 'string' ? { version: o.version } : {}),
      ...(typeof o.errorCode === 'string' && o.errorCode !== '' ? { errorCode: o.errorCode } : {})
    })
  }
  return { status: typeof info?.status === 'string' ? info.status : '', failedObjects }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

function uniqueIds(ids: readonly string[]): string[] {
  return [...new Set(ids.filter(id => typeof id === 'string' && id !== ''))]
}

export function missingReason(status: number): string {
  if (status === 404) return 'not found (404)'
  if (status === 403)
    return 'forbidden (403): the OAuth client cannot read it (check its roles and divisions)'
  return `unreadable (${status})`
}

interface ByIdSpec<T extends { id: string }> {
  /** Reads one batch of ids; may return fewer than asked. */
  readBatch: (ids: string[]) => Promise<T[]>
  batchSize: number
  /** GET one object: the object, or { status } for 403/404. */
  probe: (id: string) => Promise<T | { status: number }>
  /** An object the org still returns but marks deleted: reported missing, 404 "deleted". */
  deleted?: (entity: T) => boolean
}

export interface ByIdOptions {
  /**
   * Ids dependency tracking reports deleted: read with the others, so one that still exists is
   * found, but when the listing leaves one out it is taken as deleted (404) without its own GET.
   */
  reportedDeleted?: (id: string) => boolean
}

async function readByIds<T extends { id: string }>(
  ids: readonly string[],
  spec: ByIdSpec<T>,
  options: ByIdOptions = {}
): Promise<ByIdResult<T>> {
  const wanted = uniqueIds(ids)
  const found = new Map<string, T>()
  // Ids the org still returns but marks deleted.
  const deleted = new Set<string>()
  await Promise.all(
    chunks(wanted, spec.batchSize).map(async batch => {
      const asked = new Set(batch)
      for (const entity of await spec.readBatch(batch)) {
        // Only what was asked for: a server that ignored the filter must not flood the result.
        if (!entity || !asked.has(entity.id)) continue
        if (spec.deleted?.(entity)) deleted.add(entity.id)
        else found.set(entity.id, entity)
      }
    })
  )
  const missing: ByIdResult<T>['missing'] = []
  // One probe per id the listing left out: tells "deleted" (404) from "not allowed" (403).
  await Promise.all(
    wanted
      .filter(id => !found.has(id) && !deleted.has(id))
      .map(async id => {
        const result = options.reportedDeleted?.(id) ? { status: 404 } : await spec.probe(id)
        if (isStatusOnly(result))
          missing.push({ id, status: result.status, reason: missingReason(result.status) })
        else if (spec.deleted?.(result)) deleted.add(id)
        else found.set(id, result)
      })
  )
  for (const id of deleted) if (!found.has(id)) missing.push({ id, status: 404, reason: 'deleted' })
  const order = new Map(wanted.map((id, i) => [id, i]))
  const byOrder = (a: { id: string }, b: { id: string }): number =>
    (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0)
  return { found: [...found.values()].sort(byOrder), missing: missing.sort(byOrder) }
}

export function isStatusOnly(value: unknown): value is { status: number } {
  return (
    !!value &&
    typeof value === 'object' &&
    typeof (value as { status?: unknown }).status === 'number' &&
    typeof (value as { id?: unknown }).id !== 'string'
  )
}

const PROBE_STATUSES = [403, 404]

/** Queues by id: listings of 100 ids at a time, then one GET per id that did not come back. */
export function getQueuesByIds(
  client: GenesysClient,
  ids: string[],
  options: ByIdOptions = {}
): Promise<ByIdResult<Queue>> {
  return readByIds<Queue>(
    ids,
    {
      batchSize: 100,
      readBatch: batch =>
        client.getAllPages<Queue>(
          '/api/v2/routing/queues',
          { id: batch },
          { pageSize: 500, endpoint: 'GET /api/v2/routing/queues' }
        ),
      probe: id =>
        client.request<Queue | { status: number }>(
          'GET',
          `/api/v2/routing/queues/${encodeURIComponent(id)}`,
          {
            endpoint: 'GET /api/v2/routing/queues/{queueId}',
            acceptStatus: PROBE_STATUSES
          }
        )
    },
    options
  )
}

/** Skills by id: listings of 100 ids at a time, then one GET per id that did not come back. */
export function getSkillsByIds(
  client: GenesysClient,
  ids: string[],
  options: ByIdOptions = {}
): Promise<ByIdResult<Skill>> {
  return readByIds<Skill>(
    ids,
    {
      batchSize: 100,
      readBatch: batch =>
        client.getAllPages<Skill>(
          '/api/v2/routing/skills',
          { id: batch },
          { pageSize: 500, endpoint: 'GET /api/v2/routing/skills' }
        ),
      probe: id =>
        client.request<Skill | { status: number }>(
          'GET',
          `/api/v2/routing/skills/${encodeURIComponent(id)}`,
          {
            endpoint: 'GET /api/v2/routing/skills/{skillId}',
            acceptStatus: PROBE_STATUSES
          }
        ),
      // Skills are soft-deleted: the listing and the GET still answer 200, with state "deleted".
      // Such a skill is gone, as Genesys's Terraform provider takes it.
      deleted: skill => skill.state?.toLowerCase() === 'deleted'
    },
    options
  )
}

const DATA_ACTION_ENDPOINT = 'GET /api/v2/integrations/actions/{actionId}'

function getDataAction(client: GenesysClient, id: string): Promise<DataAction | { status: number }> {
  return client.request<DataAction | { status: number }>(
    'GET',
    `/api/v2/integrations/actions/${encodeURIComponent(id)}`,
    {
      query: { expand: 'contract', includeConfig: true },
      endpoint: DATA_ACTION_ENDPOINT,
      acceptStatus: PROBE_STATUSES,
      // Data actions have no divisions: a 403 for want of the permission is the role's, for all of them.
      refuseCodes: ['missing.permissions']
    }
  )
}

/**
 * Data actions by id with config and contract: one GET with expand=contract each (403/404 reported as
 * missing). The listing cannot stand in for these reads because it never carries the contract, so
 * reading it first would only add requests.
 */
export async function getDataActionsByIds(
  client: GenesysClient,
  ids: string[]
): Promise<ByIdResult<DataAction>> {
  const wanted = uniqueIds(ids)
  const found: DataAction[] = []
  const missing: ByIdResult<DataAction>['missing'] = []
  await Promise.all(
    wanted.map(async id => {
      const result = await getDataAction(client, id)
      if (isStatusOnly(result))
        missing.push({ id, status: result.status, reason: missingReason(result.status) })
      else found.push(result)
    })
  )
  const order = new Map(wanted.map((id, i) => [id, i]))
  const byOrder = (a: { id: string }, b: { id: string }): number =>
    (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0)
  return { found: found.sort(byOrder), missing: missing.sort(byOrder) }
}

/**
 * Listing entries of these data actions (config included, never the contract), 50 ids a request
 * (`ids=a,b`). Ids the listing leaves out are simply absent: deleted, hidden or not readable.
 */
export async function listDataActionsByIds(client: GenesysClient, ids: string[]): Promise<DataAction[]> {
  const wanted = uniqueIds(ids)
  const asked = new Set(wanted)
  const found = new Map<string, DataAction>()
  await Promise.all(
    chunks(wanted, 50).map(async batch => {
      const entities = await client.getAllPages<DataAction>(
        '/api/v2/integrations/actions',
        { ids: batch.join(','), includeConfig: true },
        { pageSize: 100, endpoint: 'GET /api/v2/integrations/actions' }
      )
      // Only what was asked for: a server that ignored the filter must not flood the result.
      for (const entity of entities) if (entity && asked.has(entity.id)) found.set(entity.id, entity)
    })
  )
  return wanted.filter(id => found.has(id)).map(id => found.get(id)!)
}
