import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { mapLimit } from '../common/concurrency.js'
import type { Log } from '../common/log.js'
import type { DependencyKind } from '../inputs.js'
import type { GenesysClient } from '../genesys/client.js'
import {
  consumedResources,
  dependencyBuildStatus,
  getDataActionsByIds,
  getQueuesByIds,
  getSkillsByIds,
  listFlows,
  type ByIdResult
} from '../genesys/api.js'
import { exportFlows, type FlowToExport } from '../genesys/export-jobs.js'
import type { Flow } from '../genesys/types.js'
import { canonicalYaml } from '../snapshot/canonical.js'
import { buildManifest, serializeManifest, sha256Hex } from '../snapshot/manifest.js'
import { assignFileNames } from '../snapshot/names.js'
import { redactDataAction } from '../snapshot/redact.js'
import type { SnapshotStaging } from '../snapshot/staging.js'
import {
  KIND_FOLDERS,
  MANIFEST_FILE,
  type Manifest,
  type ManifestResource,
  type ResourceKind,
  type ResourceRef,
  type UnresolvedReference
} from '../snapshot/model.js'
import { flowMatcher } from './filters.js'
import { dependencyRef, queueReferences } from './references.js'

export interface ExportOptions {
  flowTypes: readonly string[]
  include: readonly string[]
  exclude: readonly string[]
  dependencies: readonly DependencyKind[]
  incremental: boolean
  /** The snapshot committed in the workspace, for incremental reuse. */
  previous?: { manifest: Manifest; dir: string }
  concurrency: number
  log: Log
}

export interface SkippedResource {
  kind: ResourceKind
  id: string
  name: string
  reason: string
}

export interface ExportResult {
  manifest: Manifest
  /** Every file the snapshot manages, relative to the snapshot folder (manifest.json included). */
  files: string[]
  skipped: SkippedResource[]
  redactions: { file: string; count: number }[]
  warnings: string[]
  /** Flows whose files were reused from the previous snapshot without an export. */
  reused: number
  counts: Record<ResourceKind, number>
}

/** A permanent failure to export something the snapshot must hold: the run stops rather than drop it. */
export class ExportError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ExportError'
  }
}

/**
 * Flows that could not be exported because they changed in Genesys Cloud after they were listed
 * (published again, deleted): the run raced someone working in Architect. Exporting again gives a
 * snapshot whose files and manifest agree; the pipeline does so a bounded number of times.
 */
export class FlowsChangedError extends ExportError {
  constructor(message: string) {
    super(message)
    this.name = 'FlowsChangedError'
  }
}

const DEPENDENCY_KIND_OF: Record<DependencyKind, ResourceKind> = {
  queues: 'queue',
  skills: 'skill',
  'data-actions': 'data-action'
}

const ref = (kind: ResourceKind, id: string): ResourceRef => `${kind}:${id}`

interface Node {
  kind: ResourceKind
  id: string
  name: string
  /** Outgoing references, with the name the referrer knows them by. */
  refs: Map<ResourceRef, { name?: string; reason?: string }>
  /** Canonical API object for queues, skills and data actions. */
  object?: unknown
  flow?: Flow
  /** Flows: reuse the previous snapshot's file from this path. */
  reuseFrom?: string
}

/**
 * Exports the flows the filters pick and, transitively, everything they use, into `staging`.
 * Returns the manifest it wrote. Throws (and writes nothing the caller would keep) when a flow the
 * snapshot must hold cannot be exported: a missing file would read as a deleted flow.
 */
