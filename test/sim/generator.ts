/**
 * Builds the seeded org: divisions, users, skills, queues (some deleted), data actions (some with
 * credentials typed into them), prompts, schedule groups and data tables, and flows of every type
 * with realistic references between them. Same seed and options, same org.
 */
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Clock } from '../../src/common/clock.js'
import {
  AWKWARD_NAMES,
  NameBook,
  areaName,
  dataActionName,
  flowName,
  queueName,
  sentence,
  skillName,
  type AwkwardKind
} from './names.js'
import { Rng } from './random.js'
import {
  OrgState,
  type DataActionRecord,
  type FlowRecord,
  type Json,
  type OtherRecord,
  type QueueRecord,
  type Ref
} from './state.js'
import { fixturesFor, type FixtureInfo } from './templates.js'
import { SIM_FLOW_TYPES, type SimFlowDeps, type SimFlowType } from './types.js'

export interface GenerateOptions {
  seed: number
  flows: number
  queues: number
  skills: number
  dataActions: number
  flowTypes: SimFlowType[]
  averageFlowBytes: number
  unpublishedFlows: number
  awkwardNames: boolean
  clock: Clock
}

/** How common each type is in a typical org. */
const TYPE_WEIGHTS: Readonly<Record<SimFlowType, number>> = {
  inboundcall: 20,
  inqueuecall: 12,
  commonmodule: 12,
  workflow: 12,
  inboundshortmessage: 7,
  inboundemail: 4,
  bot: 4,
  digitalbot: 3,
  inboundchat: 2,
  inqueueemail: 2,
  inqueueshortmessage: 4,
  outboundcall: 3,
  securecall: 2,
  voicemail: 2,
  workitem: 3,
  surveyinvite: 2,
  voicesurvey: 2,
  emailsend: 2,
  speech: 1,
  voice: 2
}

/** Types that route to queues (1-4 queues each); the others name 0-2 (found, not transferred to). */
const ROUTING_TYPES = new Set<SimFlowType>([
  'inboundcall',
  'inqueuecall',
  'inboundshortmessage',
  'inboundchat',
  'inqueueshortmessage',
  'inboundemail',
  'inqueueemail',
  'outboundcall',
  'securecall',
  'voicemail',
  'speech',
  'voice',
  'workitem',
  'commonmodule'
])

const IN_QUEUE_FOR: Partial<Record<SimFlowType, SimFlowType>> = {
  inboundcall: 'inqueuecall',
  securecall: 'inqueuecall',
  voice: 'inqueuecall',
  inboundshortmessage: 'inqueueshortmessage',
  inboundchat: 'inqueueshortmessage',
  inboundemail: 'inqueueemail'
}

const HOME_EPOCH = Date.UTC(2024, 0, 1)
const DAY = 86_400_000

interface DataActionTemplate {
  name: string
  integrationType: string
  config: Json
  contract: Json
  secure: boolean
}

const DA_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'data-actions')
let daTemplates: DataActionTemplate[] | undefined
/** The real data action exports the sim serves (stored with a .txt suffix), parsed once. */
export function dataActionTemplates(): DataActionTemplate[] {
  daTemplates ??= readdirSync(DA_DIR)
    .filter(f => f.endsWith('.json.txt'))
    .sort()
    .map(f => JSON.parse(readFileSync(path.join(DA_DIR, f), 'utf8')) as DataActionTemplate)
  return daTemplates
}

const INTEGRATIONS = [
  { name: 'Genesys Cloud Data Actions', type: 'purecloud-data-actions' },
  { name: 'Web Services Data Actions', type: 'custom-rest-actions' },
  { name: 'CRM Connector', type: 'custom-rest-actions' },
  { name: 'Intégration "Legacy" / CRM', type: 'custom-rest-actions' }
]

const PROMPTS = [
  'Welcome_Greeting',
  'Closed_Message',
  'Holiday_Message',
  'Hold_Music_Jazz',
  'Survey_Intro',
  'Emergency_Notice'
]
const SCHEDULE_GROUPS = [
  'Business Hours US',
  'Business Hours EMEA',
  'Holidays 2025',
  'Weekend Support',
  'Emergency Closures'
]
const DATA_TABLES = ['ANI Blocklist', 'Holiday Calendar', 'VIP Customers', 'Branch Directory', 'IVR Cache']

