/**
 * A flow's Archy YAML, generated on demand from (seed, flow, version): the template text with the
 * flow's own names in its slots, then one task naming every dependency the template did not name,
 * then realistic filler tasks up to the flow's target size. Only the description and one prompt
 * change between versions, so a republished flow differs from the previous version visibly but
 * little, like a real edit.
 */
import { Rng } from './random.js'
import { sentence } from './names.js'
import { templateFor, type CompiledTemplate, type Slot } from './templates.js'
import type { SimFlowType } from './types.js'

export interface NamedRef {
  name: string
}
export interface DataActionRef {
  name: string
  category: string
  inputs: string[]
  outputs: string[]
}

export interface FlowRenderInput {
  seed: number
  flowId: string
  type: SimFlowType
  fixture: string
  name: string
  description: string
  division: string
  /** Published version major ("3.0" → 3). */
  version: number
  targetBytes: number
  refs: {
    queues: NamedRef[]
    skills: NamedRef[]
    dataActions: DataActionRef[]
    commonModules: NamedRef[]
    bots: NamedRef[]
    inQueueFlows: NamedRef[]
    dataTables: NamedRef[]
    prompts: NamedRef[]
    scheduleGroups: NamedRef[]
  }
}

const YAML_WORDS = /^(true|false|null|yes|no|on|off|y|n|~)$/i

/** A YAML scalar as Archy would write it: plain when unambiguous, else double-quoted with escapes. */
export function yamlScalar(value: string | number | boolean): string {
  if (typeof value !== 'string') return String(value)
  // Plain in block context: starts with a letter, no ': ' or ' #', no trailing space, not a YAML keyword.
  if (/^[A-Za-z][A-Za-z0-9 _.()/,'!?+-]*[A-Za-z0-9_.)!?]$|^[A-Za-z]$/.test(value) && !YAML_WORDS.test(value))
    return value
  let out = '"'
  for (const ch of value) {
    const c = ch.codePointAt(0) as number
    if (ch === '"') out += '\\"'
    else if (ch === '\\') out += '\\\\'
    else if (ch === '\n') out += '\\n'
    else if (ch === '\t') out += '\\t'
    else if (ch === '\r') out += '\\r'
    else if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029 || c === 0xfeff)
      out += '\\u' + c.toString(16).padStart(4, '0')
    else if (c >= 0xd800 && c <= 0xdfff)
      out += '\\u' + c.toString(16) // lone surrogate
    else out += ch
  }
  return out + '"'
}

function yamlKey(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.]*$/.test(key) ? key : yamlScalar(key)
}

type YNode = string | number | boolean | YNode[] | { [key: string]: YNode }

/** Block-style emitter in the layout the `yaml` package (and Archy) use: 2 spaces, indented sequences. */
export function emitYaml(node: YNode, indent: number): string {
  const pad = ' '.repeat(indent)
  if (Array.isArray(node)) {
    if (node.length === 0) return `${pad}[]\n`
    return node
      .map(item => {
        if (typeof item !== 'object') return `${pad}- ${yamlScalar(item)}\n`
        const inner = emitYaml(item, indent + 2)
        return `${pad}- ${inner.slice(indent + 2)}`
      })
      .join('')
  }
  if (typeof node !== 'object') return `${pad}${yamlScalar(node)}\n`
  let out = ''
  for (const [key, value] of Object.entries(node)) {
    if (typeof value !== 'object') out += `${pad}${yamlKey(key)}: ${yamlScalar(value)}\n`
    else if (Array.isArray(value) && value.length === 0) out += `${pad}${yamlKey(key)}: []\n`
    else if (!Array.isArray(value) && Object.keys(value).length === 0) out += `${pad}${yamlKey(key)}: {}\n`
    else out += `${pad}${yamlKey(key)}:\n${emitYaml(value, indent + 2)}`
  }
  return out
}

type Family = 'voice' | 'messaging' | 'email' | 'automation'

const FAMILY: Readonly<Record<SimFlowType, Family>> = {
  inboundcall: 'voice',
  inqueuecall: 'voice',
  outboundcall: 'voice',
  securecall: 'voice',
  voicemail: 'voice',
  voicesurvey: 'voice',
  speech: 'voice',
  voice: 'voice',
  inboundshortmessage: 'messaging',
  inboundchat: 'messaging',
  inqueueshortmessage: 'messaging',
  inboundemail: 'email',
  inqueueemail: 'email',
  emailsend: 'email',
  workflow: 'automation',
  workitem: 'automation',
  surveyinvite: 'automation',
  commonmodule: 'automation',
  bot: 'automation',
  digitalbot: 'automation'
}