export async function exportOrg(
  client: GenesysClient,
  staging: SnapshotStaging,
  options: ExportOptions
): Promise<ExportResult> {
  const { log } = options
  const warnings: string[] = []
  const warn = (message: string): void => {
    warnings.push(message)
    log.warning(message)
  }
  const wanted = new Set<ResourceKind>(['flow', ...options.dependencies.map(d => DEPENDENCY_KIND_OF[d])])

  const buildStatus = await dependencyBuildStatus(client)
  if (buildStatus !== 'OPERATIONAL') {
    warn(
      `Architect's dependency index is ${buildStatus}, not OPERATIONAL: the dependencies of some flows may be missing or out of date until it is rebuilt (Architect > Dependency tracking).`
    )
  }

  // Every flow, whatever the filters say: flows the picked ones use are exported too.
  const allFlows = await log.group('Listing flows', async () => {
    const flows = await listFlows(client)
    log.info(`${flows.length} flows in the org`)
    return flows
  })
  const flowsById = new Map(allFlows.map(f => [f.id, f]))
  const matches = flowMatcher(options)
  const skipped: SkippedResource[] = []
  const roots: Flow[] = []
  for (const flow of allFlows) {
    if (!matches({ name: flow.name, type: flow.type })) continue
    if (!flow.publishedVersion?.id) {
      skipped.push({ kind: 'flow', id: flow.id, name: flow.name, reason: 'never published' })
    } else {
      roots.push(flow)
    }
  }
  log.info(`${roots.length} flows match the filters; ${skipped.length} of them were never published`)

  const previous = indexPrevious(options)
  const nodes = new Map<ResourceRef, Node>()
  const unresolved = new Map<ResourceRef, { reason: string; name?: string }>()
  const previousFiles = new Map<ResourceRef, ManifestResource>()

  // Closure: flows → their dependencies; queues → skills, in-queue flows and other queues.
  let pendingFlows: Flow[] = roots
  let pendingQueues = new Set<string>()
  let done = 0
  await log.group('Reading dependencies', async () => {
    while (pendingFlows.length > 0 || pendingQueues.size > 0) {
      const flows = pendingFlows.filter(f => !nodes.has(ref('flow', f.id)))
      pendingFlows = []
      for (const flow of flows) nodes.set(ref('flow', flow.id), flowNode(flow))
      await mapLimit(flows, options.concurrency, async flow => {
        const node = nodes.get(ref('flow', flow.id))!
        const reused = await reusableFlow(flow, previous, options)
        if (reused) {
          node.reuseFrom = reused.resource.path
          for (const [to, info] of reused.refs) node.refs.set(to, info)
        } else {
          const deps = await consumedResources(
            client,
            { id: flow.id, version: flow.publishedVersion!.id!, type: flow.type },
            undefined
          )
          for (const dep of deps) {
            const to = dependencyRef(dep)
            if (!to) continue
            const reason = dep.deleted ? 'deleted' : undefined
            node.refs.set(to, { name: dep.name, reason })
          }
        }
        done++
        if (done % 100 === 0) log.info(`flows ${done}/${nodes.size}`)
      })
      for (const flow of flows) {
        const node = nodes.get(ref('flow', flow.id))!
        for (const [to, info] of node.refs) {
          const [kind, id] = splitRef(to)
          if (!wanted.has(kind) || info.reason || nodes.has(to) || unresolved.has(to)) continue
          if (kind === 'flow') {
            const target = flowsById.get(id)
            if (!target)
              unresolved.set(to, { reason: 'not found in the flow listing (deleted?)', name: info.name })
            else if (!target.publishedVersion?.id)
              unresolved.set(to, { reason: 'never published', name: target.name })
            else pendingFlows.push(target)
          } else if (kind === 'queue') {
            pendingQueues.add(id)
          }
        }
      }
      if (pendingQueues.size > 0) {
        const ids = [...pendingQueues]
        pendingQueues = new Set()
        const result = await getQueuesByIds(client, ids)
        recordMissing('queue', result)
        for (const queue of result.found) {
          const node: Node = {
            kind: 'queue',
            id: queue.id,
            name: queue.name ?? queue.id,
            refs: new Map(),
            object: queue
          }
          nodes.set(ref('queue', queue.id), node)
          for (const to of queueReferences(queue)) {
            node.refs.set(to.ref, { name: to.name })
            const [kind, id] = splitRef(to.ref)
            if (!wanted.has(kind) || nodes.has(to.ref) || unresolved.has(to.ref)) continue
            if (kind === 'queue') pendingQueues.add(id)
            else if (kind === 'flow') {
              const target = flowsById.get(id)
              if (!target)
                unresolved.set(to.ref, { reason: 'not found in the flow listing (deleted?)', name: to.name })
              else if (!target.publishedVersion?.id)
                unresolved.set(to.ref, { reason: 'never published', name: target.name })
              else pendingFlows.push(target)
            }
          }
        }
      }
    }
    log.info(`flows ${done}/${nodes.size}: dependencies read`)
  })

  function recordMissing(kind: ResourceKind, result: ByIdResult<unknown>): void {
    for (const missing of result.missing) {
      const key = ref(kind, missing.id)
      const kept = previous.resources.get(key)
      if (missing.status === 403 && kept) {
        // Could not read it: keep the committed copy rather than let the snapshot say it was deleted.
        previousFiles.set(key, kept)
        warn(
          `Could not read ${kind} ${kept.name} (${missing.id}): ${missing.reason}. Kept the committed copy.`
        )
      } else {
        unresolved.set(key, { reason: missing.reason })
      }
    }
  }

  // Skills and data actions referenced by anything in the closure, read in batches.
  const referenced = (kind: ResourceKind): string[] => {
    const ids = new Set<string>()
    for (const node of nodes.values())
      for (const [to, info] of node.refs) {
        const [k, id] = splitRef(to)
        if (k === kind && !info.reason && !nodes.has(to) && !unresolved.has(to)) ids.add(id)
      }
    return [...ids].sort()
  }
  if (wanted.has('skill')) {
    const result = await getSkillsByIds(client, referenced('skill'))
    recordMissing('skill', result)
    for (const skill of result.found)
      nodes.set(ref('skill', skill.id), {
        kind: 'skill',
        id: skill.id,
        name: skill.name ?? skill.id,
        refs: new Map(),
        object: skill
      })
  }
  if (wanted.has('data-action')) {
    const result = await getDataActionsByIds(client, referenced('data-action'))
    recordMissing('data-action', result)
    for (const action of result.found)
      nodes.set(ref('data-action', action.id), {
        kind: 'data-action',
        id: action.id,
        name: action.name ?? action.id,
        refs: new Map(),
        object: action
      })
  }

  // Paths: one folder per kind (flows per type), names assigned over each folder's whole set.
  const paths = assignPaths([...nodes.values()], [...previousFiles.values()])

  const resources: ManifestResource[] = []
  const redactions: { file: string; count: number }[] = []
  const dependsOnOf = (node: Node, from: ResourceRef): ResourceRef[] => {
    const out: ResourceRef[] = []
    for (const [to, info] of node.refs) {
      const [kind] = splitRef(to)
      if (!wanted.has(kind)) continue
      if (info.reason) unresolved.set(to, { reason: info.reason, name: info.name })
      if (nodes.has(to) || previousFiles.has(to)) out.push(to)
      else if (unresolved.has(to)) unresolvedEdges.push({ from, to, name: info.name })
    }
    return out
  }
  const unresolvedEdges: { from: ResourceRef; to: ResourceRef; name?: string }[] = []

  // Queues, skills and data actions: canonical YAML, credentials redacted.
  for (const node of nodes.values()) {
    if (node.kind === 'flow') continue
    const key = ref(node.kind, node.id)
    const file = paths.get(key)!
    let value = node.object
    if (node.kind === 'data-action') {
      const redacted = redactDataAction(value)
      value = redacted.value
      if (redacted.redactions.length > 0) redactions.push({ file, count: redacted.redactions.length })
    }
    const written = await staging.writeFile(file, canonicalYaml(node.kind, value))
    resources.push({
      kind: node.kind,
      id: node.id,
      name: node.name,
      path: file,
      sha256: written.sha256,
      dependsOn: dependsOnOf(node, key)
    })
  }
  for (const kept of previousFiles.values()) {
    const key = ref(kept.kind, kept.id)
    const file = paths.get(key)!
    const data = await readFile(path.join(options.previous!.dir, kept.path))
    const written = await staging.writeFile(file, data)
    // Its recorded edges, kept only where they still name something in this snapshot.
    const node: Node = {
      kind: kept.kind,
      id: kept.id,
      name: kept.name,
      refs: new Map(kept.dependsOn.map(d => [d, {}]))
    }
    resources.push({ ...kept, path: file, sha256: written.sha256, dependsOn: dependsOnOf(node, key) })
  }

  // Flows: reuse unchanged files, export the rest in batched jobs that stream to disk.
  const flowNodes = [...nodes.values()].filter(n => n.kind === 'flow')
  let reused = 0
  const exported = new Map<string, string>()
  await log.group(`Exporting ${flowNodes.length} flows`, async () => {
    const toExport: FlowToExport[] = []
    for (const node of flowNodes) {
      const key = ref('flow', node.id)
      const file = paths.get(key)!
      if (node.reuseFrom !== undefined) {
        const written =
          node.reuseFrom === file
            ? await staging.copyFromCurrent(file)
            : await staging.writeFile(file, await readFile(path.join(options.previous!.dir, node.reuseFrom)))
        exported.set(node.id, written.sha256)
        reused++
      } else {
        toExport.push({
          id: node.id,
          version: node.flow!.publishedVersion!.id!,
          name: node.name,
          type: node.flow!.type
        })
      }
    }
    if (reused > 0) log.info(`${reused} flows unchanged since the committed snapshot: files reused`)
    let count = 0
    const { failed } = await exportFlows(client, toExport, {
      log,
      onFlow: async (flow, yaml) => {
        const written = await staging.writeFile(paths.get(ref('flow', flow.id))!, yaml)
        exported.set(flow.id, written.sha256)
        count++
        if (count % 100 === 0 || count === toExport.length)
          log.info(`exported flows ${count}/${toExport.length}`)
      }
    })
    const missing = toExport.filter(f => !exported.has(f.id))
    if (failed.length > 0 || missing.length > 0) {
      throw await exportFailure(client, failed, missing)
    }
  })
  for (const node of flowNodes) {
    const key = ref('flow', node.id)
    resources.push({
      kind: 'flow',
      id: node.id,
      name: node.name,
      path: paths.get(key)!,
      sha256: exported.get(node.id)!,
      dependsOn: dependsOnOf(node, key),
      type: node.flow!.type.toLowerCase(),
      version: node.flow!.publishedVersion!.id!
    })
  }

  const unresolvedList: UnresolvedReference[] = unresolvedEdges.map(edge => {
    const [kind, id] = splitRef(edge.to)
    const info = unresolved.get(edge.to)!
    const name = edge.name ?? info.name
    return { from: edge.from, kind, id, ...(name !== undefined ? { name } : {}), reason: info.reason }
  })
  const manifest = buildManifest(resources, unresolvedList)
  manifest.dependencies = [...options.dependencies].sort()
  await staging.writeFile(MANIFEST_FILE, serializeManifest(manifest))

  const counts: Record<ResourceKind, number> = { flow: 0, queue: 0, skill: 0, 'data-action': 0 }
  for (const r of manifest.resources) counts[r.kind]++
  return {
    manifest,
    files: [...manifest.resources.map(r => r.path), MANIFEST_FILE],
    skipped,
    redactions,
    warnings,
    reused,
    counts
  }
}