function awkward(kind: AwkwardKind, enabled: boolean): typeof AWKWARD_NAMES {
  return enabled ? AWKWARD_NAMES.filter(a => a.kind === kind) : []
}

export function generateOrg(o: GenerateOptions): OrgState {
  const root = new Rng(o.seed, 'org')
  const divisions: Ref[] = ['Home', 'Sales', 'Customer Care EU', 'Shared Services'].map(name => ({
    id: root.uuid(),
    name
  }))
  const users: Ref[] = ['Ada Lovelace', 'Grace Hopper', 'Alan Turing', 'Integration Bot'].map(name => ({
    id: root.uuid(),
    name
  }))
  const state = new OrgState(o.seed, root.uuid(), divisions, users, o.clock)
  const pickDivision = (rng: Rng): Ref => (rng.chance(0.6) ? divisions[0] : rng.pick(divisions))
  const date = (rng: Rng, fromDays = 0, toDays = 600): number =>
    HOME_EPOCH + rng.int(fromDays, toDays) * DAY + rng.int(0, DAY - 1)

  // Skills.
  const skillNames = new NameBook()
  const awkwardSkills = awkward('skill', o.awkwardNames).slice(0, Math.ceil(o.skills * 0.6))
  for (let i = 0; i < o.skills; i++) {
    const rng = new Rng(o.seed, 'skill', i)
    const name = i < awkwardSkills.length ? awkwardSkills[i].name : skillNames.fresh(() => skillName(rng))
    skillNames.reserve(name)
    const id = rng.uuid()
    state.addSkillRecord({
      id,
      reads: 0,
      body: {
        id,
        name,
        ...(rng.chance(0.5)
          ? { division: { id: divisions[0].id, name: divisions[0].name, selfUri: divUri(divisions[0]) } }
          : {}),
        state: 'active',
        dateModified: new Date(date(rng)).toISOString(),
        version: String(rng.int(1, 9)),
        selfUri: `/api/v2/routing/skills/${id}`
      }
    })
  }

  // Prompts, schedule groups and data tables: named by flows, tracked, never exported.
  const addOthers = (type: string, names: string[]): void =>
    names.forEach((name, i) => {
      const rng = new Rng(o.seed, 'other', type, i)
      state.addOtherRecord({ id: rng.uuid(), name, type, stateUnknown: rng.chance(0.1) })
    })
  addOthers('USERPROMPT', PROMPTS)
  addOthers('SCHEDULEGROUP', SCHEDULE_GROUPS)
  addOthers('DATATABLE', DATA_TABLES)

  // Data actions.
  const integrations = INTEGRATIONS.map((x, i) => ({ ...x, id: new Rng(o.seed, 'integration', i).uuid() }))
  const actionNames = new NameBook()
  const awkwardActions = awkward('dataAction', o.awkwardNames).slice(0, Math.ceil(o.dataActions * 0.6))
  const templates = dataActionTemplates()
  for (let i = 0; i < o.dataActions; i++) {
    const rng = new Rng(o.seed, 'data-action', i)
    const template = templates[i % templates.length]
    const secretKind =
      i < SECRET_KINDS.length ? i : rng.chance(0.2) ? rng.int(0, SECRET_KINDS.length - 1) : -1
    let name: string
    if (i < awkwardActions.length) name = awkwardActions[i].name
    else if (i < awkwardActions.length + templates.length && !actionNames.has(template.name))
      name = template.name
    else name = actionNames.fresh(() => dataActionName(rng))
    actionNames.reserve(name)
    const integration =
      secretKind >= 0
        ? integrations[rng.chance(0.5) ? 1 : 2]
        : (integrations.find(x => x.type === template.integrationType && rng.chance(0.7)) ??
          rng.pick(integrations))
    const config = structuredClone(template.config) as { request: Json; response: Json }
    const secrets: string[] = []
    if (secretKind >= 0) secrets.push(...SECRET_KINDS[secretKind](config.request, rng))
    const id = `custom_-_${rng.uuid()}`
    const record: DataActionRecord = {
      id,
      secrets,
      inputs: Object.keys(((template.contract.input as Json)?.inputSchema as Json)?.properties ?? {}),
      outputs: Object.keys(((template.contract.output as Json)?.successSchema as Json)?.properties ?? {}),
      body: {
        id,
        name,
        integrationId: integration.id,
        category: integration.name,
        contract: structuredClone(template.contract),
        version: rng.int(1, 6),
        secure: template.secure || rng.chance(0.05),
        config,
        selfUri: `/api/v2/integrations/actions/${id}`
      }
    }
    state.addActionRecord(record)
  }

  // Flows: names and types first (awkward ones, then one of every type, then a weighted mix).
  const flowSpecs: { name: string; type: SimFlowType }[] = []
  const allowed = new Set(o.flowTypes)
  const fallbackType = (t: string | undefined): SimFlowType =>
    t && allowed.has(t as SimFlowType) ? (t as SimFlowType) : o.flowTypes[0]
  const names = new Map<SimFlowType, NameBook>()
  const book = (t: SimFlowType): NameBook => {
    let b = names.get(t)
    if (!b) names.set(t, (b = new NameBook()))
    return b
  }
  const taken = new Set<string>()
  for (const a of awkward('flow', o.awkwardNames)) {
    if (flowSpecs.length >= Math.ceil(o.flows * 0.6)) break
    const type = fallbackType(a.flowType)
    if (taken.has(`${type}\u0000${a.name}`)) continue
    taken.add(`${type}\u0000${a.name}`)
    book(type).reserve(a.name)
    flowSpecs.push({ name: a.name, type })
  }
  const awkwardCount = flowSpecs.length
  const typeRng = new Rng(o.seed, 'flow-types')
  const present = new Set(flowSpecs.map(s => s.type))
  const byWeight = [...o.flowTypes].sort((a, b) => TYPE_WEIGHTS[b] - TYPE_WEIGHTS[a])
  for (const t of byWeight)
    if (!present.has(t) && flowSpecs.length < o.flows) flowSpecs.push({ name: '', type: t })
  const weights = o.flowTypes.map(t => [t, TYPE_WEIGHTS[t]] as const)
  while (flowSpecs.length < o.flows) flowSpecs.push({ name: '', type: typeRng.weighted(weights) })
  flowSpecs.forEach((spec, i) => {
    const rng = new Rng(o.seed, 'flow-name', i)
    if (!spec.name) spec.name = book(spec.type).fresh(() => flowName(rng, spec.type))
  })

  // Which flows were never published: leaf types only, since nothing may call an unpublished flow.
  const leafTypes = new Set<SimFlowType>([
    'inboundcall',
    'workflow',
    'inboundshortmessage',
    'inboundemail',
    'outboundcall',
    'workitem'
  ])
  const unpublished = new Set(
    new Rng(o.seed, 'unpublished')
      .shuffle(
        flowSpecs.map((s, i) => ({ s, i })).filter(x => leafTypes.has(x.s.type) && x.i >= awkwardCount)
      )
      .slice(0, o.unpublishedFlows)
      .map(x => x.i)
  )

  const flows: FlowRecord[] = flowSpecs.map((spec, i) => {
    const rng = new Rng(o.seed, 'flow', i)
    const id = rng.uuid()
    const version = unpublished.has(i) ? 0 : rng.int(1, 12)
    const created = date(rng, 0, 300)
    return {
      id,
      name: spec.name,
      type: spec.type,
      description: `${areaName(rng)} ${spec.type} flow. ${sentence(rng)}`,
      division: pickDivision(rng),
      version,
      fixture: '',
      targetBytes: Math.round(o.averageFlowBytes * (0.6 + 0.8 * rng.next())),
      deps: { queues: [], skills: [], dataActions: [], flows: [], others: [] },
      pinnedNames: {},
      dateCreated: created,
      datePublished: created + rng.int(1, 200) * DAY,
      publishedBy: rng.pick(users),
      ...(rng.chance(0.1) ? { lockedUser: rng.pick(users) } : {}),
      hasDraft: version === 0 || rng.chance(0.2),
      deleted: false
    }
  })
  // Published flows by type: only published flows can be called or used by a queue.
  const publishedByType = new Map<SimFlowType, FlowRecord[]>()
  for (const f of flows) {
    if (f.version === 0) continue
    const list = publishedByType.get(f.type)
    if (list) list.push(f)
    else publishedByType.set(f.type, [f])
  }
  const ofType = (type: SimFlowType): FlowRecord[] => publishedByType.get(type) ?? []

  // Queues (live ones first, then a few already deleted that flows still name).
  const queueNames = new NameBook()
  const awkwardQueues = awkward('queue', o.awkwardNames).slice(0, Math.ceil(o.queues * 0.6))
  const deletedCount = Math.max(1, Math.round(o.queues * 0.1))
  const skillIds = state.skills.map(s => s.id)
  for (let i = 0; i < o.queues + deletedCount; i++) {
    const rng = new Rng(o.seed, 'queue', i)
    const deleted = i >= o.queues
    const name =
      !deleted && i < awkwardQueues.length
        ? awkwardQueues[i].name
        : queueNames.fresh(() => (deleted ? `${areaName(rng)} Legacy` : queueName(rng)))
    queueNames.reserve(name)
    const id = rng.uuid()
    const ref = (f: FlowRecord | undefined): Json | undefined =>
      f ? { id: f.id, name: f.name, selfUri: `/api/v2/flows/${f.id}` } : undefined
    const pickFlow = (p: number, type: SimFlowType): FlowRecord | undefined => {
      const pool = ofType(type)
      return pool.length > 0 && rng.chance(p) ? rng.pick(pool) : undefined
    }
    const record: QueueRecord = {
      id,
      deleted,
      reads: 0,
      baseMembers: rng.int(0, 60),
      body: queueBody(rng, {
        id,
        name,
        division: pickDivision(rng),
        users,
        skills: rng
          .sample(skillIds, rng.int(0, 3))
          .map(s => state.skillById.get(s) as { id: string; body: Json }),
        queueFlow: ref(pickFlow(0.7, 'inqueuecall')),
        messageInQueueFlow: ref(pickFlow(0.35, 'inqueueshortmessage')),
        emailInQueueFlow: ref(pickFlow(0.25, 'inqueueemail')),
        callbackFlow: ref(pickFlow(0.1, 'outboundcall')),
        whisperPrompt: rng.chance(0.2) ? state.others.find(x => x.type === 'USERPROMPT') : undefined,
        created: date(rng, 0, 200)
      })
    }
    state.addQueueRecord(record)
  }
  const liveQueues = state.queues.filter(q => !q.deleted)
  const deletedQueues = state.queues.filter(q => q.deleted)

  // Each flow's references, and a fixture that names no more kinds than the org has.
  const modules = ofType('commonmodule')
  const flowIndex = new Map(flows.map((f, i) => [f, i]))
  const actionIds = state.dataActions.map(a => a.id)
  const others = (type: string): OtherRecord[] => state.others.filter(x => x.type === type)
  flows.forEach((f, i) => {
    const rng = new Rng(o.seed, 'flow-deps', i)
    // Skewed picks: a few popular queues, a long tail, some never used (as in real orgs).
    const popular = <T>(list: T[]): T => list[Math.floor(list.length * rng.next() ** 2)]
    const pickDistinct = <T>(list: T[], count: number): T[] => {
      const out = new Set<T>()
      for (let k = 0; k < count * 4 && out.size < Math.min(count, list.length); k++) out.add(popular(list))
      return [...out]
    }
    // A module calls only earlier modules, so module calls never loop.
    const myModules = f.type === 'commonmodule' ? modules.filter(m => (flowIndex.get(m) ?? 0) < i) : modules
    const bots = ofType('bot')
    const inQueueType = IN_QUEUE_FOR[f.type]
    const inQueues = inQueueType ? ofType(inQueueType) : []
    const available: Record<string, number> = {
      q: liveQueues.length,
      s: skillIds.length,
      da: state.dataActions.length,
      dai: state.dataActions.length,
      cm: myModules.length,
      bot: bots.length,
      iq: inQueues.length,
      dt: others('DATATABLE').length
    }
    const usable = (fx: FixtureInfo): boolean =>
      Object.entries(fx.counts).every(
        ([k, n]) => n === 0 || k === 'name' || k === 'desc' || k === 'div' || available[k] > 0
      )
    // Prefer fixtures that leave room for generated tasks, so sizes average out near the target.
    const candidates = fixturesFor(f.type).filter(usable)
    const fitting = candidates.filter(c => c.bytes <= f.targetBytes * 0.8)
    const smallest = [...candidates].sort((a, b) => a.bytes - b.bytes).slice(0, 1)
    const fixture = fitting.length > 0 ? rng.pick(fitting) : smallest.length > 0 ? smallest[0] : undefined
    f.fixture = fixture?.file ?? 'minimal'
    const need = (k: keyof FixtureInfo['counts']): number => (fixture && fixture.counts[k] > 0 ? 1 : 0)

    const deps: SimFlowDeps = f.deps
    const queueCount = ROUTING_TYPES.has(f.type) ? rng.int(1, 4) : rng.int(need('q'), 2)
    deps.queues = pickDistinct(liveQueues, Math.max(queueCount, need('q'))).map(q => q.id)
    if (deletedQueues.length > 0 && rng.chance(0.1)) deps.queues.push(rng.pick(deletedQueues).id)
    deps.skills = pickDistinct(skillIds, Math.max(need('s'), rng.chance(0.5) ? rng.int(1, 2) : 0))
    deps.dataActions = pickDistinct(actionIds, Math.max(need('da'), rng.int(0, 3)))
    const flowRefs = new Set<string>()
    const moduleCount = Math.max(need('cm'), rng.chance(0.45) ? rng.int(1, 2) : 0)
    for (const m of rng.sample(myModules, moduleCount)) flowRefs.add(m.id)
    if (need('bot') && bots.length > 0) flowRefs.add(rng.pick(bots).id)
    if (inQueues.length > 0 && (need('iq') || rng.chance(0.3))) flowRefs.add(rng.pick(inQueues).id)
    deps.flows = [...flowRefs]
    const otherRefs: OtherRecord[] = []
    if (need('dt')) otherRefs.push(rng.pick(others('DATATABLE')))
    for (let k = rng.int(0, 3); k > 0; k--) otherRefs.push(rng.pick(state.others))
    deps.others = [...new Map(otherRefs.map(x => [x.id, { id: x.id, name: x.name, type: x.type }])).values()]
  })

  for (const f of flows) state.addFlowRecord(f)
  for (const f of flows) state.pinNames(f)
  return state
}

