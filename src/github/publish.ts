/**
 * Publishes a snapshot as a pull request through the Git Data API (blobs, trees, commits, refs):
 * no git credentials, and GitHub signs the commit. Only new content is uploaded, a rerun that finds
 * nothing new writes nothing, and a PR whose snapshot the base already has is closed.
 */
import { readFile } from 'node:fs/promises'
import { systemClock, type Clock } from '../common/clock.js'
import type { Log } from '../common/log.js'
import { parseManifest } from '../snapshot/manifest.js'
import { inManagedFolder, MANIFEST_FILE, type Manifest } from '../snapshot/model.js'
import { GitHubPublishError, requestMessage, requestStatus, write } from './errors.js'
import {
  blobShaIn,
  branchSha,
  compareWithBase,
  defaultBranch,
  foreignWork,
  readBlob,
  readCommit,
  readFolder,
  subtreeSha,
  type FolderState,
  type Repo
} from './git-read.js'
import type { Octokit } from './octokit.js'
import {
  addMissingLabels,
  refreshOpenPull,
  closePull,
  findOpenPull,
  fitBody,
  openPull,
  updatePull,
  type PullRef
} from './pull-requests.js'
import {
  gitBlobSha,
  isSnapshotPath,
  plannedFolder,
  planSnapshot,
  sameFiles,
  type SnapshotPlan
} from './snapshot-plan.js'

export interface SnapshotFile {
  /** Relative to snapshotPath, forward slashes. */
  path: string
  /** Where the bytes are. */
  absPath: string
}

export interface PublishRequest {
  owner: string
  repo: string
  /** Repository-relative folder, e.g. 'genesys'. */
  snapshotPath: string
  /** The complete new set of managed files (every manifest resource's file + manifest.json). */
  files: SnapshotFile[]
  branch: string
  /** '' → the repository's default branch. */
  base: string
  title: string
  body: string
  commitMessage: string
  labels: string[]
  reviewers: string[]
  draft: boolean
  /** A head of `branch` that checkPublishable found to hold snapshots only (not checked again). */
  checkedHead?: string
}

export interface PublishResult {
  operation: 'created' | 'updated' | 'closed' | 'none'
  number?: number
  url?: string
  commitSha?: string
  /** Files under snapshotPath that differ between the base branch and the new snapshot. */
  added: string[]
  modified: string[]
  removed: string[]
}

/** Times the whole publish is redone when the base branch moves under it. */
const BASE_ATTEMPTS = 3
/** Times a branch update is retried after GitHub refuses it (422). */
const REF_ATTEMPTS = 3

function normalizeFolder(folder: string): string {
  const f = folder.replace(/\\/g, '/').replace(/^\/+|\/+$/g, '')
  if (!isSnapshotPath(f))
    throw new GitHubPublishError(`The snapshot path '${folder}' is not a folder inside the repository.`)
  return f
}

/** Git blob ids of the new files, checked for paths the tree could not hold. */
async function hashFiles(files: SnapshotFile[]): Promise<Map<string, { sha: string; absPath: string }>> {
  const result = new Map<string, { sha: string; absPath: string }>()
  for (const file of files) {
    if (!isSnapshotPath(file.path)) {
      throw new GitHubPublishError(
        `Snapshot file '${file.path}' is not a relative path with forward slashes.`
      )
    }
    if (result.has(file.path)) throw new GitHubPublishError(`Snapshot file '${file.path}' is listed twice.`)
    result.set(file.path, { sha: gitBlobSha(await readFile(file.absPath)), absPath: file.absPath })
  }
  return result
}

async function readManifest(
  octokit: Octokit,
  repo: Repo,
  folder: FolderState
): Promise<{ manifest?: Manifest; text?: string }> {
  const entry = folder.files.get(MANIFEST_FILE)
  if (!entry) return {}
  const text = (await readBlob(octokit, repo, entry.sha)).toString('utf8')
  return { manifest: parseManifest(text).manifest, text }
}