function flowNode(flow: Flow): Node {
  return { kind: 'flow', id: flow.id, name: flow.name, refs: new Map(), flow }
}

function splitRef(r: ResourceRef): [ResourceKind, string] {
  const i = r.indexOf(':')
  return [r.slice(0, i) as ResourceKind, r.slice(i + 1)]
}

interface PreviousIndex {
  resources: Map<ResourceRef, ManifestResource>
  unresolvedFrom: Map<ResourceRef, UnresolvedReference[]>
  /** Whether the previous manifest's dependsOn edges cover the kinds exported now. */
  sameDependencies: boolean
}

function indexPrevious(options: ExportOptions): PreviousIndex {
  const resources = new Map<ResourceRef, ManifestResource>()
  const unresolvedFrom = new Map<ResourceRef, UnresolvedReference[]>()
  const manifest = options.previous?.manifest
  if (!manifest) return { resources, unresolvedFrom, sameDependencies: false }
  for (const r of manifest.resources) resources.set(ref(r.kind, r.id), r)
  for (const u of manifest.unresolved) {
    const list = unresolvedFrom.get(u.from) ?? []
    list.push(u)
    unresolvedFrom.set(u.from, list)
  }
  const before = [...(manifest.dependencies ?? [])].sort().join(',')
  const now = [...options.dependencies].sort().join(',')
  return { resources, unresolvedFrom, sameDependencies: before === now }
}