const ROUTES: ReadonlySet<SimFlowType> = new Set<SimFlowType>([
  'inboundcall',
  'inqueuecall',
  'outboundcall',
  'securecall',
  'voicemail',
  'speech',
  'voice',
  'inboundshortmessage',
  'inboundchat',
  'inqueueshortmessage',
  'inboundemail',
  'inqueueemail',
  'workitem'
])

const noValue = { noValue: true }

/** Builds the actions of generated tasks in the vocabulary of the flow's family. */
class ActionWriter {
  private readonly family: Family
  private readonly routes: boolean

  constructor(
    private readonly type: SimFlowType,
    private readonly rng: Rng
  ) {
    this.family = FAMILY[type]
    this.routes = ROUTES.has(type)
  }

  say(text: string): YNode {
    if (this.family === 'voice') return { playAudio: { name: 'Play Audio', audio: { tts: text } } }
    if (this.family === 'messaging')
      return { sendResponse: { name: 'Send Response', messageBody: { lit: text } } }
    return this.setString('Task.note', text)
  }

  setString(variable: string, text: string): YNode {
    return {
      updateData: { name: 'Update Data', statements: [{ string: { variable, value: { lit: text } } }] }
    }
  }

  queue(queue: NamedRef, skills: NamedRef[], inQueueFlow?: NamedRef): YNode {
    if (!this.routes) {
      const found =
        skills.length > 0 ? skills.map(s => this.setSkill(s)) : [this.setString('Task.route', 'found')]
      if (inQueueFlow) found.push(this.setString('Task.inQueueFlow', inQueueFlow.name))
      return {
        findQueue: {
          name: 'Find Queue',
          findName: { lit: queue.name },
          findResult: { var: 'Task.queue' },
          outputs: {
            found: { actions: found },
            notFound: { actions: [this.setString('Task.route', 'missing')] }
          }
        }
      }
    }
    const transfer: { [key: string]: YNode } = {
      name: 'Transfer to ACD',
      targetQueue: { lit: { name: queue.name } }
    }
    if (inQueueFlow) transfer.overrideInQueueFlow = { name: inQueueFlow.name }
    if (skills.length > 0) transfer.acdSkills = skills.map(s => ({ acdSkill: { lit: { name: s.name } } }))
    transfer.priority = { lit: this.rng.int(0, 3) * 5 }
    transfer.preferredAgents = noValue
    transfer.languageSkill = noValue
    if (this.family === 'voice') {
      transfer.preTransferAudio = { tts: sentence(this.rng) }
    }
    return { transferToAcd: transfer }
  }

  setSkill(skill: NamedRef): YNode {
    const literal = `FindSkill("${skill.name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}")`
    return {
      updateData: {
        name: 'Update Data',
        statements: [{ skill: { variable: 'Task.skill', value: { exp: literal } } }]
      }
    }
  }

  callData(action: DataActionRef): YNode {
    const ref: { [key: string]: YNode } = {}
    if (action.inputs.length > 0)
      ref.inputs = Object.fromEntries(action.inputs.slice(0, 3).map(i => [i, noValue]))
    if (action.outputs.length > 0)
      ref.successOutputs = Object.fromEntries(
        action.outputs.slice(0, 3).map(o => [o, { var: `Task.${identifier(o)}` }])
      )
    const call: { [key: string]: YNode } = { name: 'Call Data Action' }
    if (this.family === 'voice') call.processingPrompt = noValue
    call.timeout = { lit: { minutes: 1 } }
    call.category = { [action.category]: { dataAction: { [action.name]: ref } } }
    call.outputs = { failure: { actions: [this.setString('Task.lookup', 'failed')] } }
    return { callData: call }
  }

  callModule(module: NamedRef): YNode {
    return {
      callCommonModule: {
        name: 'Call Common Module',
        commonModule: { [module.name]: { ver_latestPublished: {} } }
      }
    }
  }

  callBot(bot: NamedRef): YNode {
    return {
      callBotFlow: {
        name: 'Call Bot Flow',
        inputText: noValue,
        exitReason: noValue,
        intent: noValue,
        botFlow: { [bot.name]: { ver_latestPublished: {} } }
      }
    }
  }