/**
 * Reads the base branch's snapshot (the report's "before" side): its manifest, a reader of its
 * files, and the files of its managed folders. A missing branch or folder reads as an empty
 * snapshot. A file whose copy in `local` (the checked-out folder) has the base's blob id is read
 * from there: a change to every file would otherwise cost one GitHub read each, against a token's
 * hourly limit of 1,000.
 */
export async function baseSnapshotView(
  octokit: Octokit,
  options: {
    owner: string
    repo: string
    base: string
    snapshotPath: string
    local?: (path: string) => Promise<string | undefined>
  }
): Promise<{
  manifest?: Manifest
  read(path: string): Promise<string | undefined>
  managedFiles(): Promise<string[]>
}> {
  const repo = { owner: options.owner, repo: options.repo }
  const folderPath = normalizeFolder(options.snapshotPath)
  const base = options.base || (await defaultBranch(octokit, repo))
  const sha = await branchSha(octokit, repo, base)
  if (!sha) return { manifest: undefined, read: async () => undefined, managedFiles: async () => [] }
  const folder = await readFolder(octokit, repo, sha, folderPath)
  const cache = new Map<string, Promise<string>>()
  const read = async (path: string): Promise<string | undefined> => {
    const entry = folder.files.get(path)
    if (!entry) return undefined
    let text = cache.get(entry.sha)
    if (!text) {
      text = (async () => {
        const here = await options.local?.(path).catch(() => undefined)
        if (here !== undefined && gitBlobSha(Buffer.from(here, 'utf8')) === entry.sha) return here
        return (await readBlob(octokit, repo, entry.sha)).toString('utf8')
      })()
      cache.set(entry.sha, text)
    }
    return text
  }
  const text = await read(MANIFEST_FILE)
  // The plan (planSnapshot) deletes the unlisted ones among these from the same tree.
  const managedFiles = async (): Promise<string[]> => [...folder.files.keys()].filter(inManagedFolder)
  return { manifest: text === undefined ? undefined : parseManifest(text).manifest, read, managedFiles }
}

/**
 * True when the branch head already is this snapshot on this base: one commit whose parent has the
 * base's snapshot folder, and whose folder is exactly the planned one. (A head built on an older
 * base with a different snapshot folder would conflict on merge, so it is rebuilt.)
 */
async function headIsCurrent(
  octokit: Octokit,
  repo: Repo,
  folder: string,
  head: FolderState,
  base: FolderState,
  planned: Map<string, string>
): Promise<boolean> {
  if (head.parents.length !== 1 || !sameFiles(head.files, planned)) return false
  const [parent] = head.parents
  if (parent === base.commitSha) return true
  const { treeSha } = await readCommit(octokit, repo, parent)
  const parentFolder = await subtreeSha(octokit, repo, treeSha, folder)
  return parentFolder === base.folderSha
}

/** Most inline file content sent in one tree request; larger snapshots chain several trees. */
const TREE_CHUNK_BYTES = 4 * 1024 * 1024

type TreeEntry = {
  path: string
  mode: '100644' | '100755'
  type: 'blob'
  sha?: string | null
  content?: string
}

/**
 * Builds the snapshot tree on `baseTree`. New text files travel inline in the tree requests (GitHub
 * writes their blobs), so a first snapshot of thousands of files costs a few write requests instead
 * of one spaced write per file; content GitHub already has is named by blob id, deletions by `sha: null`,
 * and only bytes that are not valid UTF-8 go up as blobs of their own.
 */
