/**
 * The simulated org's state: every flow, queue, skill and data action, what refers to what, and the
 * mutations tests use to change the org between runs. Entity JSON is rendered from here by
 * entities.ts; flow YAML by yaml.ts.
 */
import type { Clock } from '../../src/common/clock.js'
import { Rng } from './random.js'
import { fixturesFor, MINIMAL_FIXTURE } from './templates.js'
import { exportFileName, renderFlowYaml, type FlowRenderInput } from './yaml.js'
import type {
  SimClosure,
  SimDataActionInfo,
  SimFlowDeps,
  SimFlowInfo,
  SimFlowType,
  SimOrgView,
  SimQueueInfo,
  SimSkillInfo
} from './types.js'

export type Json = Record<string, unknown>
export interface Ref {
  id: string
  name: string
}

export interface FlowRecord {
  id: string
  name: string
  type: SimFlowType
  description: string
  division: Ref
  /** Published version major; 0 = never published. */
  version: number
  fixture: string
  targetBytes: number
  deps: SimFlowDeps
  /** Names of the dependencies as of the published version: what its YAML says. */
  pinnedNames: Record<string, string>
  dateCreated: number
  datePublished: number
  publishedBy: Ref
  lockedUser?: Ref
  /** Saved or checked-in changes not yet published. */
  hasDraft: boolean
  deleted: boolean
}

export interface QueueRecord {
  id: string
  /** The Models.Queue object without the values that change between reads (member counts). */
  body: Json
  deleted: boolean
  reads: number
  baseMembers: number
}

export interface SkillRecord {
  id: string
  body: Json
  reads: number
}

export interface DataActionRecord {
  id: string
  /** The full action: base fields, config and contract. */
  body: Json
  secrets: string[]
  /** Contract property names at creation: what flows pass and read. */
  inputs: string[]
  outputs: string[]
}

export interface OtherRecord {
  id: string
  name: string
  /** Dependency type: USERPROMPT, SCHEDULEGROUP, DATATABLE. */
  type: string
  stateUnknown: boolean
}

export const flowObjectType = (type: string): string =>
  type === 'workflow' ? 'WORKFLOW' : `${type.toUpperCase()}FLOW`

export class OrgState {
  readonly flows: FlowRecord[] = []
  readonly queues: QueueRecord[] = []
  readonly skills: SkillRecord[] = []
  readonly dataActions: DataActionRecord[] = []
  readonly others: OtherRecord[] = []
  readonly flowById = new Map<string, FlowRecord>()
  readonly queueById = new Map<string, QueueRecord>()
  readonly skillById = new Map<string, SkillRecord>()
  readonly actionById = new Map<string, DataActionRecord>()
  readonly otherById = new Map<string, OtherRecord>()
  /** Bumped on every mutation, so cached sorted listings know to rebuild. */
  generation = 0

  constructor(
    readonly seed: number,
    readonly orgId: string,
    readonly divisions: Ref[],
    readonly users: Ref[],
    readonly clock: Clock
  ) {}

  addFlowRecord(f: FlowRecord): void {
    this.flows.push(f)
    this.flowById.set(f.id, f)
    this.generation++
  }
  addQueueRecord(q: QueueRecord): void {
    this.queues.push(q)
    this.queueById.set(q.id, q)
    this.generation++
  }
  addSkillRecord(s: SkillRecord): void {
    this.skills.push(s)
    this.skillById.set(s.id, s)
    this.generation++
  }
  addActionRecord(a: DataActionRecord): void {
    this.dataActions.push(a)
    this.actionById.set(a.id, a)
    this.generation++
  }
  addOtherRecord(o: OtherRecord): void {
    this.others.push(o)
    this.otherById.set(o.id, o)
  }

  /** The current name of any resource by id, or undefined. */
  nameOf(id: string): string | undefined {
    const f = this.flowById.get(id)
    if (f) return f.name
    const q = this.queueById.get(id)
    if (q) return q.body.name as string
    const s = this.skillById.get(id)
    if (s) return s.body.name as string
    const a = this.actionById.get(id)
    if (a) return a.body.name as string
    return this.otherById.get(id)?.name
  }

