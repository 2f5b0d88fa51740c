/**
 * manifest.json: what the snapshot holds, with a digest per file and the references between resources.
 * Written byte-stable (fixed key order, sorted entries), and checked strictly when read back, because
 * `mode: validate` and incremental reruns trust it.
 */
import { createHash } from 'node:crypto'
import { open } from 'node:fs/promises'
import { LineCounter, parseDocument } from 'yaml'
import {
  KIND_FOLDERS,
  MANIFEST_FILE,
  type Manifest,
  type ManifestResource,
  type ResourceKind,
  type ResourceRef,
  type UnresolvedReference
} from './model.js'
import { fileNameFits, foldName } from './names.js'

export const RESOURCE_KINDS: readonly ResourceKind[] = ['flow', 'queue', 'skill', 'data-action']

export interface ManifestProblem {
  message: string
  line?: number
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex')
}

const HASH_CHUNK = 64 * 1024
// Read buffers of finished hashes, for the next ones: a rerun hashes thousands of committed files,
// and a fresh buffer for each would be native memory waiting on the garbage collector.
const spareChunks: Buffer[] = []

/** sha256 and size of a file's bytes, read in chunks: a large file is never held whole. */
export async function hashFile(file: string): Promise<{ sha256: string; size: number }> {
  const handle = await open(file, 'r')
  const chunk = spareChunks.pop() ?? Buffer.allocUnsafe(HASH_CHUNK)
  try {
    const hash = createHash('sha256')
    let size = 0
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, HASH_CHUNK, null)
      if (bytesRead === 0) break
      hash.update(chunk.subarray(0, bytesRead))
      size += bytesRead
    }
    return { sha256: hash.digest('hex'), size }
  } finally {
    spareChunks.push(chunk)
    await handle.close()
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export function refOf(kind: ResourceKind, id: string): ResourceRef {
  return `${kind}:${id}`
}

/** Splits `kind:id`; the id may itself contain colons. */
export function parseRef(ref: string): { kind: ResourceKind; id: string } | undefined {
  const colon = ref.indexOf(':')
  if (colon < 0) return undefined
  const kind = ref.slice(0, colon) as ResourceKind
  const id = ref.slice(colon + 1)
  if (!RESOURCE_KINDS.includes(kind) || id === '') return undefined
  return { kind, id }
}

function compareResources(a: ManifestResource, b: ManifestResource): number {
  return compare(a.kind, b.kind) || compare(a.id, b.id)
}

function compareUnresolved(a: UnresolvedReference, b: UnresolvedReference): number {
  return compare(a.from, b.from) || compare(a.kind, b.kind) || compare(a.id, b.id)
}

function sortedUnique<T extends string>(values: readonly T[]): T[] {
  return [...new Set(values)].sort(compare)
}

/**
 * Sorts and dedupes. Resources with the same kind and id must describe the same file (their
 * dependsOn are merged); two different files for one resource is a bug upstream and throws.
 * Unresolved entries that name a resource present in the snapshot are dropped (it is not missing),
 * and duplicates (same from, kind, id) keep the first in a fixed order.
 */
export function buildManifest(resources: ManifestResource[], unresolved: UnresolvedReference[]): Manifest {
  const byRef = new Map<string, ManifestResource>()
  for (const r of resources) {
    const ref = refOf(r.kind, r.id)
    const seen = byRef.get(ref)
    if (!seen) {
      byRef.set(ref, { ...r, dependsOn: sortedUnique(r.dependsOn) })
      continue
    }
    if (seen.path !== r.path || seen.sha256 !== r.sha256) {
      throw new Error(`buildManifest: ${ref} is listed twice with different files (${seen.path}, ${r.path})`)
    }
    seen.dependsOn = sortedUnique([...seen.dependsOn, ...r.dependsOn])
  }
  const sortedResources = [...byRef.values()].sort(compareResources)

  const unresolvedByKey = new Map<string, UnresolvedReference>()
  const candidates = [...unresolved].sort(
    (a, b) => compareUnresolved(a, b) || compare(a.reason, b.reason) || compare(a.name ?? '', b.name ?? '')
  )
  for (const u of candidates) {
    if (byRef.has(refOf(u.kind, u.id))) continue
    const key = `${u.from}\u0000${u.kind}\u0000${u.id}`
    if (!unresolvedByKey.has(key)) unresolvedByKey.set(key, { ...u })
  }
  return { schemaVersion: 1, resources: sortedResources, unresolved: [...unresolvedByKey.values()] }
}

/** dependsOn edges that name neither a resource nor an unresolved entry (the contract forbids them). */
export function danglingReferences(m: Manifest): { from: ResourceRef; to: ResourceRef }[] {
  const known = new Set<string>([
    ...m.resources.map(r => refOf(r.kind, r.id)),
    ...m.unresolved.map(u => refOf(u.kind, u.id))
  ])
  const out: { from: ResourceRef; to: ResourceRef }[] = []
  for (const r of m.resources) {
    for (const d of r.dependsOn) if (!known.has(d)) out.push({ from: refOf(r.kind, r.id), to: d })
  }
  return out
}

function orderedResource(r: ManifestResource): Record<string, unknown> {
  const o: Record<string, unknown> = { kind: r.kind, id: r.id, name: r.name }
  if (r.type !== undefined) o.type = r.type
  if (r.version !== undefined) o.version = r.version
  o.path = r.path
  o.sha256 = r.sha256
  o.dependsOn = sortedUnique(r.dependsOn)
  if (r.dependenciesNotRead !== undefined) o.dependenciesNotRead = r.dependenciesNotRead
  return o
}

function orderedUnresolved(u: UnresolvedReference): Record<string, unknown> {
  const o: Record<string, unknown> = { from: u.from, kind: u.kind, id: u.id }
  if (u.name !== undefined) o.name = u.name
  o.reason = u.reason
  return o
}

/**
 * Stable text: fixed key order, 2-space JSON, resources sorted by kind then id, unresolved by from,
 * kind, id, dependsOn sorted and unique, `dependencies` (when set) sorted and unique after
 * `unresolved`, final newline. Only the known fields are written.
 */
export function serializeManifest(m: Manifest): string {
  return [...manifestChunks(m)].join('')
}

/**
 * serializeManifest's text in pieces, one resource at a time, to be streamed to a file: the text of
 * a large org's manifest is megabytes, and there is no need to hold it whole. The pieces are exactly
 * JSON.stringify(manifest, null, 2): each entry is stringified alone and indented to its depth
 * (JSON escapes newlines inside strings, so every raw newline is structure).
 */
export function* manifestChunks(m: Manifest): Generator<string> {
  yield `{\n  "schemaVersion": ${JSON.stringify(m.schemaVersion)}`
  yield* arrayChunks('resources', [...m.resources].sort(compareResources).map(orderedResource))
  yield* arrayChunks('unresolved', [...m.unresolved].sort(compareUnresolved).map(orderedUnresolved))
  if (m.dependencies !== undefined) yield* arrayChunks('dependencies', sortedUnique(m.dependencies))
  yield '\n}\n'
}

function* arrayChunks(key: string, items: unknown[]): Generator<string> {
  if (items.length === 0) {
    yield `,\n  ${JSON.stringify(key)}: []`
    return
  }
  yield `,\n  ${JSON.stringify(key)}: [`
  for (let i = 0; i < items.length; i++) {
    yield (i === 0 ? '\n    ' : ',\n    ') + JSON.stringify(items[i], null, 2).replace(/\n/g, '\n    ')
  }
  yield '\n  ]'
}

const SHA256 = /^[0-9a-f]{64}$/

/**
 * Why `p` is not an acceptable snapshot path for a resource of `kind`, or undefined when it is:
 * relative, forward slashes, no empty, `.` or `..` segments, no drive letter, control characters or
 * backslashes, and inside the kind's folder (`flows/<type>/<file>`, `queues/<file>`, ...).
 */
export function pathProblem(p: string, kind?: ResourceKind): string | undefined {
  if (p === '') return 'is empty'
  if (p.includes('\\')) return 'contains a backslash (paths use forward slashes)'
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p))
    return 'is absolute (paths are relative to the snapshot folder)'
  if (/\p{Cc}/u.test(p)) return 'contains a control character'
  const segments = p.split('/')
  if (segments.some(s => s === '..')) return 'leaves the snapshot folder (..)'
  if (segments.some(s => s === '' || s === '.')) return 'has an empty or "." segment'
  if (p === MANIFEST_FILE) return 'is the manifest itself'
  if (kind) {
    const folder = KIND_FOLDERS[kind]
    const depth = kind === 'flow' ? 3 : 2
    if (segments[0] !== folder || segments.length !== depth) {
      return kind === 'flow'
        ? `is not of the form ${folder}/<flow type>/<file>`
        : `is not of the form ${folder}/<file>`
    }
  }
  return undefined
}