async function createSnapshotTree(
  octokit: Octokit,
  repo: Repo,
  folder: string,
  baseTree: string,
  baseModes: Map<string, string>,
  plan: SnapshotPlan,
  local: Map<string, { sha: string; absPath: string }>,
  known: Set<string>
): Promise<string> {
  let tree = baseTree
  let chunk: TreeEntry[] = []
  let chunkBytes = 0
  const flush = async (): Promise<void> => {
    if (chunk.length === 0) return
    const entries = chunk
    const { data } = await write('create the snapshot tree', 'contents', () =>
      octokit.rest.git.createTree({ ...repo, base_tree: tree, tree: entries })
    )
    tree = data.sha
    chunk = []
    chunkBytes = 0
  }
  for (const change of plan.changes) {
    const entry: TreeEntry = {
      path: `${folder}/${change.path}`,
      mode: baseModes.get(change.path) === '100755' ? '100755' : '100644',
      type: 'blob'
    }
    if (change.sha === null || known.has(change.sha)) {
      entry.sha = change.sha
    } else {
      const bytes = await readFile(local.get(change.path)!.absPath)
      if (gitBlobSha(bytes) !== change.sha) {
        throw new GitHubPublishError(`Snapshot file '${change.path}' changed while it was being published.`)
      }
      const text = bytes.toString('utf8')
      if (Buffer.from(text, 'utf8').equals(bytes)) {
        if (chunkBytes + bytes.length > TREE_CHUNK_BYTES) await flush()
        entry.content = text
        chunkBytes += bytes.length
      } else {
        const { data } = await write(`upload ${change.path}`, 'contents', () =>
          octokit.rest.git.createBlob({ ...repo, content: bytes.toString('base64'), encoding: 'base64' })
        )
        if (data.sha !== change.sha) {
          throw new GitHubPublishError(
            `GitHub stored '${change.path}' as blob ${data.sha}, expected ${change.sha}.`
          )
        }
        entry.sha = data.sha
      }
      known.add(change.sha)
    }
    chunk.push(entry)
  }
  await flush()
  return tree
}

/** GitHub's refusal to let an App token (GITHUB_TOKEN) move a ref over a change to .github/workflows. */
const WORKFLOW_REFUSAL = /refusing to allow .*workflow|without [`'"]?workflows[`'"]? permission/i

/**
 * Points the branch at `commit`: create it, or force-update it; a refused update is re-read and
 * retried. A branch older than a change to the base's workflows cannot be moved by a token without
 * the workflows permission; with `remake` (no open PR would close) it is deleted and created again.
 */
async function pointBranch(
  octokit: Octokit,
  repo: Repo,
  branch: string,
  commit: string,
  exists: boolean,
  log: Log,
  /** Checks a head the branch turned out to have moved to before it is overwritten. */
  guard: (head: string) => Promise<void>,
  remake: boolean
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      if (exists) {
        await octokit.rest.git.updateRef({ ...repo, ref: `heads/${branch}`, sha: commit, force: true })
      } else {
        await octokit.rest.git.createRef({ ...repo, ref: `refs/heads/${branch}`, sha: commit })
      }
      return
    } catch (error) {
      const message = requestMessage(error)
      if (exists && WORKFLOW_REFUSAL.test(message)) {
        if (!remake || attempt >= REF_ATTEMPTS)
          throw new GitHubPublishError(
            `GitHub refused to move branch ${branch} (${message}): the branch predates a change to .github/workflows on the base, and the token may not carry that change onto it (GITHUB_TOKEN never can). Delete branch ${branch} (its pull request closes; the next run opens a new one), or pass a token with the workflows permission as github-token.`
          )
        const now = await branchSha(octokit, repo, branch)
        if (now !== undefined) {
          await guard(now)
          await write(`delete branch ${branch}`, 'contents', () =>
            octokit.rest.git.deleteRef({ ...repo, ref: `heads/${branch}` })
          )
        }
        log.info(
          `Branch ${branch} predates a change to .github/workflows on the base, which GitHub does not let this token carry onto it; made it again from the new snapshot commit.`
        )
        exists = false
        continue
      }
      // 422: the ref moved or appeared/vanished under us (another run, a push); read it again.
      if (requestStatus(error) !== 422 || attempt >= REF_ATTEMPTS) {
        return write(`${exists ? 'update' : 'create'} branch ${branch}`, 'contents', () =>
          Promise.reject(error)
        )
      }
      const now = await branchSha(octokit, repo, branch)
      if (now === commit) return
      if (now !== undefined) await guard(now)
      log.info(`Branch ${branch} changed while being updated (${requestMessage(error)}); retrying.`)
      exists = now !== undefined
    }
  }
}

