/**
 * Flow templates: the real Archy exports in fixtures/flows, turned once into text with slots.
 *
 * Each fixture's blueprint placeholders ({{x}}, ${x}, <x>) get plain values; then every place that
 * names another resource (targetQueue, findQueue, overrideInQueueFlow, callData categories, common
 * modules, bot flows, data tables, acdSkills) becomes a slot, as do the flow's own name, description
 * and division. A flow's YAML is the template text with its own resources' names in the slots, so
 * what the YAML names and what dependency tracking reports are the same resources.
 */
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse, stringify } from 'yaml'
import { Rng } from './random.js'
import type { SimFlowType } from './types.js'

export type SlotKind = 'name' | 'desc' | 'div' | 'q' | 's' | 'da' | 'dai' | 'cm' | 'bot' | 'iq' | 'dt'
export interface Slot {
  kind: SlotKind
  index: number
}

/** Top-level key of an Archy export per flow type (camel case of the type; bots use their Archy names). */
export const ARCHY_KEYS: Readonly<Record<SimFlowType, string>> = {
  bot: 'botFlow',
  commonmodule: 'commonModule',
  digitalbot: 'digitalBotFlow',
  emailsend: 'emailSend',
  inboundcall: 'inboundCall',
  inboundchat: 'inboundChat',
  inboundemail: 'inboundEmail',
  inboundshortmessage: 'inboundShortMessage',
  inqueuecall: 'inqueueCall',
  inqueueemail: 'inqueueEmail',
  inqueueshortmessage: 'inqueueShortMessage',
  outboundcall: 'outboundCall',
  securecall: 'secureCall',
  speech: 'speech',
  surveyinvite: 'surveyInvite',
  voice: 'voice',
  voicemail: 'voicemail',
  voicesurvey: 'voiceSurvey',
  workflow: 'workflow',
  workitem: 'workitem'
}

/** Types without a real fixture borrow the nearest type's fixtures (renaming the top-level key). */
const BORROW_FROM: Partial<Record<SimFlowType, SimFlowType>> = {
  inboundchat: 'inboundshortmessage',
  inqueueemail: 'inqueuecall',
  inqueueshortmessage: 'inqueuecall',
  securecall: 'inboundcall',
  voicemail: 'inboundcall',
  voicesurvey: 'inboundcall',
  speech: 'inboundcall',
  voice: 'inboundcall',
  digitalbot: 'bot',
  emailsend: 'workflow',
  surveyinvite: 'workflow'
}

export interface FixtureInfo {
  file: string
  /** The fixture's own type. */
  type: SimFlowType
  /** How many slots of each reference kind the fixture has. */
  counts: Record<SlotKind, number>
  /** Size of the template text, before generated tasks. */
  bytes: number
}

export interface CompiledTemplate {
  fixture: string
  type: string
  /** Literal text and slots, in order. The text ends just before the flow's task list items. */
  parts: (string | Slot)[]
  /** Indentation of `- task:` items in the trailing task list. */
  taskIndent: number
}

const FIXTURE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'flows')
const TASKS_SENTINEL = '__sim_tasks__'

const marker = (kind: SlotKind, index: number): string => `__sim_${kind}_${index}__`
const MARKER_RE = /__sim_(name|desc|div|q|s|da|dai|cm|bot|iq|dt)_(\d+)__/g

interface Prepared {
  info: FixtureInfo
  archyKey: string
  text: string
}

let prepared: Prepared[] | undefined
const compiled = new Map<string, CompiledTemplate>()

function emptyCounts(): Record<SlotKind, number> {
  return { name: 0, desc: 0, div: 0, q: 0, s: 0, da: 0, dai: 0, cm: 0, bot: 0, iq: 0, dt: 0 }
}