/**
 * Offset of the first syntax error in `text` as JSON, or undefined when it is valid. JSON.parse's
 * messages give no position for some errors on some Node versions, and a user fixing a hand-merged
 * manifest needs the line.
 */
export function jsonErrorOffset(text: string): number | undefined {
  let i = 0
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++
  }
  const fail = (): never => {
    throw i
  }
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length
    else fail()
  }
  const string = () => {
    if (text[i] !== '"') fail()
    i++
    while (i < text.length && text[i] !== '"') {
      const c = text.charCodeAt(i)
      if (c < 0x20) fail()
      if (text[i] === '\\') {
        i++
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail()
          i += 4
        } else if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) fail()
      }
      i++
    }
    if (i >= text.length) fail()
    i++
  }
  const number = () => {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400))
    if (!m) fail()
    i += m![0].length
  }
  const value = (depth: number): void => {
    if (depth > 1000) fail()
    ws()
    const c = text[i]
    if (c === '{') {
      i++
      ws()
      if (text[i] === '}') return void i++
      for (;;) {
        ws()
        string()
        ws()
        if (text[i] !== ':') fail()
        i++
        value(depth + 1)
        ws()
        if (text[i] === ',') i++
        else if (text[i] === '}') return void i++
        else fail()
      }
    } else if (c === '[') {
      i++
      ws()
      if (text[i] === ']') return void i++
      for (;;) {
        value(depth + 1)
        ws()
        if (text[i] === ',') i++
        else if (text[i] === ']') return void i++
        else fail()
      }
    } else if (c === '"') string()
    else if (c === 't') literal('true')
    else if (c === 'f') literal('false')
    else if (c === 'n') literal('null')
    else number()
  }
  try {
    value(0)
    ws()
    if (i < text.length) fail()
    return undefined
  } catch (at) {
    if (typeof at === 'number') return Math.min(at, text.length)
    throw at
  }
}