/**
 * Puts the branch back where it was before this run moved it to `ours` (or deletes it when this run
 * created it), unless someone has moved it since. Best effort: a failure is logged, not thrown.
 */
async function restoreBranch(
  octokit: Octokit,
  repo: Repo,
  branch: string,
  ours: string,
  previous: string | undefined,
  log: Log
): Promise<void> {
  try {
    if ((await branchSha(octokit, repo, branch)) !== ours) return
    if (previous) {
      await octokit.rest.git.updateRef({ ...repo, ref: `heads/${branch}`, sha: previous, force: true })
      log.info(`Branch ${branch} put back at ${previous}: its pull request could not be updated.`)
    } else {
      await octokit.rest.git.deleteRef({ ...repo, ref: `heads/${branch}` })
      log.info(`Branch ${branch} removed again: its pull request could not be opened.`)
    }
  } catch (error) {
    log.warning(
      `Could not put branch ${branch} back after the pull request failed: ${requestMessage(error)}. It holds the new snapshot without an up-to-date pull request; the next run fixes that.`
    )
  }
}

async function deleteBranch(octokit: Octokit, repo: Repo, branch: string, log: Log): Promise<void> {
  try {
    await octokit.rest.git.deleteRef({ ...repo, ref: `heads/${branch}` })
  } catch (error) {
    if (requestStatus(error) === 422) return // already gone
    log.warning(`Could not delete branch ${branch}: ${requestMessage(error)}. It is no longer needed.`)
  }
}

/**
 * Refuses to reset or delete a branch that holds work other than this action's snapshots: a branch
 * input that names someone's branch must not cost them their commits.
 */
async function ensureSnapshotBranch(
  octokit: Octokit,
  repo: Repo,
  branch: string,
  head: string,
  baseSha: string,
  folder: string
): Promise<void> {
  const why = await foreignWork(octokit, repo, baseSha, head, folder)
  if (why === undefined) return
  throw new GitHubPublishError(
    `Branch '${branch}' holds ${why}: work this action did not make. The action resets its branch to the base branch plus the new snapshot on every run, so it leaves '${branch}' and its pull request alone. Set the branch input to a branch used only for snapshots (the default is genesys-snapshot), or delete '${branch}' if nothing on it is needed.`
  )
}

/** The base branch's name ('' → the default branch), refused when it is the PR branch itself. */
async function resolveBase(
  octokit: Octokit,
  repo: Repo,
  request: { branch: string; base: string }
): Promise<string> {
  const base = request.base || (await defaultBranch(octokit, repo))
  if (base === request.branch) {
    throw new GitHubPublishError(
      `The pull request branch '${request.branch}' is the base branch; set the branch input to a branch of its own.`
    )
  }
  return base
}

/**
 * What publishing will refuse, checked before the export spends the org's request budget: a PR
 * branch that is the base, a base that does not exist, a PR branch holding someone's work, a token
 * that cannot write. Returns the base branch's name, and the blob sha of the base's manifest to
 * compare the checkout with. Publishing checks again, since either branch may move meanwhile.
 */