  pinNames(f: FlowRecord): void {
    const names: Record<string, string> = {}
    const d = f.deps
    for (const id of [...d.queues, ...d.skills, ...d.dataActions, ...d.flows])
      names[id] = this.nameOf(id) ?? id
    for (const o of d.others) names[o.id] = o.name
    f.pinnedNames = names
  }

  queueDeps(q: QueueRecord): { skills: string[]; flows: string[] } {
    const b = q.body as {
      bullseye?: { rings?: { actions?: { skillsToRemove?: { id?: string }[] } }[] }
      mediaSettings?: {
        callback?: { liveVoiceFlow?: { id?: string }; answeringMachineFlow?: { id?: string } }
      }
      queueFlow?: { id?: string }
      emailInQueueFlow?: { id?: string }
      messageInQueueFlow?: { id?: string }
    }
    const skills = new Set<string>()
    for (const ring of b.bullseye?.rings ?? [])
      for (const s of ring.actions?.skillsToRemove ?? []) if (s.id) skills.add(s.id)
    const flows = new Set<string>()
    for (const ref of [
      b.queueFlow,
      b.emailInQueueFlow,
      b.messageInQueueFlow,
      b.mediaSettings?.callback?.liveVoiceFlow,
      b.mediaSettings?.callback?.answeringMachineFlow
    ])
      if (ref?.id) flows.add(ref.id)
    return { skills: [...skills], flows: [...flows] }
  }

  /** The flow's YAML as an export of `version` returns it. */
  flowYaml(f: FlowRecord, version = f.version): string {
    return renderFlowYaml(this.renderInput(f, version))
  }

  private renderInput(f: FlowRecord, version: number): FlowRenderInput {
    const name = (id: string): { name: string } => ({ name: f.pinnedNames[id] ?? this.nameOf(id) ?? id })
    const flowsOf = (...types: string[]): { name: string }[] =>
      f.deps.flows.filter(id => types.includes(this.flowById.get(id)?.type ?? '')).map(name)
    const othersOf = (type: string): { name: string }[] =>
      f.deps.others.filter(o => o.type === type).map(o => ({ name: o.name }))
    return {
      seed: this.seed,
      flowId: f.id,
      type: f.type,
      fixture: f.fixture,
      name: f.name,
      description: f.description,
      division: f.division.name,
      version,
      targetBytes: f.targetBytes,
      refs: {
        queues: f.deps.queues.map(name),
        skills: f.deps.skills.map(name),
        dataActions: f.deps.dataActions.map(id => {
          const a = this.actionById.get(id)
          return {
            name: f.pinnedNames[id] ?? (a?.body.name as string) ?? id,
            category: (a?.body.category as string) ?? 'Web Services Data Actions',
            inputs: a?.inputs ?? [],
            outputs: a?.outputs ?? []
          }
        }),
        commonModules: flowsOf('commonmodule'),
        bots: flowsOf('bot', 'digitalbot'),
        inQueueFlows: flowsOf('inqueuecall', 'inqueueemail', 'inqueueshortmessage'),
        dataTables: othersOf('DATATABLE'),
        prompts: othersOf('USERPROMPT'),
        scheduleGroups: othersOf('SCHEDULEGROUP')
      }
    }
  }

  // --- mutations -----------------------------------------------------------------------------

  publishFlow(flowId: string): string {
    const f = this.liveFlow(flowId)
    f.version += 1
    f.datePublished = this.clock.now()
    f.hasDraft = false
    this.pinNames(f)
    this.generation++
    return `${f.version}.0`
  }

  deleteFlow(flowId: string): void {
    this.liveFlow(flowId).deleted = true
    this.generation++
  }

  deleteQueue(queueId: string): void {
    const q = this.queueById.get(queueId)
    if (!q || q.deleted) throw new Error(`no queue ${queueId}`)
    q.deleted = true
    this.generation++
  }