/**
 * A flow's committed file can stand for it when its published version, name and type are what
 * the committed manifest says and the file still has the bytes the manifest records. Published
 * versions never change, so its dependencies are those the manifest recorded.
 */
async function reusableFlow(
  flow: Flow,
  previous: PreviousIndex,
  options: ExportOptions
): Promise<
  { resource: ManifestResource; refs: Map<ResourceRef, { name?: string; reason?: string }> } | undefined
> {
  if (!options.incremental || !options.previous || !previous.sameDependencies) return undefined
  const key = ref('flow', flow.id)
  const resource = previous.resources.get(key)
  if (!resource || resource.version !== flow.publishedVersion?.id) return undefined
  if (resource.name !== flow.name || resource.type !== flow.type.toLowerCase()) return undefined
  let bytes: Buffer
  try {
    bytes = await readFile(path.join(options.previous.dir, resource.path))
  } catch {
    return undefined
  }
  if (sha256Hex(bytes) !== resource.sha256) return undefined
  const refs = new Map<ResourceRef, { name?: string; reason?: string }>()
  for (const to of resource.dependsOn) refs.set(to, {})
  for (const u of previous.unresolvedFrom.get(key) ?? []) {
    // Only references that were deleted stay unresolved for sure; others are looked up again.
    refs.set(ref(u.kind, u.id), { name: u.name, reason: u.reason === 'deleted' ? 'deleted' : undefined })
  }
  return { resource, refs }
}

