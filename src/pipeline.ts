import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { Clock } from './common/clock.js'
import type { Log } from './common/log.js'
import type { Inputs } from './inputs.js'
import type { GenesysClient } from './genesys/client.js'
import { exportOrg, FlowsChangedError, type ExportOptions, type ExportResult } from './export/exporter.js'
import { readCurrentSnapshot, folderView } from './snapshot/read.js'
import { checkInsideWorkspace, recoverInterruptedRun, SnapshotStaging } from './snapshot/staging.js'
import { validateSnapshot } from './snapshot/validate.js'
import { cleartextWarnings } from './genesys/regions.js'
import { MANAGED_FOLDERS, MANIFEST_FILE, type Manifest, type ResourceKind } from './snapshot/model.js'
import { computeChanges, type ChangeSet } from './report/changes.js'
import {
  driftAnnotations,
  renderJobSummary,
  renderPullRequestBody,
  type RunFacts
} from './report/markdown.js'
import type { createOctokit } from './github/octokit.js'
import {
  baseSnapshotView,
  checkoutAgainstBase,
  checkPublishable,
  publishSnapshot,
  type PublishResult
} from './github/publish.js'

export type Octokit = ReturnType<typeof createOctokit>

/** Exports of the org before a run gives up on flows that keep changing under it. */
const EXPORT_ATTEMPTS = 3

/** The edges the pipeline talks through; the action builds the real ones, tests their own. */
export interface PipelineEdges {
  log: Log
  clock: Clock
  genesys(inputs: Inputs): GenesysClient
  github(inputs: Inputs): Octokit
  /** Appends markdown to the job summary. */
  summary(markdown: string): Promise<void>
}

/** The action's outputs, as the contract names them. */
export type Outputs = Record<
  | 'changed'
  | 'added'
  | 'modified'
  | 'removed'
  | 'flows'
  | 'queues'
  | 'skills'
  | 'data-actions'
  | 'requests'
  | 'pull-request-number'
  | 'pull-request-url'
  | 'pull-request-operation'
  | 'manifest',
  string
>

export interface PipelineOutcome {
  /** Every output the contract lists, also when the run failed. */
  outputs: Outputs
  /**
   * Why the step fails: drift in check mode or validation problems (the run itself worked), or the
   * message of the error that stopped the run.
   */
  failure?: string
  /** The error that stopped the run, when one did; nothing was changed then. */
  error?: unknown
}

/**
 * The outputs of a run that changed nothing: no change, no counts, no pull request operation, the
 * manifest's path. `snapshotPath` is the snapshot folder relative to the repository root; without
 * one (the path input is invalid) `manifest` is empty.
 */
export function baseOutputs(snapshotPath: string | undefined): Outputs {
  return {
    changed: 'false',
    added: '0',
    modified: '0',
    removed: '0',
    flows: '0',
    queues: '0',
    skills: '0',
    'data-actions': '0',
    requests: '0',
    'pull-request-number': '',
    'pull-request-url': '',
    'pull-request-operation': 'none',
    manifest: snapshotPath === undefined ? '' : `${snapshotPath}/${MANIFEST_FILE}`
  }
}

function countKinds(manifest: Manifest | undefined): Record<ResourceKind, number> {
  const counts: Record<ResourceKind, number> = { flow: 0, queue: 0, skill: 0, 'data-action': 0 }
  for (const r of manifest?.resources ?? []) counts[r.kind]++
  return counts
}

function setCounts(outputs: Outputs, counts: Record<ResourceKind, number>): void {
  outputs.flows = String(counts.flow)
  outputs.queues = String(counts.queue)
  outputs.skills = String(counts.skill)
  outputs['data-actions'] = String(counts['data-action'])
}

function setChanges(outputs: Outputs, changes: ChangeSet): void {
  outputs.changed = String(changes.changed)
  outputs.added = String(changes.files.added.length)
  outputs.modified = String(changes.files.modified.length)
  outputs.removed = String(changes.files.removed.length)
}