  /** Soft-deletes a skill, as Genesys does: still read by id (200), with state "deleted". */
  deleteSkill(skillId: string): void {
    const s = this.skillById.get(skillId)
    if (!s || skillDeleted(s)) throw new Error(`no skill ${skillId}`)
    s.body.state = 'deleted'
    s.body.dateModified = new Date(this.clock.now()).toISOString()
    this.generation++
  }

  editQueue(queueId: string, patch: Json): void {
    const q = this.queueById.get(queueId)
    if (!q || q.deleted) throw new Error(`no queue ${queueId}`)
    deepMerge(q.body, patch)
    q.body.dateModified = new Date(this.clock.now()).toISOString()
    this.generation++
  }

  editSkill(skillId: string, patch: Json): void {
    const s = this.skillById.get(skillId)
    if (!s) throw new Error(`no skill ${skillId}`)
    deepMerge(s.body, patch)
    s.body.dateModified = new Date(this.clock.now()).toISOString()
    this.generation++
  }

  editDataAction(actionId: string, patch: Json): void {
    const a = this.actionById.get(actionId)
    if (!a) throw new Error(`no data action ${actionId}`)
    deepMerge(a.body, patch)
    a.body.version = Number(a.body.version ?? 1) + 1
    this.generation++
  }

  addFlow(spec: { name: string; type: string; dependsOn?: string[] }): string {
    const type = spec.type.toLowerCase() as SimFlowType
    const fixtures = fixturesFor(type)
    if (fixtures.length === 0) throw new Error(`unknown flow type ${spec.type}`)
    const deps: SimFlowDeps = { queues: [], skills: [], dataActions: [], flows: [], others: [] }
    for (const id of spec.dependsOn ?? []) {
      if (this.queueById.has(id)) deps.queues.push(id)
      else if (this.skillById.has(id)) deps.skills.push(id)
      else if (this.actionById.has(id)) deps.dataActions.push(id)
      else if (this.flowById.has(id)) deps.flows.push(id)
      else throw new Error(`addFlow: ${id} is not a queue, skill, data action or flow of this org`)
    }
    const rng = new Rng(this.seed, 'added-flow', this.flows.length)
    const id = rng.uuid()
    const now = this.clock.now()
    const f: FlowRecord = {
      id,
      name: spec.name,
      type,
      description: `${spec.name} (added)`,
      division: this.divisions[0],
      version: 1,
      fixture: MINIMAL_FIXTURE,
      targetBytes: 0,
      deps,
      pinnedNames: {},
      dateCreated: now,
      datePublished: now,
      publishedBy: this.users[0],
      hasDraft: false,
      deleted: false
    }
    this.pinNames(f)
    this.addFlowRecord(f)
    return id
  }

  private liveFlow(flowId: string): FlowRecord {
    const f = this.flowById.get(flowId)
    if (!f || f.deleted) throw new Error(`no flow ${flowId}`)
    return f
  }

  // --- read access for tests -----------------------------------------------------------------

  view(): SimOrgView {
    return new OrgView(this)
  }

  closure(flowIds: string[]): SimClosure {
    const flows = new Set<string>()
    const queues = new Set<string>()
    const skills = new Set<string>()
    const actions = new Set<string>()
    const deleted = new Set<string>()
    const pending = [...flowIds]
    const visitFlow = (id: string): void => {
      const f = this.flowById.get(id)
      if (!f || f.deleted) {
        deleted.add(id)
        return
      }
      if (flows.has(id)) return
      flows.add(id)
      f.deps.queues.forEach(q => visitQueue(q))
      f.deps.skills.forEach(s => visitSkill(s))
      f.deps.dataActions.forEach(a => actions.add(a))
      pending.push(...f.deps.flows)
    }
    const visitSkill = (id: string): void => {
      const s = this.skillById.get(id)
      if (s && skillDeleted(s)) deleted.add(id)
      else skills.add(id)
    }
    const visitQueue = (id: string): void => {
      const q = this.queueById.get(id)
      if (!q || q.deleted) {
        deleted.add(id)
        return
      }
      if (queues.has(id)) return
      queues.add(id)
      const d = this.queueDeps(q)
      d.skills.forEach(s => visitSkill(s))
      pending.push(...d.flows)
    }
    while (pending.length > 0) visitFlow(pending.pop() as string)
    return {
      flows: [...flows].sort(),
      queues: [...queues].sort(),
      skills: [...skills].sort(),
      dataActions: [...actions].sort(),
      deleted: [...deleted].sort()
    }
  }
}

