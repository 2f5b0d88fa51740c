/**
 * Entities as the API returns them (typed with the official SDK's models), including the values
 * that change from one read to the next in the real service: member counts, the order of some
 * arrays, skill versions.
 */
import type { Models } from 'purecloud-platform-client-v2'
import { Rng } from './random.js'
import {
  flowObjectType,
  type DataActionRecord,
  type FlowRecord,
  type Json,
  type OrgState,
  type QueueRecord,
  type SkillRecord
} from './state.js'

const SCHEMA_TYPES = new Set(['workflow', 'commonmodule', 'bot', 'digitalbot', 'workitem'])

function userRef(u: { id: string; name: string }): Models.User {
  return { id: u.id, name: u.name, selfUri: `/api/v2/users/${u.id}`, version: 1 }
}

function flowVersion(
  f: FlowRecord,
  major: number,
  type: 'PUBLISH' | 'SAVE' | 'CHECKIN',
  date: number
): Models.FlowVersion {
  const id = `${major}.0`
  const v: Models.FlowVersion = {
    id,
    name: f.name,
    commitVersion: id,
    configurationVersion: id,
    type,
    secure: f.type === 'securecall',
    debug: false,
    createdBy: userRef(f.publishedBy),
    configurationUri: `/api/v2/flows/${f.id}/versions/${id}/configuration`,
    dateCreated: date,
    generationId: String(major * 7 + 3),
    selfUri: `/api/v2/flows/${f.id}/versions/${id}`
  }
  if (type === 'PUBLISH') {
    v.publishResultUri = `/api/v2/flows/${f.id}/versions/${id}/publishresult`
    v.datePublished = new Date(date).toISOString()
  }
  return v
}

const SCHEMA: Models.JsonSchemaDocument = {
  $schema: 'http://json-schema.org/draft-04/schema#',
  type: 'object',
  properties: { 'Flow.customerId': { type: 'string' } }
}

export function flowJson(f: FlowRecord, opts: { includeSchemas: boolean }): Models.Flow {
  const flow: Models.Flow = {
    id: f.id,
    name: f.name,
    division: {
      id: f.division.id,
      name: f.division.name,
      selfUri: `/api/v2/authorization/divisions/${f.division.id}`
    },
    description: f.description,
    type: f.type.toUpperCase()
  }
  if (f.lockedUser) flow.lockedUser = userRef(f.lockedUser)
  flow.active = f.version > 0
  flow.system = false
  flow.deleted = f.deleted
  if (f.version > 0) flow.publishedVersion = flowVersion(f, f.version, 'PUBLISH', f.datePublished)
  const draft = f.version + (f.hasDraft ? 1 : 0)
  if (draft > 0) {
    flow.savedVersion = flowVersion(
      f,
      draft,
      'SAVE',
      f.hasDraft ? f.datePublished + 3_600_000 : f.datePublished
    )
    flow.checkedInVersion = flowVersion(
      f,
      draft,
      'CHECKIN',
      f.hasDraft ? f.datePublished + 3_600_000 : f.datePublished
    )
  }
  if (opts.includeSchemas && SCHEMA_TYPES.has(f.type)) {
    flow.inputSchema = SCHEMA
    flow.outputSchema = SCHEMA
  }
  if (f.version > 0) flow.publishedBy = userRef(f.publishedBy)
  flow.supportedLanguages = [{ language: 'en-us', isDefault: true }]
  if (f.type === 'commonmodule')
    flow.compatibleFlowTypes = ['INBOUNDCALL', 'INQUEUECALL', 'OUTBOUNDCALL', 'SECURECALL']
  flow.selfUri = `/api/v2/flows/${f.id}`
  return flow
}

interface RefLike {
  id?: string
  name?: string
}

