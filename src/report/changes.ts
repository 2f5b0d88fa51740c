/**
 * What changed between two snapshots: files by path (for the outputs), resources by id (for the
 * reviewers), and unresolved references. Manifests are compared by id and sha256, so only the files of
 * resources that really changed are read (on the PR path, every read is a GitHub API request).
 */
import { createHash } from 'node:crypto'
import { parseDocument } from 'yaml'
import { mapLimit } from '../common/concurrency.js'
import {
  MANIFEST_FILE,
  unlistedManagedFiles,
  type Manifest,
  type ManifestResource,
  type ResourceKind,
  type UnresolvedReference
} from '../snapshot/model.js'
import { deepEqual, diffFields, type FieldChange } from './field-diff.js'
import { countLineChanges } from './line-diff.js'

export type { FieldChange }

export interface SnapshotView {
  manifest?: Manifest
  /** Text of a file, path relative to the snapshot folder; undefined when there is no such file. */
  read(path: string): Promise<string | undefined>
  /** sha256 of a file's bytes, when the view can give it without the whole text (a large manifest). */
  sha256?(path: string): Promise<string | undefined>
  /**
   * Every file in the managed folders (flows/, queues/, ...), listed in the manifest or not. Without
   * it, files the manifest does not list go unseen (on the `before` side, that is where it matters).
   */
  managedFiles?(): Promise<string[]>
}

export interface ResourceChange {
  kind: ResourceKind
  id: string
  name: string
  change: 'added' | 'removed' | 'modified'
  /** The file now (for a removed resource, the file it had). */
  path: string
  /** Set when the file moved (a rename: same id, new name or flow type); one 'modified' change. */
  previousPath?: string
  previousName?: string
  /** Flows: published version before and after (e.g. '3.0' → '4.0'). */
  previousVersion?: string
  version?: string
  /** Flows: flow type (lower case), and the previous one when it changed. */
  flowType?: string
  previousFlowType?: string
  /** Queues, skills, data actions: changed leaves, at most MAX_FIELDS; flows: []. */
  fields: FieldChange[]
  /** Field changes found beyond those listed. */
  fieldsOmitted?: number
  /** Flows: lines added and removed in the file. */
  linesAdded?: number
  linesRemoved?: number
  dependsOnAdded: string[]
  dependsOnRemoved: string[]
  /**
   * Flows: the manifest's `dependenciesNotRead` before and after, set only when it appeared, changed
   * or cleared (an unset side: dependency tracking answered for the flow).
   */
  dependenciesNotRead?: { before?: string; after?: string }
  /** Why there is no field diff although the file changed (unparseable YAML, unreadable file, order only). */
  note?: string
}

export interface ChangeSet {
  changed: boolean
  /** Snapshot-relative paths, sorted; manifest.json included when it changed. */
  files: { added: string[]; modified: string[]; removed: string[] }
  /**
   * Files in the managed folders that the manifest before did not list and the new snapshot does
   * not write, sorted: the snapshot deletes them, so they are in `files.removed` too.
   */
  unlisted: string[]
  /** Sorted by kind (flow, queue, skill, data-action), then name, then id. */
  resources: ResourceChange[]
  unresolved: {
    added: UnresolvedReference[]
    removed: UnresolvedReference[]
    /** The same reference (from, kind, id) with another reason or name, e.g. forbidden (403) → deleted. */
    changed: { before: UnresolvedReference; after: UnresolvedReference }[]
  }
  /** Display names of the `kind:id` references in dependsOn and unresolved entries, from both snapshots. */
  names?: Record<string, string>
}

/** Field changes kept per resource; the rest are counted in `fieldsOmitted`. */
export const MAX_FIELDS = 200
const READ_CONCURRENCY = 8

export const KIND_ORDER: readonly ResourceKind[] = ['flow', 'queue', 'skill', 'data-action']

/** Case-insensitive, then code-point order: the same on every machine, unlike localeCompare. */
export function compareNames(a: string, b: string): number {
  const x = a.toLowerCase()
  const y = b.toLowerCase()
  if (x !== y) return x < y ? -1 : 1
  return a < b ? -1 : a > b ? 1 : 0
}

function compareChanges(a: ResourceChange, b: ResourceChange): number {
  return (
    KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) ||
    compareNames(a.name, b.name) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  )
}

const refOf = (r: { kind: ResourceKind; id: string }): string => `${r.kind}:${r.id}`