/** Plain values for blueprint placeholders that are not references (references become slots later). */
function placeholderValue(name: string): string {
  const n = name.toLowerCase()
  if (n.includes('language')) return 'en-us'
  if (n.includes('division')) return 'Home'
  if (/(^|_)id$/.test(n) || /[a-z]Id$/.test(name) || /ID$/.test(name))
    return new Rng('placeholder', name).uuid()
  if (n.includes('secret') || n.includes('clientid')) return 'configured-in-integration'
  if (n.includes('email_subject')) return 'Your message could not be delivered'
  if (n.includes('email_body')) return 'We could not deliver your message. Please contact us again.'
  if (n.includes('email')) return 'support@example.com'
  if (n.includes('schedule')) return 'Business Hours'
  if (n.includes('worktype')) return 'Insurance Claims'
  if (n.includes('contact_list')) return 'Outbound Contacts'
  if (n.includes('wrapup')) return 'Resolved'
  return name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .split(/[_\s]+/)
    .filter(Boolean)
    .map(w => w[0].toUpperCase() + w.slice(1))
    .join(' ')
}

function substitutePlaceholders(text: string): string {
  return text
    .replace(/\{\{\s*(\w+)\s*\}\}/g, (_, n: string) => placeholderValue(n))
    .replace(/\$\{(\w+)\}/g, (_, n: string) => placeholderValue(n))
    .replace(/<([a-z]+[A-Z]\w*)>/g, (_, n: string) => placeholderValue(n))
}

type Node = unknown
type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Rewrites every reference to another resource into a slot marker, counting slots per kind. */
function markReferences(node: Node, counts: Record<SlotKind, number>): Node {
  const next = (kind: SlotKind): string => marker(kind, counts[kind]++)
  if (Array.isArray(node)) return node.map(item => markReferences(item, counts))
  if (!isObj(node)) return node
  const out: Obj = {}
  for (const [key, value] of Object.entries(node)) {
    if (key === 'targetQueue' && isObj(value) && isObj(value.lit) && typeof value.lit.name === 'string') {
      out[key] = { ...value, lit: { ...value.lit, name: next('q') } }
    } else if (
      key === 'findQueue' &&
      isObj(value) &&
      isObj(value.findName) &&
      typeof value.findName.lit === 'string'
    ) {
      out[key] = markReferences({ ...value, findName: { ...value.findName, lit: next('q') } }, counts)
    } else if (key === 'overrideInQueueFlow' && isObj(value) && typeof value.name === 'string') {
      out[key] = { ...value, name: next('iq') }
    } else if (
      key === 'category' &&
      isObj(value) &&
      Object.values(value).every(v => isObj(v) && isObj(v.dataAction))
    ) {
      const category: Obj = {}
      for (const integration of Object.values(value) as Obj[]) {
        for (const body of Object.values(integration.dataAction as Obj)) {
          const i = counts.da++
          counts.dai++
          category[marker('dai', i)] = { dataAction: { [marker('da', i)]: markReferences(body, counts) } }
        }
      }
      out[key] = category
    } else if ((key === 'commonModule' || key === 'botFlow') && isPinnedMap(value)) {
      const kind: SlotKind = key === 'commonModule' ? 'cm' : 'bot'
      const refs: Obj = {}
      for (const body of Object.values(value)) refs[next(kind)] = markReferences(body, counts)
      out[key] = refs
    } else if (key === 'dataTable' && isObj(value) && Object.values(value).every(isObj)) {
      const refs: Obj = {}
      for (const body of Object.values(value)) refs[next('dt')] = markReferences(body, counts)
      out[key] = refs
    } else if (key === 'acdSkills' && Array.isArray(value)) {
      out[key] = value.map(item =>
        isObj(item) &&
        isObj(item.acdSkill) &&
        isObj(item.acdSkill.lit) &&
        typeof item.acdSkill.lit.name === 'string'
          ? { acdSkill: { lit: { name: next('s') } } }
          : item
      )
    } else {
      out[key] = markReferences(value, counts)
    }
  }
  return out
}

/** `{ <name>: { ver_latestPublished: … } }`: how Archy pins called modules and bots. */
function isPinnedMap(value: unknown): value is Obj {
  return (
    isObj(value) &&
    Object.values(value).length > 0 &&
    Object.values(value).every(v => isObj(v) && Object.keys(v).some(k => k.startsWith('ver_')))
  )
}

const ARCHY_KEY_TYPES = new Map<string, SimFlowType>(
  Object.entries(ARCHY_KEYS).map(([type, key]) => [key, type as SimFlowType])
)