/** A queue as read now: current names of what it points at, fresh member counts, arrays in today's order. */
export function queueJson(state: OrgState, q: QueueRecord): Models.Queue {
  q.reads += 1
  const rng = new Rng(state.seed, 'queue-read', q.id, q.reads)
  const body = structuredClone(q.body) as Json & Models.Queue
  const rename = (ref: RefLike | undefined): void => {
    const name = ref?.id ? state.nameOf(ref.id) : undefined
    if (ref && name !== undefined) ref.name = name
  }
  for (const ring of body.bullseye?.rings ?? []) {
    for (const s of ring.actions?.skillsToRemove ?? []) rename(s)
    if (ring.actions?.skillsToRemove) ring.actions.skillsToRemove = rng.shuffle(ring.actions.skillsToRemove)
  }
  for (const ref of [
    body.queueFlow,
    body.emailInQueueFlow,
    body.messageInQueueFlow,
    body.mediaSettings?.callback?.liveVoiceFlow,
    body.mediaSettings?.callback?.answeringMachineFlow
  ])
    rename(ref)
  const memberCount = q.baseMembers + rng.int(0, 4)
  const userMemberCount = Math.max(0, memberCount - rng.int(0, 2))
  const counts = { memberCount, userMemberCount, joinedMemberCount: rng.int(0, userMemberCount) }
  if (Array.isArray(body.memberGroups))
    body.memberGroups = rng.shuffle(body.memberGroups).map(g => ({ ...g, memberCount: rng.int(1, 40) }))
  // Member counts sit after createdBy, as in the real payload.
  const out: Json = {}
  for (const [k, v] of Object.entries(body)) {
    out[k] = v
    if (k === 'createdBy') Object.assign(out, counts)
  }
  if (!('memberCount' in out)) Object.assign(out, counts)
  return out as Models.Queue
}

export function skillJson(s: SkillRecord): Models.RoutingSkill {
  s.reads += 1
  const body = structuredClone(s.body) as Json & Models.RoutingSkill
  // The skill's version moves with background activity on the real service.
  body.version = String(Number(body.version ?? '1') + (s.reads % 3))
  if (body.dateModified)
    body.dateModified = new Date(Date.parse(body.dateModified) + (s.reads % 3) * 1000).toISOString()
  return body
}

export function actionJson(a: DataActionRecord, opts: { contract: boolean; config: boolean }): Models.Action {
  const b = a.body as Json & Models.Action
  const out: Models.Action = { id: b.id, name: b.name, integrationId: b.integrationId, category: b.category }
  if (opts.contract && b.contract) out.contract = structuredClone(b.contract)
  out.version = b.version
  out.secure = b.secure
  if (opts.config && b.config) out.config = structuredClone(b.config)
  out.selfUri = b.selfUri
  // Fields added by editDataAction that the base layout does not know are kept.
  for (const [k, v] of Object.entries(b))
    if (!(k in out) && k !== 'contract' && k !== 'config') (out as Json)[k] = structuredClone(v)
  return out
}

/** What dependency tracking says a flow consumes: its direct references, current names, deleted ones flagged. */
export function consumedResources(state: OrgState, f: FlowRecord): Models.Dependency[] {
  const out: Models.Dependency[] = []
  const entry = (id: string, name: string, type: string, extra: Partial<Models.Dependency> = {}): void => {
    out.push({
      id,
      name,
      ...(extra.version ? { version: extra.version } : {}),
      type,
      deleted: extra.deleted ?? false,
      updated: false,
      stateUnknown: extra.stateUnknown ?? false,
      selfUri: `/api/v2/architect/dependencytracking/objects/${id}`
    })
  }
  for (const id of f.deps.queues) {
    const q = state.queueById.get(id)
    entry(id, (q?.body.name as string) ?? f.pinnedNames[id] ?? id, 'QUEUE', { deleted: !q || q.deleted })
  }
  for (const id of f.deps.skills) entry(id, state.nameOf(id) ?? f.pinnedNames[id] ?? id, 'ACDSKILL')
  // A secure data action is its own dependency type (flows call it with callDataSecure).
  for (const id of f.deps.dataActions)
    entry(
      id,
      state.nameOf(id) ?? f.pinnedNames[id] ?? id,
      state.actionById.get(id)?.body.secure === true ? 'SECUREACTION' : 'DATAACTION'
    )
  for (const id of f.deps.flows) {
    const target = state.flowById.get(id)
    entry(id, target?.name ?? f.pinnedNames[id] ?? id, flowObjectType(target?.type ?? 'commonmodule'), {
      version: target && target.version > 0 ? `${target.version}.0` : undefined,
      deleted: !target || target.deleted
    })
  }
  for (const o of f.deps.others) {
    const rec = state.otherById.get(o.id)
    entry(o.id, o.name, o.type, { stateUnknown: rec?.stateUnknown ?? false })
  }
  const order = (d: Models.Dependency): string =>
    `${d.type}\u0000${(d.name ?? '').toLowerCase()}\u0000${d.id}`
  return out.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0))
}

export function organizationJson(state: OrgState): Models.Organization {
  return {
    id: state.orgId,
    name: 'Simulated Org',
    defaultLanguage: 'en',
    defaultCountryCode: 'US',
    thirdPartyOrgName: 'simulated-org',
    domain: 'simulated-org',
    version: 12,
    state: 'active',
    voicemailEnabled: true,
    productPlatform: 'PureCloud',
    selfUri: `/api/v2/organizations/${state.orgId}`
  }
}