async function safeRead(view: SnapshotView, path: string): Promise<string | undefined> {
  try {
    return await view.read(path)
  } catch {
    return undefined
  }
}

async function safeDigest(view: SnapshotView, path: string): Promise<string | undefined> {
  if (view.sha256) return view.sha256(path).catch(() => undefined)
  const text = await safeRead(view, path)
  return text === undefined ? undefined : sha256(text)
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

type Parsed = { ok: true; value: unknown } | { ok: false }

function parseYaml(text: string): Parsed {
  try {
    // parseDocument rather than parse: with logging silenced, parse() drops errors instead of throwing.
    const doc = parseDocument(text, { logLevel: 'silent' })
    if (doc.errors.length > 0) return { ok: false }
    return { ok: true, value: doc.toJS({ maxAliasCount: 100 }) as unknown }
  } catch {
    return { ok: false }
  }
}

function setDifference(a: readonly string[], b: readonly string[]): string[] {
  const other = new Set(b)
  return Array.from(new Set(a.filter(x => !other.has(x)))).sort()
}

function baseChange(r: ManifestResource, change: ResourceChange['change']): ResourceChange {
  const c: ResourceChange = {
    kind: r.kind,
    id: r.id,
    name: r.name,
    change,
    path: r.path,
    fields: [],
    dependsOnAdded: change === 'added' ? [...r.dependsOn].sort() : [],
    dependsOnRemoved: change === 'removed' ? [...r.dependsOn].sort() : []
  }
  if (r.kind === 'flow') {
    if (r.type !== undefined) c.flowType = r.type
    if (change === 'removed') {
      if (r.version !== undefined) c.previousVersion = r.version
    } else if (r.version !== undefined) c.version = r.version
  }
  return c
}

function differs(b: ManifestResource, a: ManifestResource): boolean {
  return (
    b.sha256 !== a.sha256 ||
    b.path !== a.path ||
    b.name !== a.name ||
    b.version !== a.version ||
    b.type !== a.type ||
    b.dependenciesNotRead !== a.dependenciesNotRead ||
    setDifference(a.dependsOn, b.dependsOn).length > 0 ||
    setDifference(b.dependsOn, a.dependsOn).length > 0
  )
}

/** Describes a resource present in both snapshots whose manifest entry differs; reads its files only when their hashes differ. */
async function describeModified(
  b: ManifestResource,
  a: ManifestResource,
  before: SnapshotView,
  after: SnapshotView
): Promise<ResourceChange> {
  const c = baseChange(a, 'modified')
  if (b.path !== a.path) c.previousPath = b.path
  if (b.name !== a.name) c.previousName = b.name
  if (a.kind === 'flow') {
    if (b.version !== undefined) c.previousVersion = b.version
    if (b.type !== a.type && b.type !== undefined) c.previousFlowType = b.type
  }
  c.dependsOnAdded = setDifference(a.dependsOn, b.dependsOn)
  c.dependsOnRemoved = setDifference(b.dependsOn, a.dependsOn)
  if (b.dependenciesNotRead !== a.dependenciesNotRead) {
    c.dependenciesNotRead = {}
    if (b.dependenciesNotRead !== undefined) c.dependenciesNotRead.before = b.dependenciesNotRead
    if (a.dependenciesNotRead !== undefined) c.dependenciesNotRead.after = a.dependenciesNotRead
  }
  if (b.sha256 === a.sha256) return c

  const [beforeText, afterText] = await Promise.all([safeRead(before, b.path), safeRead(after, a.path)])
  if (beforeText === undefined || afterText === undefined) {
    const side = beforeText === undefined ? `before (${b.path})` : `after (${a.path})`
    c.note = `The file could not be read ${side}; no detailed diff.`
    return c
  }
  if (a.kind === 'flow') {
    const lines = countLineChanges(beforeText, afterText)
    c.linesAdded = lines.added
    c.linesRemoved = lines.removed
    return c
  }
  const parsedBefore = parseYaml(beforeText)
  const parsedAfter = parseYaml(afterText)
  if (!parsedBefore.ok || !parsedAfter.ok) {
    const which =
      !parsedBefore.ok && !parsedAfter.ok ? 'either side' : !parsedBefore.ok ? 'the old file' : 'the new file'
    c.note = `The YAML of ${which} could not be parsed; no field diff.`
    return c
  }
  const diff = diffFields(parsedBefore.value, parsedAfter.value, MAX_FIELDS)
  c.fields = diff.fields
  if (diff.omitted > 0) c.fieldsOmitted = diff.omitted
  if (diff.fields.length === 0) c.note = 'Only the order of entries or the formatting changed.'
  return c
}

const unresolvedKey = (u: UnresolvedReference): string => `${u.from}\u0000${u.kind}\u0000${u.id}`

function compareUnresolved(x: UnresolvedReference, y: UnresolvedReference): number {
  const a = unresolvedKey(x)
  const b = unresolvedKey(y)
  return a < b ? -1 : a > b ? 1 : 0
}

function diffUnresolved(
  before: UnresolvedReference[],
  after: UnresolvedReference[]
): ChangeSet['unresolved'] {
  const b = new Map(before.map(u => [unresolvedKey(u), u]))
  const a = new Map(after.map(u => [unresolvedKey(u), u]))
  const changed: ChangeSet['unresolved']['changed'] = []
  for (const [key, now] of a) {
    const was = b.get(key)
    if (was && (was.reason !== now.reason || was.name !== now.name)) changed.push({ before: was, after: now })
  }
  return {
    added: after.filter(u => !b.has(unresolvedKey(u))).sort(compareUnresolved),
    removed: before.filter(u => !a.has(unresolvedKey(u))).sort(compareUnresolved),
    changed: changed.sort((x, y) => compareUnresolved(x.after, y.after))
  }
}

/** The manifest as its JSON would hold it (no undefined-valued keys). */
const plain = (m: Manifest): unknown => JSON.parse(JSON.stringify(m)) as unknown

/** sha256 of the manifest file on each side (either may be absent), taken once. */
interface ManifestDigests {
  before?: string
  after?: string
}

function manifestFileChange(
  before: SnapshotView,
  after: SnapshotView,
  digests: ManifestDigests
): 'added' | 'modified' | 'removed' | undefined {
  const hasBefore = digests.before !== undefined || before.manifest !== undefined
  const hasAfter = digests.after !== undefined || after.manifest !== undefined
  if (!hasBefore) return hasAfter ? 'added' : undefined
  if (!hasAfter) return 'removed'
  if (digests.before !== undefined && digests.after !== undefined)
    return digests.before === digests.after ? undefined : 'modified'
  // One side is known only parsed: compare the manifests themselves.
  return before.manifest && after.manifest && deepEqual(plain(before.manifest), plain(after.manifest))
    ? undefined
    : 'modified'
}

/**
 * File-level changes. Without a manifest before, files can only be compared by reading them; only
 * those there are read (all, without a listing, when a manifest.json that did not parse says a
 * snapshot is there), since a first run's `before` is usually empty and each read may be an API
 * request. `present`: the files of the managed folders before, when the view lists them.
 */
async function fileChanges(
  before: SnapshotView,
  after: SnapshotView,
  digests: ManifestDigests,
  present: ReadonlySet<string> | undefined,
  unlisted: readonly string[]
): Promise<ChangeSet['files']> {
  const afterFiles = new Map((after.manifest?.resources ?? []).map(r => [r.path, r.sha256]))
  const files: ChangeSet['files'] = { added: [], modified: [], removed: [...unlisted] }
  if (before.manifest) {
    const beforeFiles = new Map(before.manifest.resources.map(r => [r.path, r.sha256]))
    // A file there that the manifest did not list, which the new snapshot writes: compared by its
    // bytes, as the pull request's plan compares it (rare, so each is one read).
    const unlistedThere: [string, string][] = []
    for (const [p, sha] of afterFiles) {
      const old = beforeFiles.get(p)
      if (old === undefined) {
        if (present?.has(p)) unlistedThere.push([p, sha])
        else files.added.push(p)
      } else if (old !== sha) files.modified.push(p)
    }
    const olds = await mapLimit(unlistedThere, READ_CONCURRENCY, ([p]) => safeRead(before, p))
    unlistedThere.forEach(([p, sha], i) => {
      const old = olds[i]
      if (old === undefined) files.added.push(p)
      else if (sha256(old) !== sha) files.modified.push(p)
    })
    for (const p of beforeFiles.keys()) if (!afterFiles.has(p)) files.removed.push(p)
  } else {
    const there = (p: string): boolean => (present ? present.has(p) : digests.before !== undefined)
    const entries = Array.from(afterFiles)
    const olds = await mapLimit(entries, READ_CONCURRENCY, ([p]) =>
      there(p) ? safeRead(before, p) : Promise.resolve(undefined)
    )
    entries.forEach(([p, sha], i) => {
      const old = olds[i]
      if (old === undefined) files.added.push(p)
      else if (sha256(old) !== sha) files.modified.push(p)
    })
  }
  const manifestChange = manifestFileChange(before, after, digests)
  if (manifestChange) files[manifestChange].push(MANIFEST_FILE)
  files.added.sort()
  files.modified.sort()
  files.removed.sort()
  return files
}

function collectNames(...manifests: (Manifest | undefined)[]): Record<string, string> {
  const names: Record<string, string> = {}
  for (const m of manifests) {
    if (!m) continue
    for (const u of m.unresolved) if (u.name) names[refOf(u)] = u.name
    for (const r of m.resources) names[refOf(r)] = r.name
  }
  return names
}

/**
 * `before` with its manifest's digests corrected where a file no longer matches its entry (edited by
 * hand, or replaced): otherwise the entries agree, the run rewrites the file, and nobody hears of it.
 * Only a view that digests files cheaply (a folder on disk) is checked; the files whose entries
 * differ from `after`'s are read anyway.
 */
async function withActualDigests(before: SnapshotView, after: SnapshotView): Promise<SnapshotView> {
  if (!before.sha256 || !before.manifest) return before
  const afterDigests = new Map((after.manifest?.resources ?? []).map(r => [refOf(r), r.sha256]))
  const agreeing = before.manifest.resources.filter(r => afterDigests.get(refOf(r)) === r.sha256)
  const actual = await mapLimit(agreeing, READ_CONCURRENCY, r => safeDigest(before, r.path))
  const corrected = new Map<ManifestResource, string>()
  agreeing.forEach((r, i) => {
    if (actual[i] !== r.sha256) corrected.set(r, actual[i] ?? 'unreadable')
  })
  if (corrected.size === 0) return before
  const resources = before.manifest.resources.map(r => {
    const sha256 = corrected.get(r)
    return sha256 === undefined ? r : { ...r, sha256 }
  })
  return { ...before, manifest: { ...before.manifest, resources } }
}

/**
 * Compares two snapshots by manifest (id-keyed, sha256) and reads only the files that differ, plus
 * the files `before` has in the managed folders without listing them. `before` may have no manifest
 * (first run). Never throws on bad content.
 */
export async function computeChanges(committed: SnapshotView, after: SnapshotView): Promise<ChangeSet> {
  const before = await withActualDigests(committed, after)
  const beforeResources = new Map((before.manifest?.resources ?? []).map(r => [refOf(r), r]))
  const afterResources = new Map((after.manifest?.resources ?? []).map(r => [refOf(r), r]))

  const resources: ResourceChange[] = []
  const modified: [ManifestResource, ManifestResource][] = []
  for (const [ref, a] of afterResources) {
    const b = beforeResources.get(ref)
    if (!b) resources.push(baseChange(a, 'added'))
    else if (differs(b, a)) modified.push([b, a])
  }
  for (const [ref, b] of beforeResources)
    if (!afterResources.has(ref)) resources.push(baseChange(b, 'removed'))
  resources.push(
    ...(await mapLimit(modified, READ_CONCURRENCY, ([b, a]) => describeModified(b, a, before, after)))
  )
  resources.sort(compareChanges)

  const [beforeDigest, afterDigest] = await Promise.all([
    safeDigest(before, MANIFEST_FILE),
    safeDigest(after, MANIFEST_FILE)
  ])
  // Files the manifest before did not list go with the new snapshot unless it writes them itself,
  // as the pull request's plan and the workspace swap both do.
  const listing = await before.managedFiles?.()
  const written = new Set((after.manifest?.resources ?? []).map(r => r.path))
  const unlisted = unlistedManagedFiles(listing ?? [], before.manifest).filter(p => !written.has(p))
  const present = listing ? new Set(listing) : undefined
  const digests = { before: beforeDigest, after: afterDigest }
  const files = await fileChanges(before, after, digests, present, unlisted)
  const unresolved = diffUnresolved(before.manifest?.unresolved ?? [], after.manifest?.unresolved ?? [])
  const changed =
    files.added.length + files.modified.length + files.removed.length > 0 ||
    resources.length > 0 ||
    unresolved.added.length + unresolved.removed.length + unresolved.changed.length > 0
  return {
    changed,
    files,
    unlisted,
    resources,
    unresolved,
    names: collectNames(before.manifest, after.manifest)
  }
}