  lookupTable(table: NamedRef): YNode {
    return {
      dataTableLookup: {
        name: 'Data Table Lookup',
        lookupValue: { exp: 'ToString(Flow.StartDateTimeUtc)' },
        dataTable: {
          [table.name]: { foundOutputs: {}, failureOutputs: { errorType: noValue, errorMessage: noValue } }
        },
        outputs: { found: { actions: [this.setString('Task.table', 'found')] }, notFound: { actions: [] } }
      }
    }
  }

  schedule(group: NamedRef): YNode {
    const closed = [this.say('We are currently closed. Please call back during business hours.')]
    return {
      evaluateScheduleGroup: {
        name: 'Evaluate Schedule Group',
        evaluateNow: true,
        scheduleGroup: { lit: { name: group.name } },
        emergencyGroup: noValue,
        outputs: { open: { actions: [] }, closed: { actions: closed }, holiday: { actions: closed } }
      }
    }
  }

  prompt(prompt: NamedRef): YNode {
    const audio = { exp: `AudioPlaybackOptions(ToAudio(Prompt.${prompt.name}), true)` }
    if (this.family === 'voice') return { playAudio: { name: 'Play Audio', audio } }
    return this.setString('Task.prompt', prompt.name)
  }

  decision(depth: number): YNode {
    const variable = `Task.${this.rng.pick(['tier', 'intent', 'language', 'segment', 'attempts', 'status'])}`
    const branch = (): YNode[] => this.filler(depth + 1, this.rng.int(1, 2))
    return {
      decision: {
        name: 'Decision',
        condition: {
          exp: `${variable} == "${this.rng.pick(['gold', 'billing', 'es', 'vip', '3', 'open'])}"`
        },
        outputs: { yes: { actions: branch() }, no: { actions: branch() } }
      }
    }
  }

  participantData(): YNode {
    return {
      setParticipantData: {
        name: 'Set Participant Data',
        attributes: [
          {
            attribute: {
              name: { lit: this.rng.pick(['Segment', 'Intent', 'CaseId']) },
              value: { exp: 'Task.segment' }
            }
          }
        ]
      }
    }
  }

  /** Actions without references, for padding. */
  filler(depth: number, count: number): YNode[] {
    const out: YNode[] = []
    for (let i = 0; i < count; i++) {
      const r = this.rng.next()
      if (r < 0.35) out.push(this.say(sentence(this.rng)))
      else if (r < 0.55 && depth < 1) out.push(this.decision(depth))
      else if (r < 0.75)
        out.push(this.setString(`Task.${this.rng.pick(['note', 'reason', 'summary'])}`, sentence(this.rng)))
      else out.push(this.participantData())
    }
    return out
  }
}

function identifier(text: string): string {
  return text.replace(/[^A-Za-z0-9_]/g, '_') || 'value'
}

function slotValue(input: FlowRenderInput, slot: Slot): string {
  const at = <T>(list: T[]): T | undefined => (list.length > 0 ? list[slot.index % list.length] : undefined)
  const r = input.refs
  let value: string | undefined
  switch (slot.kind) {
    case 'name':
      value = input.name
      break
    case 'desc':
      value = input.description
      break
    case 'div':
      value = input.division
      break
    case 'q':
      value = at(r.queues)?.name
      break
    case 's':
      value = at(r.skills)?.name
      break
    case 'da':
      value = at(r.dataActions)?.name
      break
    case 'dai':
      value = at(r.dataActions)?.category
      break
    case 'cm':
      value = at(r.commonModules)?.name
      break
    case 'bot':
      value = at(r.bots)?.name
      break
    case 'iq':
      value = at(r.inQueueFlows)?.name
      break
    case 'dt':
      value = at(r.dataTables)?.name
      break
  }
  if (value === undefined) throw new Error(`flow ${input.flowId}: no ${slot.kind} to fill slot ${slot.index}`)
  return yamlScalar(value)
}

/** How many of each reference kind a template's slots name (slot i names ref i mod n). */
function slotCounts(template: CompiledTemplate): Map<string, number> {
  const counts = new Map<string, number>()
  for (const part of template.parts) {
    if (typeof part !== 'string') counts.set(part.kind, Math.max(counts.get(part.kind) ?? 0, part.index + 1))
  }
  return counts
}

