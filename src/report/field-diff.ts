/**
 * Field-level diff of two parsed configuration objects (queues, skills, data actions): the changed
 * leaves with readable paths. Arrays of objects with an `id` (or, failing that, a unique `name`) are
 * matched by that key, and arrays of scalars are compared as multisets, so a reorder is not a change.
 */

export interface FieldChange {
  /** e.g. 'acwSettings.timeoutMs', 'bullseye.rings[1].expansionTimeoutSeconds', 'memberGroups[name=Sales].type' */
  path: string
  /** Absent when the field was added. */
  before?: unknown
  /** Absent when the field was removed. */
  after?: unknown
}

export interface FieldDiff {
  fields: FieldChange[]
  /** Changes found beyond `max` and not listed. */
  omitted: number
}

/** Path of the whole document when it is not an object on one side. */
export const ROOT_PATH = '(root)'

type Plain = Record<string, unknown>

function isPlainObject(v: unknown): v is Plain {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

function isScalar(v: unknown): boolean {
  return v === null || (typeof v !== 'object' && typeof v !== 'function')
}

/** Structural equality of parsed YAML/JSON values; key order does not matter. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) && Number.isNaN(b)
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false
    return a.every((x, i) => deepEqual(x, b[i]))
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a)
    if (ka.length !== Object.keys(b).length) return false
    return ka.every(k => Object.hasOwn(b, k) && deepEqual(a[k], b[k]))
  }
  return false
}

function keySegment(key: string): string {
  return /^[A-Za-z_$][\w$-]*$/.test(key) ? key : `[${JSON.stringify(key)}]`
}

function joinKey(path: string, key: string): string {
  const seg = keySegment(key)
  if (path === '') return seg
  return seg.startsWith('[') ? `${path}${seg}` : `${path}.${seg}`
}

function labelValue(v: string | number): string {
  const s = String(v)
  return /^[\w.-]+$/.test(s) ? s : JSON.stringify(s)
}

type MatchKey = 'id' | 'name'

/** The key that identifies the elements of both arrays, if every element is an object with a unique one. */
function matchKey(a: unknown[], b: unknown[]): MatchKey | undefined {
  for (const key of ['id', 'name'] as const) {
    const ok = [a, b].every(list => {
      const seen = new Set<string>()
      for (const el of list) {
        if (!isPlainObject(el)) return false
        const v = el[key]
        if (typeof v !== 'string' && typeof v !== 'number') return false
        const s = `${typeof v}:${v}`
        if (seen.has(s)) return false
        seen.add(s)
      }
      return true
    })
    if (ok && a.length + b.length > 0) return key
  }
  return undefined
}

function multisetEqual(a: unknown[], b: unknown[]): boolean {
  if (a.length !== b.length) return false
  const counts = new Map<string, number>()
  const keyOf = (v: unknown): string => `${typeof v}:${String(v)}`
  for (const v of a) counts.set(keyOf(v), (counts.get(keyOf(v)) ?? 0) + 1)
  for (const v of b) {
    const n = counts.get(keyOf(v))
    if (!n) return false
    counts.set(keyOf(v), n - 1)
  }
  return true
}

class Collector {
  readonly fields: FieldChange[] = []
  omitted = 0
  constructor(private readonly max: number) {}

  push(path: string, before: unknown, after: unknown): void {
    if (this.fields.length >= this.max) {
      this.omitted++
      return
    }
    const change: FieldChange = { path: path === '' ? ROOT_PATH : path }
    if (before !== undefined) change.before = before
    if (after !== undefined) change.after = after
    this.fields.push(change)
  }
}

function walk(path: string, a: unknown, b: unknown, out: Collector): void {
  if (deepEqual(a, b)) return
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Array.from(new Set([...Object.keys(a), ...Object.keys(b)])).sort()
    for (const key of keys) {
      walk(
        joinKey(path, key),
        Object.hasOwn(a, key) ? a[key] : undefined,
        Object.hasOwn(b, key) ? b[key] : undefined,
        out
      )
    }
    return
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    walkArrays(path, a, b, out)
    return
  }
  out.push(path, a, b)
}

function walkArrays(path: string, a: unknown[], b: unknown[], out: Collector): void {
  if (a.every(isScalar) && b.every(isScalar)) {
    // The whole list is one change; the renderer says which entries came and went.
    if (!multisetEqual(a, b)) out.push(path, a, b)
    return
  }
  const key = matchKey(a, b)
  if (key === undefined) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) walk(`${path}[${i}]`, a[i], b[i], out)
    return
  }
  const byKey = (list: unknown[]): Map<string, Plain> =>
    new Map(list.map(el => [`${typeof (el as Plain)[key]}:${(el as Plain)[key]}`, el as Plain]))
  const before = byKey(a)
  const after = byKey(b)
  // Label elements by name when every element has a unique one: `memberGroups[name=Sales]` reads
  // better than a uuid. Otherwise by the matching key.
  const names = [...a, ...b].map(el => (el as Plain).name)
  const nameLabels =
    key === 'id' &&
    names.every(n => typeof n === 'string') &&
    [a, b].every(list => new Set(list.map(el => (el as Plain).name)).size === list.length) &&
    // a renamed element would carry two labels; fall back to ids then
    Array.from(after.entries()).every(([k, el]) => !before.has(k) || before.get(k)!.name === el.name)
  const label = (el: Plain): string =>
    nameLabels ? `name=${labelValue(el.name as string)}` : `${key}=${labelValue(el[key] as string | number)}`
  const order = [...after.keys(), ...Array.from(before.keys()).filter(k => !after.has(k))]
  for (const k of order) {
    const x = before.get(k)
    const y = after.get(k)
    walk(`${path}[${label((y ?? x)!)}]`, x, y, out)
  }
}

/** The changed leaves between two parsed documents, at most `max` of them (the rest counted). */
export function diffFields(before: unknown, after: unknown, max = 200): FieldDiff {
  const out = new Collector(max)
  walk('', before, after, out)
  return { fields: out.fields, omitted: out.omitted }
}