export async function checkPublishable(
  octokit: Octokit,
  request: Pick<PublishRequest, 'owner' | 'repo' | 'snapshotPath' | 'branch' | 'base'>
): Promise<{ base: string; checkedHead?: string; baseManifestSha?: string }> {
  const repo = { owner: request.owner, repo: request.repo }
  const folder = normalizeFolder(request.snapshotPath)
  const base = await resolveBase(octokit, repo, request)
  const baseSha = await branchSha(octokit, repo, base)
  if (!baseSha) throw missingBase(repo, base)
  const head = await branchSha(octokit, repo, request.branch)
  if (head !== undefined) await ensureSnapshotBranch(octokit, repo, request.branch, head, baseSha, folder)
  const baseManifestSha = await blobShaIn(octokit, repo, baseSha, folder, MANIFEST_FILE)
  // A read-only token (the default for new repositories) would otherwise be refused only at the
  // first write, after the whole export. Storing the empty blob changes nothing anyone can see.
  await write('write to the repository', 'contents', () =>
    octokit.rest.git.createBlob({ ...repo, content: '', encoding: 'utf-8' })
  )
  return { base, checkedHead: head, ...(baseManifestSha ? { baseManifestSha } : {}) }
}

/**
 * Whether the workspace holds the base's snapshot, which names files and is reused: `missing` when
 * the base has a manifest and the workspace none (no checkout), `other` when they differ (another
 * ref checked out, or the base moved since), `same` otherwise.
 */
export function checkoutAgainstBase(
  localManifest: Buffer | undefined,
  baseManifestSha: string | undefined
): 'same' | 'missing' | 'other' {
  if (localManifest === undefined) return baseManifestSha === undefined ? 'same' : 'missing'
  return gitBlobSha(localManifest) === baseManifestSha ? 'same' : 'other'
}

function missingBase(repo: Repo, base: string): GitHubPublishError {
  return new GitHubPublishError(
    `The base branch '${base}' does not exist in ${repo.owner}/${repo.repo}; set the base input to an existing branch.`
  )
}

/**
 * Commits the snapshot on top of the base branch into `branch` and opens or refreshes the PR;
 * closes the PR when the base already has the snapshot. See the contract's "Pull request" section.
 */