function lineAtOffset(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

/**
 * Parses manifest.json and checks it against the contract: schemaVersion 1, fields and their types,
 * kinds, paths (relative, forward slashes, inside the kind's folder, unique case-insensitively), hex
 * sha256, sorted unique dependsOn that resolve to a resource or an unresolved entry, sorted unique
 * resources, unresolved entries coming from a resource of the snapshot.
 *
 * `manifest` is returned whenever the structure is usable (every entry has the right fields and
 * types), even if ordering or reference checks failed, so a caller can still tell which files the
 * action manages; `problems` empty means the manifest is fully valid.
 */
export function parseManifest(text: string): { manifest?: Manifest; problems: ManifestProblem[] } {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error)
    const offset = jsonErrorOffset(text)
    const problem: ManifestProblem = { message: `${MANIFEST_FILE} is not valid JSON (${detail})` }
    if (offset !== undefined) problem.line = lineAtOffset(text, offset)
    return { problems: [problem] }
  }

  // JSON is YAML: its parse tree gives each entry's line for the messages below. It is built only
  // when there is a message: for a large valid manifest it would cost hundreds of megabytes.
  let tree: { doc: ReturnType<typeof parseDocument>; lineCounter: LineCounter } | undefined
  const lineAt = (path: (string | number)[]): number | undefined => {
    if (!tree) {
      const lineCounter = new LineCounter()
      tree = {
        doc: parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false }),
        lineCounter
      }
    }
    const { doc, lineCounter } = tree
    if (doc.errors.length > 0) return undefined
    const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined
    return node?.range ? lineCounter.linePos(node.range[0]).line : undefined
  }

  const problems: ManifestProblem[] = []
  let usable = true
  const problem = (message: string, path: (string | number)[] = [], structural = false) => {
    const line = lineAt(path)
    problems.push(line !== undefined ? { message, line } : { message })
    if (structural) usable = false
  }

  if (!isObject(data)) {
    problem(`${MANIFEST_FILE} must hold a JSON object`, [], true)
    return { problems }
  }
  if (data.schemaVersion !== 1) {
    problem(
      `schemaVersion is ${JSON.stringify(data.schemaVersion)}, this action reads and writes 1; ` +
        'run the snapshot with this version of the action to rewrite the folder',
      ['schemaVersion'],
      true
    )
  }
  if (!Array.isArray(data.resources)) problem('"resources" must be an array', ['resources'], true)
  if (!Array.isArray(data.unresolved)) problem('"unresolved" must be an array', ['unresolved'], true)
  const dependencies = data.dependencies
  if (dependencies !== undefined) {
    if (!Array.isArray(dependencies) || dependencies.some(d => typeof d !== 'string')) {
      problem('"dependencies" must be an array of strings', ['dependencies'], true)
    } else if (dependencies.some((d, i) => i > 0 && compare(dependencies[i - 1], d) >= 0)) {
      problem('"dependencies" must be sorted and unique', ['dependencies'])
    }
  }
  if (!usable) return { problems }

  const resources: ManifestResource[] = []
  ;(data.resources as unknown[]).forEach((raw, i) => {
    const at = (field?: string) => (field ? ['resources', i, field] : ['resources', i])
    if (!isObject(raw)) return problem(`resources[${i}] must be an object`, at(), true)
    const { kind, id, name, path, sha256, dependsOn, type, version, dependenciesNotRead } = raw
    const label = typeof kind === 'string' && typeof id === 'string' ? `${kind}:${id}` : `resources[${i}]`
    let ok = true
    const bad = (field: string, message: string) => {
      problem(`${label}: "${field}" ${message}`, at(field), true)
      ok = false
    }
    if (typeof kind !== 'string' || !RESOURCE_KINDS.includes(kind as ResourceKind)) {
      bad('kind', `must be one of ${RESOURCE_KINDS.join(', ')}`)
    }
    if (typeof id !== 'string' || id === '') bad('id', 'must be a non-empty string')
    if (typeof name !== 'string') bad('name', 'must be a string')
    if (typeof path !== 'string') bad('path', 'must be a string')
    if (typeof sha256 !== 'string' || !SHA256.test(sha256)) bad('sha256', 'must be 64 lower-case hex digits')
    if (!Array.isArray(dependsOn) || dependsOn.some(d => typeof d !== 'string')) {
      bad('dependsOn', 'must be an array of "kind:id" strings')
    }
    if (type !== undefined && typeof type !== 'string') bad('type', 'must be a string')
    if (version !== undefined && typeof version !== 'string') bad('version', 'must be a string')
    if (dependenciesNotRead !== undefined && (typeof dependenciesNotRead !== 'string' || kind !== 'flow'))
      bad('dependenciesNotRead', 'must be a string, on a flow only')
    if (!ok) return
    const r: ManifestResource = {
      kind: kind as ResourceKind,
      id: id as string,
      name: name as string,
      path: path as string,
      sha256: sha256 as string,
      dependsOn: dependsOn as ResourceRef[]
    }
    if (type !== undefined) r.type = type as string
    if (version !== undefined) r.version = version as string
    if (dependenciesNotRead !== undefined) r.dependenciesNotRead = dependenciesNotRead as string
    const why = pathProblem(r.path, r.kind)
    // A path that escapes the folder is never read; treat it as structural so no caller uses it.
    if (why) problem(`${label}: path "${r.path}" ${why}`, at('path'), true)
    if (r.kind === 'flow' && (r.type === undefined || r.type !== r.type.toLowerCase())) {
      problem(`${label}: a flow's "type" must be its flow type in lower case (inboundcall, ...)`, at('type'))
    } else if (r.kind === 'flow' && !why && r.path.split('/')[1] !== r.type) {
      problem(`${label}: path "${r.path}" is not in the folder of its type "${r.type}"`, at('path'))
    } else if (!why && !fileNameFits(r, r.path.slice(r.path.lastIndexOf('/') + 1))) {
      problem(
        `${label}: file name "${r.path}" is not one the action gives "${r.name}" (its name made safe, or that with an id suffix); re-run the snapshot, or restore the file and the manifest from the snapshot pull request`,
        at('path')
      )
    }
    resources.push(r)
  })

  const unresolved: UnresolvedReference[] = []
  ;(data.unresolved as unknown[]).forEach((raw, i) => {
    const at = (field?: string) => (field ? ['unresolved', i, field] : ['unresolved', i])
    if (!isObject(raw)) return problem(`unresolved[${i}] must be an object`, at(), true)
    const { from, kind, id, name, reason } = raw
    let ok = true
    const bad = (field: string, message: string) => {
      problem(`unresolved[${i}]: "${field}" ${message}`, at(field), true)
      ok = false
    }
    if (typeof from !== 'string' || !parseRef(from)) bad('from', 'must be "kind:id"')
    if (typeof kind !== 'string' || !RESOURCE_KINDS.includes(kind as ResourceKind)) {
      bad('kind', `must be one of ${RESOURCE_KINDS.join(', ')}`)
    }
    if (typeof id !== 'string' || id === '') bad('id', 'must be a non-empty string')
    if (name !== undefined && typeof name !== 'string') bad('name', 'must be a string')
    if (typeof reason !== 'string') bad('reason', 'must be a string')
    if (!ok) return
    const u: UnresolvedReference = {
      from: from as ResourceRef,
      kind: kind as ResourceKind,
      id: id as string,
      reason: reason as string
    }
    if (name !== undefined) u.name = name as string
    unresolved.push(u)
  })

  if (!usable) return { problems }

  // Order, uniqueness and references.
  const refs = new Set<string>()
  const paths = new Map<string, string>()
  resources.forEach((r, i) => {
    const ref = refOf(r.kind, r.id)
    if (refs.has(ref)) problem(`${ref} is listed more than once`, ['resources', i])
    refs.add(ref)
    if (i > 0 && compareResources(resources[i - 1], r) > 0) {
      problem(`${ref} is out of order: resources are sorted by kind, then id`, ['resources', i])
    }
    const folded = foldName(r.path)
    const other = paths.get(folded)
    if (other !== undefined) {
      problem(`${ref}: path "${r.path}" is also used by ${other} (compared case-insensitively)`, [
        'resources',
        i,
        'path'
      ])
    } else {
      paths.set(folded, ref)
    }
  })
  const unresolvedRefs = new Set(unresolved.map(u => refOf(u.kind, u.id)))
  resources.forEach((r, i) => {
    const ref = refOf(r.kind, r.id)
    r.dependsOn.forEach((d, j) => {
      const at = ['resources', i, 'dependsOn', j]
      if (!parseRef(d)) problem(`${ref}: dependsOn entry "${d}" is not "kind:id"`, at)
      else if (!refs.has(d) && !unresolvedRefs.has(d)) {
        problem(`${ref}: dependsOn "${d}" names neither a resource nor an unresolved entry`, at)
      }
      if (j > 0 && compare(r.dependsOn[j - 1], d) >= 0) {
        problem(`${ref}: dependsOn must be sorted and unique ("${r.dependsOn[j - 1]}" then "${d}")`, at)
      }
    })
  })
  const unresolvedKeys = new Set<string>()
  unresolved.forEach((u, i) => {
    if (!refs.has(u.from)) {
      problem(`unresolved[${i}]: "from" ${u.from} is not a resource of the snapshot`, [
        'unresolved',
        i,
        'from'
      ])
    }
    const key = `${u.from}\u0000${u.kind}\u0000${u.id}`
    if (unresolvedKeys.has(key)) problem(`unresolved[${i}] repeats an earlier entry`, ['unresolved', i])
    unresolvedKeys.add(key)
    if (i > 0 && compareUnresolved(unresolved[i - 1], u) > 0) {
      problem(`unresolved[${i}] is out of order: entries are sorted by from, kind, id`, ['unresolved', i])
    }
  })

  const manifest: Manifest = { schemaVersion: 1, resources, unresolved }
  if (dependencies !== undefined) manifest.dependencies = dependencies as string[]
  return { manifest, problems }
}