/** A skill deleteSkill soft-deleted. */
export const skillDeleted = (s: SkillRecord): boolean => s.body.state === 'deleted'

/** Merges `patch` into `target`: objects merge, everything else (arrays included) replaces. */
export function deepMerge(target: Json, patch: Json): Json {
  for (const [key, value] of Object.entries(patch)) {
    const current = target[key]
    if (isPlain(value) && isPlain(current)) deepMerge(current, value)
    else target[key] = structuredClone(value)
  }
  return target
}

function isPlain(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Read access for tests: fresh copies on every access, so assertions never see later mutations. */
class OrgView implements SimOrgView {
  constructor(private readonly state: OrgState) {}

  get orgId(): string {
    return this.state.orgId
  }
  get flows(): SimFlowInfo[] {
    return this.state.flows.map(f => this.flowInfo(f))
  }
  get queues(): SimQueueInfo[] {
    return this.state.queues.filter(q => !q.deleted).map(q => this.queueInfo(q))
  }
  get deletedQueues(): SimQueueInfo[] {
    return this.state.queues.filter(q => q.deleted).map(q => this.queueInfo(q))
  }
  get skills(): SimSkillInfo[] {
    return this.state.skills.map(s => ({ id: s.id, name: s.body.name as string }))
  }
  get dataActions(): SimDataActionInfo[] {
    return this.state.dataActions.map(a => ({
      id: a.id,
      name: a.body.name as string,
      category: a.body.category as string,
      integrationId: a.body.integrationId as string,
      secrets: [...a.secrets],
      secure: a.body.secure === true
    }))
  }
  flow(id: string): SimFlowInfo | undefined {
    const f = this.state.flowById.get(id)
    return f ? this.flowInfo(f) : undefined
  }
  queue(id: string): SimQueueInfo | undefined {
    const q = this.state.queueById.get(id)
    return q ? this.queueInfo(q) : undefined
  }
  flowYaml(id: string, version?: string): string {
    const f = this.record(id)
    return this.state.flowYaml(f, version ? parseInt(version, 10) : f.version)
  }
  exportFileName(id: string, version?: string): string {
    const f = this.record(id)
    return exportFileName(f.name, version ? parseInt(version, 10) : f.version)
  }
  closure(flowIds: string[]): SimClosure {
    return this.state.closure(flowIds)
  }

  private record(id: string): FlowRecord {
    const f = this.state.flowById.get(id)
    if (!f) throw new Error(`no flow ${id}`)
    return f
  }

  private flowInfo(f: FlowRecord): SimFlowInfo {
    return {
      id: f.id,
      name: f.name,
      type: f.type,
      description: f.description,
      division: f.division.name,
      publishedVersion: f.version > 0 ? `${f.version}.0` : undefined,
      deleted: f.deleted,
      deps: {
        queues: [...f.deps.queues],
        skills: [...f.deps.skills],
        dataActions: [...f.deps.dataActions],
        flows: [...f.deps.flows],
        others: f.deps.others.map(o => ({ ...o }))
      }
    }
  }

  private queueInfo(q: QueueRecord): SimQueueInfo {
    return {
      id: q.id,
      name: q.body.name as string,
      division: (q.body.division as Ref | undefined)?.name ?? '',
      deps: this.state.queueDeps(q)
    }
  }
}