function divUri(d: Ref): string {
  return `/api/v2/authorization/divisions/${d.id}`
}

interface QueueSpec {
  id: string
  name: string
  division: Ref
  users: Ref[]
  skills: { id: string; body: Json }[]
  queueFlow?: Json
  messageInQueueFlow?: Json
  emailInQueueFlow?: Json
  callbackFlow?: Json
  whisperPrompt?: OtherRecord
  created: number
}

/** A Models.Queue as GET /api/v2/routing/queues/{id} returns it, minus the member counts. */
function queueBody(rng: Rng, q: QueueSpec): Json {
  const serviceLevel = { percentage: rng.pick([0.8, 0.9, 0.75]), durationMs: rng.pick([20000, 30000, 60000]) }
  const media = (alerting: number): Json => ({
    enableAutoAnswer: false,
    alertingTimeoutSeconds: alerting,
    serviceLevel,
    autoAnswerAlertToneSeconds: 2,
    manualAnswerAlertToneSeconds: 1
  })
  const skillRefs = q.skills.map(s => ({
    id: s.id,
    name: s.body.name,
    selfUri: `/api/v2/routing/skills/${s.id}`
  }))
  const rings: Json[] = []
  const ringCount = Math.max(1, Math.min(skillRefs.length + 1, rng.int(1, 4)))
  for (let r = 0; r < ringCount - 1; r++) {
    rings.push({
      expansionCriteria: [{ type: 'TIMEOUT_SECONDS', threshold: (r + 1) * 15 }],
      actions: { skillsToRemove: r === ringCount - 2 ? skillRefs.slice(r) : skillRefs.slice(r, r + 1) }
    })
  }
  rings.push({ expansionCriteria: [] })
  const callback: Json = {
    ...media(30),
    mode: 'AgentFirst',
    enableAutoDialAndEnd: false,
    autoDialDelaySeconds: 300,
    autoEndDelaySeconds: 300
  }
  if (q.callbackFlow) {
    callback.liveVoiceReactionType = 'TransferToFlow'
    callback.liveVoiceFlow = q.callbackFlow
    callback.answeringMachineReactionType = 'TransferToFlow'
    callback.answeringMachineFlow = q.callbackFlow
  }
  const groupTypes = ['GROUP', 'TEAM', 'SKILLGROUP']
  const memberGroups = Array.from({ length: rng.int(0, 3) }, (_, k) => ({
    id: rng.uuid(),
    name: `${q.name.slice(0, 40)} ${groupTypes[k % 3] === 'TEAM' ? 'Team' : 'Group'} ${k + 1}`,
    type: groupTypes[k % 3],
    selfUri: `/api/v2/groups/${rng.uuid()}`
  }))
  const creator = rng.pick(q.users)
  const body: Json = {
    id: q.id,
    name: q.name,
    division: { id: q.division.id, name: q.division.name, selfUri: divUri(q.division) },
    description: rng.chance(0.5) ? `Handles ${q.name} interactions.` : '',
    dateCreated: new Date(q.created).toISOString(),
    dateModified: new Date(q.created + rng.int(0, 300) * DAY).toISOString(),
    modifiedBy: rng.pick(q.users).id,
    createdBy: creator.id,
    mediaSettings: {
      call: media(8),
      callback,
      chat: media(30),
      email: media(300),
      message: { ...media(30), enableInactivityTimeout: false }
    },
    routingRules: [{ operator: 'MEETS_THRESHOLD', threshold: 9, waitSeconds: 300 }],
    bullseye: { rings },
    scoringMethod: 'TimestampAndPriority',
    lastAgentRoutingMode: 'Disabled',
    acwSettings: {
      wrapupPrompt: rng.pick(['MANDATORY_TIMEOUT', 'OPTIONAL', 'MANDATORY']),
      timeoutMs: rng.pick([30000, 60000, 120000])
    },
    skillEvaluationMethod: rng.pick(['ALL', 'BEST', 'NONE']),
    memberGroups,
    autoAnswerOnly: false,
    enableTranscription: rng.chance(0.3),
    enableAudioMonitoring: false,
    enableManualAssignment: rng.chance(0.2),
    suppressInQueueCallRecording: true,
    selfUri: `/api/v2/routing/queues/${q.id}`
  }
  if (q.queueFlow) body.queueFlow = q.queueFlow
  if (q.emailInQueueFlow) body.emailInQueueFlow = q.emailInQueueFlow
  if (q.messageInQueueFlow) body.messageInQueueFlow = q.messageInQueueFlow
  if (q.whisperPrompt)
    body.whisperPrompt = {
      id: q.whisperPrompt.id,
      name: q.whisperPrompt.name,
      selfUri: `/api/v2/architect/prompts/${q.whisperPrompt.id}`
    }
  if (rng.chance(0.3)) {
    body.callingPartyName = q.name.slice(0, 30)
    body.callingPartyNumber = `+1317555${String(rng.int(0, 9999)).padStart(4, '0')}`
  }
  return body
}

