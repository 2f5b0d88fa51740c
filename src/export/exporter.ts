import { createReadStream } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { mapLimit } from '../common/concurrency.js'
import type { Log } from '../common/log.js'
import type { DependencyKind } from '../inputs.js'
import type { GenesysClient } from '../genesys/client.js'
import { InputError } from '../common/errors.js'
import { GenesysApiError } from '../genesys/errors.js'
import {
  consumedResources,
  dependencyIndexStatus,
  dependencyTrackingDocumented,
  flowObjectType,
  getFlow,
  getQueuesByIds,
  getSkillsByIds,
  isStatusOnly,
  listFlows,
  missingReason,
  type ByIdResult
} from '../genesys/api.js'
import { FlowExportQueue, type FlowToExport } from '../genesys/export-jobs.js'
import type { Flow } from '../genesys/types.js'
import { canonicalYaml } from '../snapshot/canonical.js'
import { buildManifest, manifestChunks } from '../snapshot/manifest.js'
import { assignFileNames, foldName, safeBaseName } from '../snapshot/names.js'
import type { SnapshotStaging } from '../snapshot/staging.js'
import {
  MANIFEST_FILE,
  type Manifest,
  type ManifestResource,
  type ResourceKind,
  type ResourceRef,
  type UnresolvedReference
} from '../snapshot/model.js'
import { Batcher } from './batcher.js'
import { DataActionReader } from './data-actions.js'
import { describeFilters, flowMatcher, reviewFilters } from './filters.js'
import { committedFileNames, folderOf, settledFlowPaths, type FolderNames } from './flow-paths.js'
import { indexDoubt, indexReady } from './index-doubt.js'
import { dependencyRef, queueReferences } from './references.js'

