/**
 * Canonical YAML for the API objects the snapshot stores (queues, skills, data actions). Two reads of
 * the same configuration must give the same bytes, or every scheduled run opens a PR full of noise:
 * run-varying fields are dropped, map keys sorted, and arrays whose order carries no meaning sorted.
 */
import { Document, stringify as yamlStringify, visit, type Scalar } from 'yaml'

export type CanonicalKind = 'queue' | 'skill' | 'data-action'

/**
 * A path pattern: object keys, `[]` for "every element of an array" and `*` for "every value of a
 * map whose keys are data" (defaultScripts by media type, headers by name, ...).
 */
type Pattern = string

// Dropped wherever they appear in the API's own structure: they change between identical reads
// (see genesys-api.md, "Values that change between identical reads").
const VOLATILE_EVERYWHERE = new Set(['selfUri', 'dateCreated', 'dateModified', 'createdBy', 'modifiedBy'])

const VOLATILE: Record<CanonicalKind, Pattern[]> = {
  queue: [
    'memberCount',
    'userMemberCount',
    'joinedMemberCount',
    // MemberGroup.memberCount, wherever a queue embeds member groups.
    'memberGroups.[].memberCount',
    'bullseye.rings.[].memberGroups.[].memberCount',
    'conditionalGroupRouting.rules.[].groups.[].memberCount',
    'conditionalGroupActivation.rules.[].groups.[].memberCount'
  ],
  // A skill's version moves without anyone changing the skill.
  skill: ['version'],
  // A data action's version counts saves of its configuration: a real change, so it stays.
  'data-action': []
}

/**
 * Arrays that are sets: the API returns them in whatever order it stored them, and reordering them
 * changes nothing in routing. Sorted by `id` when every element has one, else by canonical JSON.
 * Every other array keeps the API's order, because there the order is the configuration:
 * `bullseye.rings` (ring 1 before ring 2), `routingRules` (evaluated in order),
 * `conditionalGroupRouting.rules` (rule 1, 2, ... with their wait times), conditionalGroupActivation
 * rules and conditions (the condition expression refers to them by position), email `mailboxFolders`,
 * and everything inside data action contracts and configs (JSON Schema `enum`/`required` order is
 * shown to flow authors as written).
 */
const UNORDERED: Record<CanonicalKind, Pattern[]> = {
  queue: [
    // Which groups are members, not a priority list.
    'memberGroups',
    'bullseye.rings.[].memberGroups',
    // Skills dropped from the requirement when the ring is reached: a set.
    'bullseye.rings.[].actions.skillsToRemove',
    // All criteria of a ring apply together.
    'bullseye.rings.[].expansionCriteria',
    'conditionalGroupRouting.rules.[].groups',
    'conditionalGroupActivation.rules.[].groups',
    'cannedResponseLibraries.libraryIds',
    'mediaSettings.email.allOutboundEmailAddresses',
    'outboundEmailAddress.route.skills',
    'outboundEmailAddress.route.autoBcc'
  ],
  skill: [],
  'data-action': []
}

/**
 * Subtrees that are user data, not API structure: keys there are names people chose (a JSON Schema
 * property called `dateModified`, a header called `selfUri`), so nothing is dropped inside them, and
 * arrays keep their order. Map keys are still sorted (JSON objects carry no order).
 */
const OPAQUE: Record<CanonicalKind, Pattern[]> = {
  queue: ['defaultScripts.*.features', 'defaultScripts.*.variables', 'defaultScripts.*.customActions'],
  skill: [],
  'data-action': ['contract', 'config']
}

function matches(pattern: Pattern, path: string[]): boolean {
  const parts = pattern.split('.')
  if (parts.length !== path.length) return false
  return parts.every((p, i) => p === '*' || p === path[i])
}

function startsWith(pattern: Pattern, path: string[]): boolean {
  const parts = pattern.split('.')
  if (parts.length > path.length) return false
  return parts.every((p, i) => p === '*' || p === path[i])
}

/** JSON with keys sorted at every level: a total order for elements of unordered arrays. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(',') + ']'
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>
    return (
      '{' +
      Object.keys(obj)
        .filter(k => obj[k] !== undefined)
        .sort(compareStrings)
        .map(k => JSON.stringify(k) + ':' + canonicalJson(obj[k]))
        .join(',') +
      '}'
    )
  }
  return JSON.stringify(value) ?? 'null'
}

/** Code-unit order: the same everywhere, unlike localeCompare. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function sortKey(element: unknown): [string, string] {
  if (element !== null && typeof element === 'object' && !Array.isArray(element)) {
    const id = (element as Record<string, unknown>).id
    if (typeof id === 'string') return [id, canonicalJson(element)]
  }
  return ['', canonicalJson(element)]
}

interface Rules {
  volatile: Pattern[]
  unordered: Pattern[]
  opaque: Pattern[]
}

function normalize(value: unknown, path: string[], rules: Rules, opaque: boolean): unknown {
  if (Array.isArray(value)) {
    const inner = [...path, '[]']
    const items = value.map(v => normalize(v, inner, rules, opaque))
    if (!opaque && rules.unordered.some(p => matches(p, path))) {
      return items
        .map(v => ({ v, k: sortKey(v) }))
        .sort((a, b) => compareStrings(a.k[0], b.k[0]) || compareStrings(a.k[1], b.k[1]))
        .map(x => x.v)
    }
    return items
  }
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(obj).sort(compareStrings)) {
      const child = obj[key]
      if (child === undefined) continue
      // Map-valued fields whose keys are data are matched with `*`; plain structure by key name.
      const childPath = [...path, key]
      if (!opaque && (VOLATILE_EVERYWHERE.has(key) || rules.volatile.some(p => matches(p, childPath))))
        continue
      const childOpaque = opaque || rules.opaque.some(p => startsWith(p, childPath))
      // Defined, not assigned: a key named __proto__ (JSON.parse keeps it as data, e.g. a JSON
      // Schema property) would otherwise set the prototype and vanish from the file.
      Object.defineProperty(out, key, {
        value: normalize(child, childPath, rules, childOpaque),
        enumerable: true,
        writable: true,
        configurable: true
      })
    }
    return out
  }
  return value
}

/**
 * The object as it is stored: volatile fields dropped, keys sorted, unordered arrays sorted.
 * Exposed for tests and for callers that need the canonical value rather than its text.
 */