type SecretKind = (request: Json, rng: Rng) => string[]

/** Ways people type credentials into data actions, as seen in public exports. */
const SECRET_KINDS: readonly SecretKind[] = [
  (req, rng) => {
    const token = `eyJhbGciOiJIUzI1NiJ9.${rng.token(36)}`
    req.headers = { ...(req.headers as Json), Authorization: `Bearer ${token}` }
    return [token]
  },
  (req, rng) => {
    const key = rng.hex(40)
    req.headers = { ...(req.headers as Json), 'x-api-key': key }
    return [key]
  },
  (req, rng) => {
    const session = rng.token(32)
    req.headers = { ...(req.headers as Json), Cookie: `SESSIONID=${session}; theme=dark` }
    return [session]
  },
  (req, rng) => {
    const password = `Pw${rng.token(22)}`
    req.requestUrlTemplate = `https://svc_integration:${password}@crm.example.com/api/v1/customers?phone=\${input.ani}`
    return [password]
  },
  (req, rng) => {
    const key = `ak_${rng.token(30)}`
    req.requestUrlTemplate = `https://api.example.com/v2/lookup?api_key=${key}&q=\${input.query}`
    return [key]
  },
  (req, rng) => {
    const password = `Sec${rng.token(20)}`
    const basic = Buffer.from(`api-user:${password}`).toString('base64')
    req.headers = { ...(req.headers as Json), Authorization: `Basic ${basic}` }
    return [basic]
  },
  (req, rng) => {
    const secret = rng.token(40)
    req.requestTemplate = JSON.stringify({
      grant_type: 'client_credentials',
      client_id: 'genesys-sim',
      client_secret: secret
    })
    return [secret]
  }
]

export function defaultCounts(flows: number): { queues: number; skills: number; dataActions: number } {
  return {
    queues: Math.max(20, Math.ceil(flows / 4)),
    skills: Math.max(8, Math.ceil(flows / 3)),
    dataActions: Math.max(10, Math.ceil(flows / 8))
  }
}

export const ALL_FLOW_TYPES: readonly SimFlowType[] = SIM_FLOW_TYPES