/**
 * Runs the one pipeline the inputs ask for: validate, or export → snapshot → diff → publish.
 * Never throws: an error that stops the run comes back as `error` and `failure`, with the outputs
 * of a run that changed nothing (a failure leaves the repository and the PR as they were) and the
 * Genesys requests made until then; only a failure after publishing keeps the PR's outputs.
 */
export async function runPipeline(inputs: Inputs, edges: PipelineEdges): Promise<PipelineOutcome> {
  const outputs = baseOutputs(inputs.path)
  try {
    return inputs.mode === 'validate'
      ? await runValidate(inputs, edges, outputs)
      : await runExport(inputs, edges, outputs)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    // A failure after the PR was published (writing the workspace or the summary) has not undone
    // it: its outputs stay, and the message says so.
    const published = outputs['pull-request-operation'] !== 'none'
    const pull = published
      ? {
          'pull-request-operation': outputs['pull-request-operation'],
          'pull-request-number': outputs['pull-request-number'],
          'pull-request-url': outputs['pull-request-url']
        }
      : {}
    return {
      outputs: { ...baseOutputs(inputs.path), requests: outputs.requests, ...pull },
      failure: published
        ? `${message}\nThe pull request was ${outputs['pull-request-operation']} before this failure: ${outputs['pull-request-url']}`
        : message,
      error
    }
  }
}

/** What check and validate say when the workspace has no snapshot folder at all. */
function noSnapshotHint(snapshotPath: string): string {
  return `There is no ${snapshotPath} folder in the workspace: check out the repository before this step (uses: actions/checkout), or, before the first snapshot is merged, run the snapshot and merge its pull request.`
}

async function runValidate(inputs: Inputs, edges: PipelineEdges, outputs: Outputs): Promise<PipelineOutcome> {
  const { log } = edges
  const problems = await log.group(`Validating ${inputs.path}`, () => validateSnapshot(inputs.snapshotDir))
  for (const p of problems) {
    log.error(p.message, { file: `${inputs.path}/${p.file}`, line: p.line, title: 'Snapshot validation' })
  }
  const current = await readCurrentSnapshot(inputs.snapshotDir)
  const counts = countKinds(current.manifest)
  setCounts(outputs, counts)
  const facts: RunFacts = {
    mode: 'validate',
    counts,
    requests: 0,
    skipped: [],
    unresolved: current.manifest?.unresolved ?? [],
    redactions: [],
    failed: [],
    warnings: []
  }
  await edges.summary(renderJobSummary(undefined, facts, { validationProblems: problems }))
  if (problems.length === 0) {
    log.info(`${inputs.path}: the snapshot is valid (${current.manifest?.resources.length ?? 0} resources)`)
    return { outputs }
  }
  return {
    outputs,
    failure: current.exists
      ? `The snapshot in ${inputs.path} has ${problems.length} problem(s); see the annotations. Re-run the snapshot, or restore the files from the snapshot pull request.`
      : noSnapshotHint(inputs.path)
  }
}