export function canonicalValue(kind: CanonicalKind, apiObject: unknown): unknown {
  const rules: Rules = { volatile: VOLATILE[kind], unordered: UNORDERED[kind], opaque: OPAQUE[kind] }
  return normalize(apiObject, [], rules, false)
}

// Strings that YAML 1.1 readers (PyYAML, older tools, GitHub's own highlighting) would read as
// something else: yes/no/on/off/y/n, sexagesimal numbers, 1_000, dates. The `yaml` package's YAML 1.2
// output leaves them plain; quote them so every reader sees a string.
function readsDifferentlyIn11(s: string): boolean {
  // The exact check below stringifies twice; most strings (names, ids, URLs) cannot be a YAML 1.1
  // scalar of another type at all, and are settled here without it.
  if (!mayBeTypedIn11(s)) return false
  const core = yamlStringify(s, { lineWidth: 0 })
  if (core.startsWith('"') || core.startsWith("'") || core.startsWith('|') || core.startsWith('>'))
    return false
  const y11 = yamlStringify(s, { lineWidth: 0, schema: 'yaml-1.1' })
  return y11.startsWith('"') || y11.startsWith("'")
}

/**
 * Whether `s` has the shape of a YAML 1.1 bool, null, int, float or timestamp: a superset of them
 * (exactness is left to the check that follows), so a false here is always safe.
 */
export function mayBeTypedIn11(s: string): boolean {
  // Only short strings of these characters can be any of them.
  if (s.length > 64 || !/^[\w.+\-: ~]*$/.test(s)) return false
  // The bools and nulls of the YAML 1.1 type repository, and the empty string.
  if (
    /^(?:[YyNn~]|[Yy]es|YES|[Nn]o|NO|[Oo]n|ON|[Oo]ff|OFF|[Tt]rue|TRUE|[Ff]alse|FALSE|[Nn]ull|NULL)?$/.test(s)
  )
    return true
  // Numbers (0x.., 0b.., 0o.., 1_000, 1:30, 1.5e3, .inf, .nan) and dates (2024-01-31, with any time).
  return /^[-+]?(?:0[xob][\w]*|[\d_.:]*(?:[eE][-+]?\d*)?|\.[a-zA-Z]{3}|\d{4}-\d\d?-\d\d?(?:[Tt \t].*)?)$/.test(
    s
  )
}

// Invisible and line-breaking characters other than \n (BOM, bidi controls, U+2028, NEL): quoted, so
// no reader trims or folds them and a diff shows a quoted string rather than a silently odd one.
const NEEDS_QUOTES = /[^\P{Cc}\n]|[\p{Cf}\p{Cs}\p{Co}\p{Cn}\u2028\u2029]/u

// In a block scalar, lines of spaces before the first line with text make readers guess the
// indentation (the `yaml` package writes no indicator for them) and drop the spaces: quote those.
function ambiguousBlock(s: string): boolean {
  // A first line with text (most strings) settles it: \s is what trim() removes.
  if (!/^\s/.test(s) || !s.includes('\n')) return false
  const lines = s.split('\n')
  const firstText = lines.findIndex(l => l.trim() !== '')
  return (firstText === -1 ? lines : lines.slice(0, firstText)).some(l => /^[ \t]+$/.test(l))
}

function forceQuotes(s: string): boolean {
  if (s === '<<') return true // a merge key in YAML 1.1
  if (ambiguousBlock(s)) return true
  return NEEDS_QUOTES.test(s) || readsDifferentlyIn11(s)
}

/** Stable YAML text of an already canonical value. */
export function stableYaml(value: unknown): string {
  const doc = new Document(value, { aliasDuplicateObjects: false })
  visit(doc, {
    // Map keys are Scalars too, so this covers keys and values.
    Scalar(_key, node: Scalar) {
      if (typeof node.value === 'string' && forceQuotes(node.value)) node.type = 'QUOTE_DOUBLE'
    }
  })
  // lineWidth 0: never fold long lines, so a one-character change is a one-line diff.
  return doc.toString({ lineWidth: 0, minContentWidth: 0, indent: 2, indentSeq: true })
}

/**
 * Canonical YAML of a queue / skill / data action API object: run-varying fields dropped, keys sorted,
 * arrays kept in API order where order means something and sorted (by id, else by canonical JSON)
 * where it does not. Same object → same bytes, always.
 */
export function canonicalYaml(kind: CanonicalKind, apiObject: unknown): string {
  return stableYaml(canonicalValue(kind, apiObject))
}