export interface ExportOptions {
  flowTypes: readonly string[]
  include: readonly string[]
  exclude: readonly string[]
  dependencies: readonly DependencyKind[]
  incremental: boolean
  /** The snapshot committed in the workspace, for incremental reuse; `sha256` digests its files. */
  previous?: { manifest: Manifest; dir: string; sha256(path: string): Promise<string | undefined> }
  concurrency: number
  log: Log
  /** Where exported flow files wait until their snapshot paths are known; default RUNNER_TEMP or the OS temp folder. */
  scratchDir?: string
  /** Flows per export job (see FlowExportQueue); default 100. */
  exportBatchSize?: number
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

interface RefInfo {
  name?: string
  /** Why the reference cannot be followed (it is unresolved for sure). */
  reason?: string
  /** Dependency tracking flags it deleted: read all the same, since its index can be out of date. */
  reportedDeleted?: boolean
}

interface Node {
  kind: ResourceKind
  id: string
  name: string
  /** Outgoing references, with the name the referrer knows them by. */
  refs: Map<ResourceRef, RefInfo>
  /** Queues, skills and data actions: the file, rendered when the object arrived. */
  file?: { text: string; redactions: number }
  flow?: Flow
  /** Flows: reuse this file of the previous snapshot. */
  reuseFrom?: ManifestResource
  /** Flows: why dependency tracking could not say what it uses (its refs are the committed ones). */
  dependenciesNotRead?: string
}

/**
 * Exports the flows the filters pick and, transitively, everything they use, into `staging`.
 * Returns the manifest it wrote. Throws (and writes nothing the caller would keep) when a flow the
 * snapshot must hold cannot be exported: a missing file would read as a deleted flow.
 *
 * Requests are the cost (a token has a per-minute budget), so everything that can share the budget
 * does: export jobs start as soon as the flows are listed and run while dependencies are read;
 * queues, skills and data actions are read in batches as soon as they are referenced; files are
 * written as they arrive, so the end of the run is not spent on work the waiting could have hidden.
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

  // Independent reads, so they share one round trip.
  const [index, allFlows] = await log.group('Listing flows', async () => {
    const [status, flows] = await Promise.all([dependencyIndexStatus(client), listFlows(client)])
    log.info(`${flows.length} flows in the org`)
    // Only what the export uses: a listed flow carries schemas and more, thousands of times over.
    return [status, flows.map(compactFlow)] as const
  })
  if (!indexReady(index.status)) {
    warn(
      `Architect's dependency index is ${index.status || 'of unknown status'}, not OPERATIONAL: what it says flows use may be incomplete. Each flow whose dependencies this run reads also keeps what the committed snapshot lists for it, and is marked dependenciesNotRead; the first run after the index is ready asks again. Rebuild the index (Architect > Dependency tracking).`
    )
  } else if (index.status.toUpperCase() !== 'OPERATIONAL') {
    warn(
      `Architect's dependency index is ${index.status}, not OPERATIONAL: the dependencies of some flows may be missing or out of date until it is rebuilt (Architect > Dependency tracking).`
    )
  }
  const doubtOf = indexDoubt(index)

  // Every flow, whatever the filters say: flows the picked ones use are exported too.
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
  checkFilters(options, allFlows, previous, warn)
  const nodes = new Map<ResourceRef, Node>()
  const unresolved = new Map<ResourceRef, { reason: string; name?: string }>()
  const previousFiles = new Map<ResourceRef, ManifestResource>()
  // References dependency tracking flags deleted; such a one the org does not return is deleted.
  const reportedDeleted = new Set<ResourceRef>()
  // The closure's follow(), once it exists: a kept copy's references are followed like any other.
  let followKept: (node: Node) => void = () => undefined
  /**
   * Keeps the committed copy of something this run could not read, rather than let the snapshot say
   * it was deleted, and what that copy uses, so nothing reached only through it drops out either.
   */
  const keepCommitted = (kind: ResourceKind, id: string, why: string): boolean => {
    const kept = previous.resources.get(ref(kind, id))
    if (!kept || !keepable(kept)) return false
    previousFiles.set(ref(kind, id), kept)
    warn(`Could not read ${kind} ${kept.name} (${id}): ${why}. Kept the committed copy.`)
    followKept({ kind, id: kept.id, name: kept.name, refs: new Map(kept.dependsOn.map(d => [d, {}])) })
    return true
  }
  const recordMissing = (kind: ResourceKind, missing: ByIdResult<unknown>['missing']): void => {
    for (const m of missing) {
      const key = ref(kind, m.id)
      if (m.status === 403 && keepCommitted(kind, m.id, m.reason)) continue
      unresolved.set(key, { reason: m.status === 404 && reportedDeleted.has(key) ? 'deleted' : m.reason })
    }
  }
  // A kept flow must not share its folder's name with a listed flow: their files would be renamed.
  const listedNames = new Set(
    allFlows
      .filter(f => f.publishedVersion?.id)
      .map(f => `${f.type.toLowerCase()}/${foldName(safeBaseName(f.name))}`)
  )
  const keepable = (kept: ManifestResource): boolean =>
    kept.kind !== 'flow' ||
    (kept.type !== undefined && !listedNames.has(`${kept.type}/${foldName(safeBaseName(kept.name))}`))