export async function publishSnapshot(
  octokit: Octokit,
  request: PublishRequest,
  log: Log,
  clock: Clock = systemClock
): Promise<PublishResult> {
  const repo = { owner: request.owner, repo: request.repo }
  const folder = normalizeFolder(request.snapshotPath)
  const local = await hashFiles(request.files)
  const wanted = new Map([...local].map(([path, f]) => [path, f.sha]))
  const base = await resolveBase(octokit, repo, request)

  // Blobs uploaded by an earlier attempt are in the repository already.
  const uploaded = new Set<string>()
  for (let attempt = 1; attempt <= BASE_ATTEMPTS; attempt++) {
    const baseSha = await branchSha(octokit, repo, base)
    if (!baseSha) throw missingBase(repo, base)
    const baseState = await readFolder(octokit, repo, baseSha, folder)
    const { manifest } = await readManifest(octokit, repo, baseState)
    const plan = planSnapshot(baseState.files, manifest, wanted)
    const files = { added: plan.added, modified: plan.modified, removed: plan.removed }
    const open = await findOpenPull(octokit, repo, request.branch, base)

    if (plan.changes.length === 0) {
      if (!open) {
        log.info(`${base} already has this snapshot; no pull request needed.`)
        return { operation: 'none', ...files }
      }
      const head = await branchSha(octokit, repo, request.branch)
      if (head !== undefined && head !== request.checkedHead)
        await ensureSnapshotBranch(octokit, repo, request.branch, head, baseSha, folder)
      log.info(`${base} already has this snapshot; closing pull request #${open.number}.`)
      await closePull(octokit, repo, open)
      await deleteBranch(octokit, repo, request.branch, log)
      return { operation: 'closed', number: open.number, url: open.url, ...files }
    }
    log.info(
      `Snapshot differs from ${base}: ${plan.added.length} added, ${plan.modified.length} modified, ${plan.removed.length} removed.`
    )

    const headSha = await branchSha(octokit, repo, request.branch)
    const head = headSha ? await readFolder(octokit, repo, headSha, folder) : undefined
    if (
      head &&
      (await headIsCurrent(octokit, repo, folder, head, baseState, plannedFolder(baseState.files, plan)))
    ) {
      if (open) {
        await addMissingLabels(octokit, repo, open, request.labels, log)
        // A run stopped between moving the branch and updating the PR leaves the PR describing the
        // snapshot before: bring its title and body up to date (no write when they already are).
        if (open.title !== request.title || open.body !== fitBody(request.body)) {
          const pull = await updatePull(octokit, repo, open, request)
          log.info(
            `Branch ${request.branch} already holds this snapshot; pull request #${open.number} brought up to date.`
          )
          return result('updated', pull, head.commitSha, files)
        }
        log.info(
          `Branch ${request.branch} already holds this snapshot; pull request #${open.number} stays as it is.`
        )
        return { operation: 'none', number: open.number, url: open.url, commitSha: head.commitSha, ...files }
      }
      // The branch is right but has no open PR (closed by hand, or a run that failed to open one),
      // unless its commit is in the base's history already (merged, then reverted there): GitHub
      // opens no PR without commits, so that one needs a new commit.
      const comparison = await compareWithBase(octokit, repo, baseSha, head.commitSha)
      if (comparison === 'unrelated' || comparison.ahead_by > 0) {
        const { pull, operation } = await openPull(octokit, repo, { ...request, base }, log, clock)
        return result(operation, pull, head.commitSha, files)
      }
      log.info(`${request.branch} is already part of ${base}; making a new snapshot commit.`)
    }

    if (headSha !== undefined && headSha !== request.checkedHead)
      await ensureSnapshotBranch(octokit, repo, request.branch, headSha, baseSha, folder)
    for (const f of [...baseState.files.values(), ...(head?.files.values() ?? [])]) uploaded.add(f.sha)
    const baseModes = new Map([...baseState.files].map(([path, f]) => [path, f.mode]))
    const treeSha = await createSnapshotTree(
      octokit,
      repo,
      folder,
      baseState.treeSha,
      baseModes,
      plan,
      local,
      uploaded
    )
    // No author or committer: GitHub then commits as the token's identity and signs the commit.
    const { data: commit } = await write(`create the snapshot commit`, 'contents', () =>
      octokit.rest.git.createCommit({
        ...repo,
        message: request.commitMessage,
        tree: treeSha,
        parents: [baseSha]
      })
    )
    const baseNow = await branchSha(octokit, repo, base)
    if (baseNow !== baseSha) {
      log.info(`${base} moved while the snapshot commit was being made; rebuilding on its new head.`)
      continue
    }
    await pointBranch(
      octokit,
      repo,
      request.branch,
      commit.sha,
      headSha !== undefined,
      log,
      moved => ensureSnapshotBranch(octokit, repo, request.branch, moved, baseSha, folder),
      open === undefined
    )
    log.info(`Branch ${request.branch} now at ${commit.sha}.`)

    try {
      if (open) {
        const pull = await refreshOpenPull(octokit, repo, open, request, log)
        return result('updated', pull, commit.sha, files)
      }
      const { pull, operation } = await openPull(octokit, repo, { ...request, base }, log, clock)
      return result(operation, pull, commit.sha, files)
    } catch (error) {
      // A branch that moved without its PR would show reviewers a diff the PR body does not describe.
      await restoreBranch(octokit, repo, request.branch, commit.sha, headSha, log)
      throw error
    }
  }
  throw new GitHubPublishError(
    `The base branch '${base}' moved during each of ${BASE_ATTEMPTS} attempts to build the snapshot commit on it; rerun the workflow.`
  )
}

function result(
  operation: PublishResult['operation'],
  pull: PullRef,
  commitSha: string,
  files: Pick<PublishResult, 'added' | 'modified' | 'removed'>
): PublishResult {
  return { operation, number: pull.number, url: pull.url, commitSha, ...files }
}