function assignPaths(nodes: Node[], kept: ManifestResource[]): Map<ResourceRef, string> {
  const folders = new Map<string, { key: ResourceRef; id: string; name: string }[]>()
  const add = (folder: string, kind: ResourceKind, id: string, name: string): void => {
    const list = folders.get(folder) ?? []
    list.push({ key: ref(kind, id), id, name })
    folders.set(folder, list)
  }
  for (const node of nodes) {
    const folder =
      node.kind === 'flow' ? `${KIND_FOLDERS.flow}/${node.flow!.type.toLowerCase()}` : KIND_FOLDERS[node.kind]
    add(folder, node.kind, node.id, node.name)
  }
  for (const r of kept) add(KIND_FOLDERS[r.kind], r.kind, r.id, r.name)
  const paths = new Map<ResourceRef, string>()
  for (const [folder, entries] of folders) {
    const names = assignFileNames(
      entries.map(e => ({ id: e.id, name: e.name })),
      '.yaml'
    )
    for (const e of entries) paths.set(e.key, `${folder}/${names.get(e.id)!}`)
  }
  return paths
}

/**
 * The error for flows that could not be exported. Each is looked up again: one published again or
 * deleted since the listing makes it a FlowsChangedError (export again), else an ExportError that
 * lists every flow with its reason.
 */
async function exportFailure(
  client: GenesysClient,
  failed: { flow: FlowToExport; reason: string }[],
  missing: FlowToExport[]
): Promise<ExportError> {
  const flows = [...failed.map(f => f.flow), ...missing.filter(f => !failed.some(x => x.flow.id === f.id))]
  const changed: string[] = []
  try {
    const current = new Map<string, Flow>()
    for (let i = 0; i < flows.length; i += 50) {
      const listed = await client.getAllPages<Flow>(
        '/api/v2/flows',
        { id: flows.slice(i, i + 50).map(f => f.id) },
        { pageSize: 500, endpoint: 'GET /api/v2/flows' }
      )
      for (const f of listed) current.set(f.id, f)
    }
    for (const f of flows) {
      const now = current.get(f.id)?.publishedVersion?.id
      if (now !== f.version)
        changed.push(
          `${f.name} (${f.type}, ${f.id}): ${now ? `published again (${f.version} → ${now})` : 'deleted or unpublished'}`
        )
    }
  } catch {
    // Cannot tell whether they changed: report the failures as they are.
  }
  if (changed.length > 0) {
    return new FlowsChangedError(
      `${changed.length} flow(s) changed in Genesys Cloud while the snapshot was being made, so the snapshot was not changed:\n  ${changed.join('\n  ')}\nRerun the workflow once nobody is publishing these flows.`
    )
  }
  const lines = failed.map(f => `${f.flow.name} (${f.flow.type}, ${f.flow.id}): ${f.reason}`)
  for (const f of missing)
    if (!failed.some(x => x.flow.id === f.id)) lines.push(`${f.name} (${f.id}): no file came back`)
  return new ExportError(
    `Could not export ${lines.length} flow(s); the snapshot was not changed:\n  ${lines.join('\n  ')}\nExport jobs fail now and then on Genesys Cloud's side: rerun the workflow. If a flow keeps failing, export it in Architect to see why.`
  )
}