/** `outputs.requests` follows the client's count also when the run throws. */
async function runExport(inputs: Inputs, edges: PipelineEdges, outputs: Outputs): Promise<PipelineOutcome> {
  const { log, clock } = edges
  const started = clock.now()
  const client = edges.genesys(inputs)
  try {
    await checkInsideWorkspace(inputs.snapshotDir, inputs.workspace)
    const org = await log.group('Connecting to Genesys Cloud', async () => {
      for (const message of cleartextWarnings(inputs.hosts!)) log.warning(message)
      const me = await client.verify()
      log.info(`Logged in to ${me.orgName} (${me.orgId}) at ${inputs.hosts!.apiUrl}`)
      return me
    })
    // What publishing would refuse is refused now, before the export spends the org's budget.
    const octokit = inputs.pullRequest && inputs.mode === 'snapshot' ? edges.github(inputs) : undefined
    const { base, checkedHead, baseManifestSha } = octokit
      ? await log.group('Checking the pull request branch', async () => {
          const checked = await checkPublishable(octokit, {
            ...inputs.repository!,
            snapshotPath: inputs.path,
            branch: inputs.branch,
            base: inputs.base
          })
          log.info(`Pull request from ${inputs.branch} into ${checked.base}`)
          return checked
        })
      : { base: inputs.base, checkedHead: undefined }
    // A run killed while swapping in its snapshot parked the committed one: put it back before reading it.
    await recoverInterruptedRun(inputs.snapshotDir, log)
    const current = await readCurrentSnapshot(inputs.snapshotDir)
    if (current.crlf) {
      log.warning(
        `${inputs.path}/${MANIFEST_FILE} has Windows line endings (CRLF): Git converted the checkout (core.autocrlf), so every committed file differs from its sha256 and compares as changed, and nothing is reused. Add '${inputs.path}/** -text' to .gitattributes, or run on an ubuntu runner.`
      )
    }
    if (octokit && !current.crlf) {
      // The committed snapshot names the files and is reused, and the PR goes against the base:
      // without the base's checkout, names could move, nothing is reused, and what cannot be read
      // would show as deleted in the PR.
      const local = await readFile(path.join(inputs.snapshotDir, MANIFEST_FILE)).catch(() => undefined)
      const checkout = checkoutAgainstBase(local, baseManifestSha)
      if (checkout === 'missing')
        throw new Error(
          `${inputs.path}/${MANIFEST_FILE} is on ${base} but not in the workspace: check out ${base} before this step (uses: actions/checkout). The run builds on the committed snapshot: without it every flow would be exported again, files could be renamed, and anything the OAuth client cannot read would show as deleted in the pull request.`
        )
      if (checkout === 'other')
        log.warning(
          `${inputs.path}/${MANIFEST_FILE} in the workspace is not the one on ${base}, which the pull request goes into: another ref is checked out, or ${base} moved since the checkout. File names and reuse follow the checkout, so the pull request may show renames the org did not make. Check out ${base} (actions/checkout with ref: ${base}).`
        )
    }
    if (current.exists && !current.manifest) {
      log.warning(
        `${inputs.path}/${MANIFEST_FILE} could not be read (${current.manifestProblems.map(p => p.message).join('; ')}); every flow is exported again.`
      )
    }
    // One view of the committed folder, so a file the reuse check digested is not digested again.
    const committed = folderView(inputs.snapshotDir, current.manifest)
    const options: ExportOptions = {
      flowTypes: inputs.flowTypes,
      include: inputs.include,
      exclude: inputs.exclude,
      dependencies: inputs.dependencies,
      incremental: inputs.incremental,
      previous: current.manifest
        ? { manifest: current.manifest, dir: inputs.snapshotDir, sha256: committed.sha256 }
        : undefined,
      concurrency: inputs.concurrency,
      log
    }
    let staging = await SnapshotStaging.create(inputs.snapshotDir, log)
    try {
      let result: ExportResult
      for (let attempt = 1; ; attempt++) {
        try {
          result = await exportOrg(client, staging, options)
          break
        } catch (error) {
          // Flows published while they were exported: their files would not match the versions
          // listed. Exporting again (unchanged flows are reused) gives a snapshot that agrees.
          if (!(error instanceof FlowsChangedError) || attempt >= EXPORT_ATTEMPTS) throw error
          log.info(
            `${error.message.split('\n').slice(0, -1).join('\n')}\nExporting again (attempt ${attempt + 1} of ${EXPORT_ATTEMPTS}).`
          )
          await staging.discard()
          staging = await SnapshotStaging.create(inputs.snapshotDir, log)
        }
      }
      setCounts(outputs, result.counts)
      const after = folderView(staging.dir, result.manifest)
      const facts = (): RunFacts => factsOf(inputs, result, client, clock.now() - started)

      if (inputs.mode === 'check') {
        const changes = await computeChanges(committed, after)
        setChanges(outputs, changes)
        outputs.requests = String(client.stats().total)
        for (const a of driftAnnotations(changes, inputs.path)) {
          log.warning(a.message, { file: a.file, title: a.title })
        }
        await edges.summary(renderJobSummary(changes, facts()))
        await staging.discard()
        if (!changes.changed) {
          log.info(`No drift: ${org.orgName} matches ${inputs.path}`)
          return { outputs }
        }
        const unlisted = changes.unlisted.length
        const strays =
          unlisted > 0
            ? ` ${unlisted} of the files ${unlisted === 1 ? 'is' : 'are'} in a folder the action manages without being in ${MANIFEST_FILE}: the snapshot does not keep ${unlisted === 1 ? 'it' : 'them'}, so move files of your own out of ${MANAGED_FOLDERS.map(f => `${f}/`).join(', ')}.`
            : ''
        const message = `Drift: ${org.orgName} differs from ${inputs.path} (${changes.files.added.length} added, ${changes.files.modified.length} modified, ${changes.files.removed.length} removed). ${current.exists ? 'Run the snapshot to record it, or undo the change in Genesys Cloud.' : noSnapshotHint(inputs.path)}${strays}`
        if (!inputs.failOnDrift) log.warning(message)
        return { outputs, failure: inputs.failOnDrift ? message : undefined }
      }

      let changes: ChangeSet
      let pr: PublishResult | undefined
      if (octokit) {
        const { owner, repo } = inputs.repository!
        const before = await baseSnapshotView(octokit, {
          owner,
          repo,
          base,
          snapshotPath: inputs.path,
          local: file => committed.read(file)
        })
        changes = await computeChanges(before, after)
        outputs.requests = String(client.stats().total)
        pr = await log.group('Publishing the pull request', () =>
          publishSnapshot(
            octokit,
            {
              owner,
              repo,
              snapshotPath: inputs.path,
              files: result.files.map(p => ({ path: p, absPath: path.join(staging.dir, p) })),
              branch: inputs.branch,
              base,
              title: inputs.title,
              body: renderPullRequestBody(changes, facts()),
              commitMessage: inputs.commitMessage,
              labels: inputs.labels,
              reviewers: inputs.reviewers,
              draft: inputs.draft,
              checkedHead
            },
            log,
            clock
          )
        )
        outputs['pull-request-operation'] = pr.operation
        outputs['pull-request-number'] = pr.number !== undefined ? String(pr.number) : ''
        outputs['pull-request-url'] = pr.url ?? ''
        if (pr.url)
          log.info(`Pull request ${pr.operation === 'none' ? 'unchanged' : pr.operation}: ${pr.url}`)
      } else {
        changes = await computeChanges(committed, after)
      }
      setChanges(outputs, changes)
      // The workspace gets the new snapshot only once everything else has worked.
      await staging.commit(current)
      outputs.requests = String(client.stats().total)
      log.info(
        `Snapshot written to ${inputs.path}: ${result.counts.flow} flows, ${result.counts.queue} queues, ${result.counts.skill} skills, ${result.counts['data-action']} data actions; ${changes.changed ? 'changed' : 'no change'}`
      )
      await edges.summary(
        renderJobSummary(
          changes,
          facts(),
          pr ? { pullRequest: { operation: pr.operation, number: pr.number, url: pr.url } } : {}
        )
      )
      return { outputs }
    } catch (error) {
      await staging.discard()
      throw error
    }
  } finally {
    outputs.requests = String(client.stats().total)
    await client.close()
  }
}

function factsOf(inputs: Inputs, result: ExportResult, client: GenesysClient, durationMs: number): RunFacts {
  const stats = client.stats()
  return {
    mode: inputs.mode,
    counts: result.counts,
    requests: stats.total,
    requestsByEndpoint: stats.byEndpoint,
    skipped: result.skipped,
    unresolved: result.manifest.unresolved,
    redactions: result.redactions,
    failed: [],
    warnings: result.warnings,
    dependenciesNotRead: result.manifest.resources
      .filter(r => r.dependenciesNotRead !== undefined)
      .map(r => ({ kind: r.kind, id: r.id, name: r.name, reason: r.dependenciesNotRead! })),
    durationMs,
    reused: result.reused
  }
}