function prepare(file: string): Prepared {
  const raw = readFileSync(path.join(FIXTURE_DIR, file), 'utf8')
  const doc = parse(substitutePlaceholders(raw)) as Obj
  const [archyKey] = Object.keys(doc)
  const type = ARCHY_KEY_TYPES.get(archyKey)
  if (!type || !isObj(doc[archyKey])) throw new Error(`fixture ${file}: unknown flow key ${archyKey}`)
  const counts = emptyCounts()
  const body = markReferences(doc[archyKey], counts) as Obj
  const { name: _n, description: _d, division: _v, tasks, ...rest } = body
  // Header first, as Archy writes it; the task list last, so generated tasks can be appended.
  const flow: Obj = {
    name: marker('name', 0),
    description: marker('desc', 0),
    division: marker('div', 0),
    ...rest,
    tasks: [...(Array.isArray(tasks) ? tasks : []), TASKS_SENTINEL]
  }
  const text = stringify({ [archyKey]: flow }, { lineWidth: 0, minContentWidth: 0 })
  return { info: { file, type, counts, bytes: text.length }, archyKey, text }
}

/** A fixture-free template with no references of its own, for flows whose dependencies fit no fixture. */
export const MINIMAL_FIXTURE = 'minimal'

function prepareMinimal(): Prepared {
  const flow: Obj = {
    name: marker('name', 0),
    description: marker('desc', 0),
    division: marker('div', 0),
    startUpRef: '/inboundCall/tasks/task[Routing and lookups_901]',
    defaultLanguage: 'en-us',
    supportedLanguages: { 'en-us': { defaultLanguageSkill: { noValue: true } } },
    settingsErrorHandling: { errorHandling: { disconnect: { none: true } } },
    tasks: [TASKS_SENTINEL]
  }
  const text = stringify({ inboundCall: flow }, { lineWidth: 0, minContentWidth: 0 })
  const info = {
    file: MINIMAL_FIXTURE,
    type: 'inboundcall' as const,
    counts: emptyCounts(),
    bytes: text.length
  }
  return { info, archyKey: 'inboundCall', text }
}

let minimal: Prepared | undefined

function allPrepared(): Prepared[] {
  prepared ??= readdirSync(FIXTURE_DIR)
    .filter(f => f.endsWith('.yaml.txt'))
    .sort()
    .map(prepare)
  return prepared
}

/** Fixtures usable for a type (its own, or the nearest type's), most specific first. */
export function fixturesFor(type: SimFlowType): FixtureInfo[] {
  const source = allPrepared().filter(p => p.info.type === type)
  const borrowed = BORROW_FROM[type]
  return (source.length > 0 ? source : allPrepared().filter(p => p.info.type === borrowed)).map(p => p.info)
}

/** The template of `fixture` for a flow of `type`, compiled once and cached. */
export function templateFor(fixture: string, type: SimFlowType): CompiledTemplate {
  const cacheKey = `${fixture}\u0000${type}`
  const cached = compiled.get(cacheKey)
  if (cached) return cached
  const p =
    fixture === MINIMAL_FIXTURE
      ? (minimal ??= prepareMinimal())
      : allPrepared().find(x => x.info.file === fixture)
  if (!p) throw new Error(`no fixture ${fixture}`)
  const key = ARCHY_KEYS[type]
  // Adapting a fixture to another type renames the top-level key and the refs that start with it.
  let text = p.text
  if (key !== p.archyKey)
    text =
      `${key}:` +
      text
        .slice(p.archyKey.length + 1)
        .split(`/${p.archyKey}/`)
        .join(`/${key}/`)
  const sentinel = new RegExp(`^( *)- ${TASKS_SENTINEL}\\n?$`, 'm')
  const m = sentinel.exec(text)
  if (!m) throw new Error(`fixture ${fixture}: task list not last`)
  const head = text.slice(0, m.index)
  const parts: (string | Slot)[] = []
  let last = 0
  for (const hit of head.matchAll(MARKER_RE)) {
    parts.push(head.slice(last, hit.index))
    parts.push({ kind: hit[1] as SlotKind, index: Number(hit[2]) })
    last = hit.index + hit[0].length
  }
  parts.push(head.slice(last))
  const template = { fixture, type, parts, taskIndent: m[1].length }
  compiled.set(cacheKey, template)
  return template
}