export function renderFlowYaml(input: FlowRenderInput): string {
  const template = templateFor(input.fixture, input.type)
  let text = ''
  for (const part of template.parts) text += typeof part === 'string' ? part : slotValue(input, part)

  const indent = template.taskIndent
  const covered = slotCounts(template)
  const rest = <T>(kind: string, list: T[]): T[] => list.slice(Math.min(covered.get(kind) ?? 0, list.length))
  const r = input.refs

  // Content that depends on the version: one prompt, so a republish shows up in the diff.
  const versioned = new ActionWriter(
    input.type,
    new Rng(input.seed, 'yaml-version', input.flowId, input.version)
  )
  const rng = new Rng(input.seed, 'yaml', input.flowId)
  const writer = new ActionWriter(input.type, rng)
  const actions: YNode[] = [
    versioned.say(
      `${sentence(new Rng(input.seed, 'greeting', input.flowId, input.version))} (revision ${input.version})`
    )
  ]
  for (const g of rest('sg', r.scheduleGroups)) actions.push(writer.schedule(g))
  for (const p of rest('prompt', r.prompts)) actions.push(writer.prompt(p))
  for (const t of rest('dt', r.dataTables)) actions.push(writer.lookupTable(t))
  for (const a of rest('da', r.dataActions)) actions.push(writer.callData(a))
  for (const m of rest('cm', r.commonModules)) actions.push(writer.callModule(m))
  for (const b of rest('bot', r.bots)) actions.push(writer.callBot(b))
  // One transfer per queue the template did not name; skills and in-queue overrides spread over them.
  const queues = rest('q', r.queues)
  const skills = rest('s', r.skills)
  const inQueue = rest('iq', r.inQueueFlows)
  const transfers = Math.max(queues.length, skills.length > 0 ? 1 : 0, inQueue.length)
  for (let i = 0; i < transfers; i++) {
    const mySkills = skills.filter((_, j) => j % transfers === i)
    const queue = queues[i] ?? r.queues[i % Math.max(1, r.queues.length)]
    if (queue) actions.push(writer.queue(queue, mySkills, inQueue[i]))
    else {
      for (const s of mySkills) actions.push(writer.setSkill(s))
      if (inQueue[i]) actions.push(writer.setString('Task.inQueueFlow', inQueue[i].name))
    }
  }
  let refId = 900
  const task = (name: string, list: YNode[]): string =>
    emitYaml([{ task: { name, refId: `${name}_${++refId}`, actions: list } }], indent)
  text += task('Routing and lookups', actions)

  // Filler: depends on the flow only, never on the version.
  let n = 0
  // Stop half a task short of the target, so sizes land around it rather than above it.
  while (text.length < input.targetBytes - 600 && n < 10_000) {
    n++
    const list = writer.filler(0, rng.int(2, 5))
    if (r.queues.length > 0 && n % 3 === 0) list.push(writer.queue(r.queues[n % r.queues.length], []))
    if (r.dataActions.length > 0 && n % 4 === 0)
      list.push(writer.callData(r.dataActions[n % r.dataActions.length]))
    text += task(`${fillerName(n)} ${n}`, list)
  }
  return text
}

const FILLER_NAMES = [
  'Collect account',
  'Verify caller',
  'Check hours',
  'Survey offer',
  'Callback offer',
  'Set context'
]
function fillerName(n: number): string {
  return FILLER_NAMES[n % FILLER_NAMES.length]
}

/** Archy's export file name: `<flow name>_v<major>-0.yaml`, with characters no file system takes replaced. */
export function exportFileName(flowName: string, version: number, extension = 'yaml'): string {
  let base = replaceUnsafe(flowName, '/\\:*?"<>|')
  // Keep the whole name within 255 bytes, cutting on a character boundary.
  const suffix = `_v${version}-0.${extension}`
  while (Buffer.byteLength(base + suffix) > 255) base = Array.from(base).slice(0, -1).join('')
  return base + suffix
}

/** Replaces control characters and the given characters with `_`. */
export function replaceUnsafe(name: string, chars: string): string {
  let out = ''
  for (const ch of name) {
    const c = ch.codePointAt(0) as number
    out += c < 0x20 || c === 0x7f || chars.includes(ch) ? '_' : ch
  }
  return out
}