  // The committed snapshot's file names: a resource keeps its file while its name still fits, so a
  // same-named newcomer or the going of one renames nothing. Used whether or not the run is
  // incremental, so both give the same paths.
  const committedNames = committedFileNames(options.previous?.manifest)
  // Paths no flow found later can change: these flows' files go straight to staging as they come.
  const settled = settledFlowPaths(
    roots,
    allFlows.filter(f => f.publishedVersion?.id),
    committedNames
  )
  const flowFiles = new Map<string, { path?: string; scratch?: string; sha256?: string }>()
  // The rest wait in a scratch folder until the closure, and with it their folder, is known.
  const scratch = await mkdtemp(
    path.join(options.scratchDir ?? process.env.RUNNER_TEMP ?? tmpdir(), 'genesys-flows-')
  )
  try {
    let scratchFiles = 0
    const placeFlow = async (id: string, bytes: Buffer): Promise<void> => {
      const settledPath = settled.get(id)
      if (settledPath !== undefined) {
        const written = await staging.writeFile(settledPath, bytes)
        flowFiles.set(id, { path: settledPath, sha256: written.sha256 })
      } else {
        const file = path.join(scratch, `${scratchFiles++}.yaml`)
        await writeFile(file, bytes)
        flowFiles.set(id, { scratch: file })
      }
    }

    /** A reused flow's committed file, copied into the snapshot, still with the bytes it was reused for. */
    const copyCommitted = async (committed: ManifestResource, to: string): Promise<string> => {
      const written = await staging.copyFromCurrent(committed.path, to)
      if (written.sha256 !== committed.sha256)
        throw new ExportError(
          `${committed.path} in the workspace changed while the snapshot was being made; run the workflow again.`
        )
      return written.sha256
    }

    let exported = 0
    const exporter = new FlowExportQueue(client, {
      batchSize: options.exportBatchSize,
      log,
      onFlow: async (flow, yaml) => {
        await placeFlow(flow.id, yaml)
        exported++
        if (exported % 500 === 0) log.info(`exported flows ${exported}/${exporter.size}`)
      }
    })

    // Queues, skills and data actions: read in batches as they are referenced, rendered on arrival.
    const resourceNode = (
      kind: Exclude<ResourceKind, 'flow'>,
      id: string,
      name: string | undefined
    ): Node => {
      const node: Node = { kind, id, name: name ?? id, refs: new Map() }
      nodes.set(ref(kind, id), node)
      return node
    }
    // Flagged deleted and not in the listing: deleted, without a GET of its own, unless a committed
    // copy hangs on the answer (a 403 keeps it, a 404 removes it) and the flag may be stale.
    const takenAsDeleted =
      (kind: ResourceKind) =>
      (id: string): boolean =>
        reportedDeleted.has(ref(kind, id)) && !previous.resources.has(ref(kind, id))
    const queues = new Batcher(100, async ids => {
      const result = await getQueuesByIds(client, ids, { reportedDeleted: takenAsDeleted('queue') })
      recordMissing('queue', result.missing)
      for (const queue of result.found) {
        const node = resourceNode('queue', queue.id, queue.name)
        node.file = { text: canonicalYaml('queue', queue), redactions: 0 }
        for (const to of queueReferences(queue)) node.refs.set(to.ref, { name: to.name })
        follow(node)
      }
    })
    const skills = new Batcher(100, async ids => {
      const result = await getSkillsByIds(client, ids, { reportedDeleted: takenAsDeleted('skill') })
      recordMissing('skill', result.missing)
      for (const skill of result.found)
        resourceNode('skill', skill.id, skill.name).file = {
          text: canonicalYaml('skill', skill),
          redactions: 0
        }
    })
    const actions = new DataActionReader(client, {
      committed: id => (options.incremental ? previous.resources.get(ref('data-action', id)) : undefined),
      dir: options.previous?.dir,
      found: (action, file) => {
        resourceNode('data-action', action.id, action.name).file = file
      },
      missing: missing => recordMissing('data-action', missing)
    })

    // A referenced or committed flow the listing lacks: gone (404), hidden from this OAuth client
    // (403), or new. Only its GET tells them apart, and "could not see it" must not read as deleted.
    const flowLookups = new Batcher(1, async ids => {
      for (const id of ids) {
        const found = await getFlow(client, id)
        if (isStatusOnly(found))
          recordMissing('flow', [{ id, status: found.status, reason: missingReason(found.status) }])
        else if (keepCommitted('flow', id, 'it is in the org but not in the flow listing')) continue
        // Published after the flows were listed: the next run has it in the listing.
        else
          unresolved.set(ref('flow', id), {
            reason: 'not in the flow listing yet (new?); the next run exports it',
            name: found.name
          })
      }
    })

    // Closure: flows → their dependencies; queues → skills, in-queue flows and other queues.
    let pendingFlows: Flow[] = []
    const queuedFlows = new Set<string>()
    const enqueueFlow = (flow: Flow): void => {
      if (queuedFlows.has(flow.id)) return
      queuedFlows.add(flow.id)
      pendingFlows.push(flow)
    }
    function follow(node: Node): void {
      for (const [to, info] of node.refs) {
        const [kind, id] = splitRef(to)
        if (!wanted.has(kind) || info.reason || nodes.has(to) || unresolved.has(to)) continue
        if (info.reportedDeleted) reportedDeleted.add(to)
        if (kind === 'flow') {
          const target = flowsById.get(id)
          if (!target) {
            if (takenAsDeleted('flow')(id)) unresolved.set(to, { reason: 'deleted', name: info.name })
            else flowLookups.add(id)
          } else if (!target.publishedVersion?.id)
            unresolved.set(to, { reason: 'never published', name: target.name })
          else enqueueFlow(target)
        } else if (kind === 'queue') queues.add(id)
        else if (kind === 'skill') skills.add(id)
        else actions.add(id)
      }
    }
    followKept = follow
    /** A failure elsewhere (a batch read, an export job's fatal error) ends the closure early. */
    const stopIfFailed = (): void => {
      const failure = queues.error ?? skills.error ?? actions.error ?? flowLookups.error
      if (failure) throw failure.error
      if (exporter.fatal !== undefined) throw exporter.fatal
    }

    let looked = 0
    // Lookups dependency tracking answered (now, or for a reused flow before), and the documented
    // types of the flows it would not answer for: a refusal of every flow of several types it is
    // documented to track is the run's problem (a request it does not take), not theirs.
    let answered = 0
    const unread: { types: Set<string>; first?: unknown; warnings: string[] } = {
      types: new Set(),
      warnings: []
    }
    const visitFlows = async (flows: Flow[]): Promise<void> => {
      for (const flow of flows) nodes.set(ref('flow', flow.id), flowNode(flow))
      // Reuse is decided from the workspace alone (no request), so exports start at once.
      const askAgain = new Set<string>()
      await mapLimit(flows, options.concurrency, async flow => {
        const reused = await reusableFlow(flow, previous, options, doubtOf)
        if (!reused) return
        const node = nodes.get(ref('flow', flow.id))!
        node.reuseFrom = reused.resource
        const settledPath = settled.get(flow.id)
        if (settledPath !== undefined)
          flowFiles.set(flow.id, {
            path: settledPath,
            sha256: await copyCommitted(reused.resource, settledPath)
          })
        // Its file stands, but what it uses was not known: ask again, and take the answer's refs.
        if (reused.askAgain) {
          askAgain.add(flow.id)
          return
        }
        for (const [to, info] of reused.refs) node.refs.set(to, info)
        if (reused.resource.dependenciesNotRead !== undefined)
          node.dependenciesNotRead = reused.resource.dependenciesNotRead
        else answered++
        follow(node)
      })
      const fresh = flows.filter(f => nodes.get(ref('flow', f.id))!.reuseFrom === undefined)
      exporter.add(fresh.map(exportItem))
      exporter.flush()
      const lookups = flows.filter(
        f => askAgain.has(f.id) || nodes.get(ref('flow', f.id))!.reuseFrom === undefined
      )
      // Twice as many lookups as connections: the spare ones wait for a connection, so a slow answer
      // never leaves the request budget without a taker (the budget lets a request that was kept
      // waiting use the slots it missed; see RequestBudget.take).
      await mapLimit(lookups, options.concurrency * 2, async flow => {
        stopIfFailed()
        const node = nodes.get(ref('flow', flow.id))!
        let deps: Awaited<ReturnType<typeof consumedResources>>
        try {
          deps = await consumedResources(
            client,
            { id: flow.id, version: flow.publishedVersion!.id!, type: flow.type },
            undefined
          )
        } catch (error) {
          const why = unreadDependencies(error)
          if (why === undefined) throw error
          const documented = dependencyTrackingDocumented(flow.type)
          const undocumentedHint = `; the API's documentation does not list ${flowObjectType(flow.type)} among the types dependency tracking answers for`
          if (documented) {
            unread.types.add(flow.type)
            unread.first ??= error
          }
          // An answer about this flow alone (its type untracked, its version not indexed yet): the
          // flow is still exported, and what the committed snapshot says it uses is kept, so nothing
          // reached only through it reads as deleted. If the flow itself is gone, its export says so.
          const key = ref('flow', flow.id)
          const committed = previous.resources.has(key) ? committedRefs(previous, key) : undefined
          node.dependenciesNotRead = why
          for (const [to, info] of committed ?? []) node.refs.set(to, info)
          // Said once the flows are exported: a 404 for a flow deleted meanwhile ends in a rerun instead.
          unread.warnings.push(
            `Could not read what flow ${flow.name} (${flow.type}, ${flow.id}) uses: ${why}${
              error instanceof GenesysApiError && error.genesysMessage ? ` (${error.genesysMessage})` : ''
            }${documented ? '' : undocumentedHint}. ${
              committed
                ? 'Kept what the committed snapshot lists for it; the next run asks again.'
                : 'Nothing it uses is in the snapshot through it until a run can read that; the next run asks again.'
            }`
          )
          follow(node)
          looked++
          return
        }
        const doubt = doubtOf(flow)
        if (doubt !== undefined) {
          // The answer may leave things out: what the committed snapshot lists stays as well (the
          // answer wins where both name something), and a run asks again once the doubt is gone.
          node.dependenciesNotRead = doubt.reason
          const key = ref('flow', flow.id)
          if (previous.resources.has(key))
            for (const [to, info] of committedRefs(previous, key)) node.refs.set(to, info)
          if (doubt.warn)
            unread.warnings.push(
              `Dependency tracking's last build could not index flow ${flow.name} (${flow.type}, ${flow.id})${
                doubt.errorCode ? ` (${doubt.errorCode})` : ''
              }: what it says the flow uses may be incomplete. ${
                previous.resources.has(key)
                  ? 'Kept what the committed snapshot lists for it as well; a run asks again once the build no longer lists it.'
                  : 'A run asks again once the build no longer lists it.'
              }`
            )
        }
        for (const dep of deps) {
          const to = dependencyRef(dep)
          if (!to) continue
          node.refs.set(to, { name: dep.name, reportedDeleted: dep.deleted === true || undefined })
        }
        follow(node)
        answered++
        looked++
        if (looked % 500 === 0) log.info(`dependencies read for ${looked} flows`)
      })
    }

    await log.group('Exporting flows and reading what they use', async () => {
      try {
        for (const flow of roots) enqueueFlow(flow)
        // Committed flows the filters still pick that the listing lacks: deleted, or hidden now.
        for (const kept of previous.resources.values())
          if (
            kept.kind === 'flow' &&
            !flowsById.has(kept.id) &&
            matches({ name: kept.name, type: kept.type ?? '' })
          )
            flowLookups.add(kept.id)
        // Bounded: a flow or queue is visited at most once.
        while (pendingFlows.length > 0 || queues.busy || flowLookups.busy) {
          const flows = pendingFlows
          pendingFlows = []
          if (flows.length > 0) await visitFlows(flows)
          else await Promise.all([queues.settle(), flowLookups.settle()])
          stopIfFailed()
        }
        await Promise.all([skills.settle(), actions.settle()])
        if (answered === 0 && unread.types.size >= 2) throw unread.first
      } catch (error) {
        // Nothing may outlive the run: export jobs stop at their next step, no new batch starts and
        // the reads under way finish.
        exporter.abort(error)
        for (const reader of [queues, skills, actions, flowLookups]) reader.cancel()
        await Promise.allSettled([
          exporter.finish(),
          queues.settle(),
          skills.settle(),
          actions.settle(),
          flowLookups.settle()
        ])
        throw error
      }
      log.info(`dependencies read for ${looked} flows`)
      const { failed } = await exporter.finish()
      const missing = exporter.flows().filter(f => !flowFiles.has(f.id))
      if (failed.length > 0 || missing.length > 0) {
        throw await exportFailure(client, failed, missing)
      }
      for (const message of unread.warnings) warn(message)
      log.info(`exported flows ${exported}/${exporter.size}`)
    })

    // Paths: one folder per kind (flows per type), names assigned over each folder's whole set.
    const paths = assignPaths([...nodes.values()], [...previousFiles.values()], committedNames)

    const resources: ManifestResource[] = []
    const redactions: { file: string; count: number }[] = []
    const unresolvedEdges: { from: ResourceRef; to: ResourceRef; name?: string }[] = []
    const dependsOnOf = (node: Node, from: ResourceRef): ResourceRef[] => {
      const out: ResourceRef[] = []
      for (const [to, info] of node.refs) {
        const [kind] = splitRef(to)
        if (!wanted.has(kind)) continue
        if (info.reason) unresolved.set(to, { reason: info.reason, name: info.name })
        // What it uses, found or not: a reference that is unresolved is listed in `unresolved` too.
        if (nodes.has(to) || previousFiles.has(to)) out.push(to)
        else if (unresolved.has(to)) {
          out.push(to)
          unresolvedEdges.push({ from, to, name: info.name })
        }
      }
      return out
    }

    // Queues, skills and data actions: rendered already, written now that their names are known.
    for (const node of nodes.values()) {
      if (node.kind === 'flow') continue
      const key = ref(node.kind, node.id)
      const file = paths.get(key)!
      if (node.file!.redactions > 0) redactions.push({ file, count: node.file!.redactions })
      const written = await staging.writeFile(file, node.file!.text)
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
      const { sha256 } = await staging.copyFromCurrent(kept.path, file)
      // Its recorded edges, kept only where they still name something in this snapshot.
      const node: Node = {
        kind: kept.kind,
        id: kept.id,
        name: kept.name,
        refs: new Map(kept.dependsOn.map(d => [d, {}]))
      }
      resources.push({ ...kept, path: file, sha256, dependsOn: dependsOnOf(node, key) })
    }

    // Flows: most are in place already; the others come from the scratch folder or the workspace.
    const flowNodes = [...nodes.values()].filter(n => n.kind === 'flow')
    await mapLimit(flowNodes, 8, async node => {
      const file = paths.get(ref('flow', node.id))!
      const placed = flowFiles.get(node.id)
      if (placed?.path !== undefined) {
        // settledFlowPaths promised this; a broken promise would leave a stray file in the snapshot.
        if (placed.path !== file)
          throw new Error(`internal: flow ${node.id} was written to ${placed.path}, not ${file}`)
        return
      }
      const sha256 =
        placed?.scratch !== undefined
          ? (await staging.writeStream(file, createReadStream(placed.scratch))).sha256
          : await copyCommitted(node.reuseFrom!, file)
      flowFiles.set(node.id, { path: file, sha256 })
    })
    const reused = flowNodes.filter(n => n.reuseFrom !== undefined).length
    if (reused > 0) log.info(`${reused} flows unchanged since the committed snapshot: files reused`)
    for (const node of flowNodes) {
      const key = ref('flow', node.id)
      resources.push({
        kind: 'flow',
        id: node.id,
        name: node.name,
        path: paths.get(key)!,
        sha256: flowFiles.get(node.id)!.sha256!,
        dependsOn: dependsOnOf(node, key),
        type: node.flow!.type.toLowerCase(),
        version: node.flow!.publishedVersion!.id!,
        ...(node.dependenciesNotRead !== undefined ? { dependenciesNotRead: node.dependenciesNotRead } : {})
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
    await staging.writeStream(MANIFEST_FILE, Readable.from(manifestChunks(manifest)))

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
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

function compactFlow(flow: Flow): Flow {
  const compact: Flow = { id: flow.id, name: flow.name, type: flow.type }
  if (flow.publishedVersion?.id !== undefined) compact.publishedVersion = { id: flow.publishedVersion.id }
  return compact
}

function exportItem(flow: Flow): FlowToExport {
  return { id: flow.id, version: flow.publishedVersion!.id!, name: flow.name, type: flow.type }
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

/**
 * An include glob that matches nothing is most likely a typo. When the filters pick none of the
 * org's flows, flows are committed, and no include glob matches a committed flow either (so no
 * picked flow was deleted or hidden since), the snapshot would report every committed flow deleted
 * for a typo: the run stops before exporting. Every other way of picking nothing is a warning
 * (the flows a glob named are gone, an exclude takes all, no flows of the picked types).
 */
function checkFilters(
  options: ExportOptions,
  flows: Flow[],
  previous: PreviousIndex,
  warn: (message: string) => void
): void {
  if (options.flowTypes.length + options.include.length + options.exclude.length === 0) return
  const review = reviewFilters(options, flows)
  const types = options.flowTypes.length > 0 ? ` of the types in flow-types` : ''
  if (review.picked > 0) {
    for (const glob of review.unmatchedIncludes)
      warn(`Input 'include': '${glob}' matches none of the org's flows${types}; check it for a typo.`)
    return
  }
  const what = `the filters (${describeFilters(options)}) pick none of the org's ${flows.length} flows`
  const committed = [...previous.resources.values()].filter(r => r.kind === 'flow')
  const everNamed = reviewFilters(
    { ...options, exclude: [] },
    committed.map(r => ({ name: r.name, type: r.type ?? '' }))
  )
  if (options.include.length > 0 && committed.length > 0 && everNamed.picked === 0) {
    throw new InputError(
      'include',
      `${what}, nor any of the ${committed.length} committed flows, so the snapshot would drop them all. Check the globs for a typo (each matches a whole flow name, case-insensitively; * is any run of characters, ? one character). Nothing was changed.`
    )
  }
  warn(`${what[0].toUpperCase()}${what.slice(1)}: the snapshot holds no flows.`)
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
  options: ExportOptions,
  doubtOf: ReturnType<typeof indexDoubt>
): Promise<{ resource: ManifestResource; refs: Map<ResourceRef, RefInfo>; askAgain: boolean } | undefined> {
  if (!options.incremental || !options.previous || !previous.sameDependencies) return undefined
  const key = ref('flow', flow.id)
  const resource = previous.resources.get(key)
  if (!resource || resource.version !== flow.publishedVersion?.id) return undefined
  if (resource.name !== flow.name || resource.type !== flow.type.toLowerCase()) return undefined
  try {
    if ((await options.previous.sha256(resource.path)) !== resource.sha256) return undefined
  } catch {
    return undefined
  }
  // What it uses was not known then. Asking again is worth a request unless the index is still in
  // the state that put it in doubt: the same answer would come back, and be doubted the same way.
  const askAgain =
    resource.dependenciesNotRead !== undefined && doubtOf(flow)?.reason !== resource.dependenciesNotRead
  return { resource, refs: committedRefs(previous, key), askAgain }
}

/** What the committed manifest records a resource uses: its dependsOn and its unresolved references. */
function committedRefs(previous: PreviousIndex, key: ResourceRef): Map<ResourceRef, RefInfo> {
  const refs = new Map<ResourceRef, RefInfo>()
  for (const to of previous.resources.get(key)?.dependsOn ?? []) refs.set(to, {})
  for (const u of previous.unresolvedFrom.get(key) ?? []) {
    // Only references that were deleted stay unresolved for sure; others are looked up again.
    refs.set(ref(u.kind, u.id), { name: u.name, reason: u.reason === 'deleted' ? 'deleted' : undefined })
  }
  return refs
}

/**
 * Why dependency tracking's answer is about one flow only (400: a type or version it does not take;
 * 404: a version it has not indexed), or undefined for failures that are the run's (permissions,
 * login, the service being down), which stop it. Kept short and steady: it goes into the manifest.
 */
function unreadDependencies(error: unknown): string | undefined {
  if (!(error instanceof GenesysApiError)) return undefined
  if (error.status === 400 || error.status === 404) return `dependency tracking answered ${error.status}`
  // Pages that never add up to their total (an entry listed twice, say) are about this flow alone.
  if (error.code === 'incomplete.listing') return "dependency tracking's listing of it did not add up"
  return undefined
}

function assignPaths(
  nodes: Node[],
  kept: ManifestResource[],
  committed: FolderNames
): Map<ResourceRef, string> {
  const folders = new Map<string, { key: ResourceRef; id: string; name: string }[]>()
  const add = (folder: string, kind: ResourceKind, id: string, name: string): void => {
    const list = folders.get(folder) ?? []
    list.push({ key: ref(kind, id), id, name })
    folders.set(folder, list)
  }
  for (const node of nodes) add(folderOf(node.kind, node.flow?.type), node.kind, node.id, node.name)
  for (const r of kept) add(folderOf(r.kind, r.type), r.kind, r.id, r.name)
  const paths = new Map<ResourceRef, string>()
  for (const [folder, entries] of folders) {
    const names = assignFileNames(
      entries.map(e => ({ id: e.id, name: e.name })),
      '.yaml',
      committed.get(folder)
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
    // The lookup endpoint, as the SDK marks the listing's `id` filter deprecated; 25 ids a request,
    // its default page size, so no page size beyond what it documents is asked for.
    for (let i = 0; i < flows.length; i += 25) {
      const listed = await client.getAllPages<Flow>(
        '/api/v2/flows/lookup',
        { id: flows.slice(i, i + 25).map(f => f.id) },
        { pageSize: 25, endpoint: 'GET /api/v2/flows/lookup' }
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
