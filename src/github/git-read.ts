/**
 * Reading a branch's files through the Git Data API: refs, commits, trees and blobs. Only the
 * snapshot folder is listed, so a large repository costs no more than its snapshot.
 */
import { GitHubPublishError, isRateLimit, requestMessage, requestStatus } from './errors.js'
import type { Octokit } from './octokit.js'

export interface Repo {
  owner: string
  repo: string
}

export interface TreeFile {
  sha: string
  mode: string
}

/** A commit's view of one folder: every blob under it, keyed by path relative to the folder. */
export interface FolderState {
  commitSha: string
  treeSha: string
  parents: string[]
  /** The folder's tree sha; undefined when the commit has no such folder. */
  folderSha?: string
  files: Map<string, TreeFile>
}

async function read<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (error) {
    const status = requestStatus(error)
    const said = `${status !== undefined ? `HTTP ${status}: ` : ''}${requestMessage(error).replace(/\.+$/, '')}`
    if (isRateLimit(error)) {
      throw new GitHubPublishError(
        `GitHub's rate limit stopped reading ${what} (${said}); rerun the workflow later.`,
        undefined,
        { cause: error }
      )
    }
    const refused = status === 403 || status === 404
    const hint = refused
      ? 'The token needs `permissions: contents: read` on this repository.'
      : 'GitHub may be having trouble (https://www.githubstatus.com); rerun the workflow later.'
    throw new GitHubPublishError(
      `Could not read ${what} from GitHub (${said}). ${hint}`,
      status === 403 ? 'contents' : undefined,
      { cause: error }
    )
  }
}

export async function defaultBranch(octokit: Octokit, repo: Repo): Promise<string> {
  const { data } = await read(`repository ${repo.owner}/${repo.repo}`, () =>
    octokit.rest.repos.get({ ...repo })
  )
  return data.default_branch
}

/** The commit a branch points at, or undefined when there is no such branch (or the repo is empty). */
export async function branchSha(octokit: Octokit, repo: Repo, branch: string): Promise<string | undefined> {
  try {
    const { data } = await octokit.rest.git.getRef({ ...repo, ref: `heads/${branch}` })
    return data.object.type === 'commit' ? data.object.sha : undefined
  } catch (error) {
    // 404: no such ref; 409: "Git Repository is empty."
    const status = requestStatus(error)
    if (status === 404 || status === 409) return undefined
    return read(`branch ${branch}`, () => Promise.reject(error))
  }
}

export async function readCommit(
  octokit: Octokit,
  repo: Repo,
  sha: string
): Promise<{ treeSha: string; parents: string[] }> {
  const { data } = await read(`commit ${sha}`, () => octokit.rest.git.getCommit({ ...repo, commit_sha: sha }))
  return { treeSha: data.tree.sha, parents: data.parents.map(p => p.sha) }
}

/** Sha of the tree at `folder` ('a/b') inside `rootTree`, walking one level per segment. */
export async function subtreeSha(
  octokit: Octokit,
  repo: Repo,
  rootTree: string,
  folder: string
): Promise<string | undefined> {
  let current = rootTree
  for (const segment of folder.split('/').filter(s => s !== '')) {
    const { data } = await read(`tree ${current}`, () =>
      octokit.rest.git.getTree({ ...repo, tree_sha: current })
    )
    const entry = data.tree.find(e => e.path === segment && e.type === 'tree')
    if (!entry?.sha) return undefined
    current = entry.sha
  }
  return current
}

/**
 * The blob sha of `folder/name` in a commit, or undefined when there is none. Reads the trees down
 * to the folder and its top level only, not the whole snapshot.
 */
export async function blobShaIn(
  octokit: Octokit,
  repo: Repo,
  commitSha: string,
  folder: string,
  name: string
): Promise<string | undefined> {
  const { treeSha } = await readCommit(octokit, repo, commitSha)
  const folderSha = await subtreeSha(octokit, repo, treeSha, folder)
  if (!folderSha) return undefined
  const { data } = await read(`tree ${folderSha}`, () =>
    octokit.rest.git.getTree({ ...repo, tree_sha: folderSha })
  )
  return data.tree.find(e => e.path === name && e.type === 'blob')?.sha
}

/**
 * Every blob under a tree, keyed by path relative to it. A recursive listing GitHub truncated
 * (over 100,000 entries or 7 MB) is completed by listing each subtree on its own.
 */
export async function listBlobs(
  octokit: Octokit,
  repo: Repo,
  treeSha: string
): Promise<Map<string, TreeFile>> {
  const files = new Map<string, TreeFile>()
  const walk = async (sha: string, prefix: string): Promise<void> => {
    const { data } = await read(`tree ${sha}`, () =>
      octokit.rest.git.getTree({ ...repo, tree_sha: sha, recursive: '1' })
    )
    if (!data.truncated) {
      for (const e of data.tree) {
        if (e.type === 'blob' && e.path && e.sha)
          files.set(prefix + e.path, { sha: e.sha, mode: e.mode ?? '100644' })
      }
      return
    }
    const { data: level } = await read(`tree ${sha}`, () =>
      octokit.rest.git.getTree({ ...repo, tree_sha: sha })
    )
    for (const e of level.tree) {
      if (!e.path || !e.sha) continue
      if (e.type === 'blob') files.set(prefix + e.path, { sha: e.sha, mode: e.mode ?? '100644' })
      else if (e.type === 'tree') await walk(e.sha, `${prefix}${e.path}/`)
    }
  }
  await walk(treeSha, '')
  return files
}

/** The state of `folder` in a commit. */
export async function readFolder(
  octokit: Octokit,
  repo: Repo,
  commitSha: string,
  folder: string
): Promise<FolderState> {
  const { treeSha, parents } = await readCommit(octokit, repo, commitSha)
  const folderSha = await subtreeSha(octokit, repo, treeSha, folder)
  const files = folderSha ? await listBlobs(octokit, repo, folderSha) : new Map<string, TreeFile>()
  return { commitSha, treeSha, parents, folderSha, files }
}

export async function readBlob(octokit: Octokit, repo: Repo, sha: string): Promise<Buffer> {
  const { data } = await read(`blob ${sha}`, () => octokit.rest.git.getBlob({ ...repo, file_sha: sha }))
  return data.encoding === 'base64' ? Buffer.from(data.content, 'base64') : Buffer.from(data.content, 'utf8')
}

/**
 * The first path outside `folder` whose entry differs between two trees, or undefined when they
 * differ inside `folder` only. Walks one level per segment of `folder`; a tree that lacks the
 * level counts as empty, so a folder created along with other files still shows those files.
 */
export async function changedOutside(
  octokit: Octokit,
  repo: Repo,
  treeA: string | undefined,
  treeB: string | undefined,
  folder: string
): Promise<string | undefined> {
  const level = async (sha: string | undefined) => {
    if (sha === undefined) return new Map<string, { sha?: string; mode?: string; type?: string }>()
    const { data } = await read(`tree ${sha}`, () => octokit.rest.git.getTree({ ...repo, tree_sha: sha }))
    return new Map(data.tree.map(e => [e.path ?? '', { sha: e.sha, mode: e.mode, type: e.type }]))
  }
  let [a, b] = [treeA, treeB]
  let prefix = ''
  for (const segment of folder.split('/').filter(s => s !== '')) {
    if (a === b) return undefined
    const [la, lb] = await Promise.all([level(a), level(b)])
    for (const name of [...new Set([...la.keys(), ...lb.keys()])].sort()) {
      if (name === segment) continue
      const [x, y] = [la.get(name), lb.get(name)]
      if (x?.sha !== y?.sha || x?.mode !== y?.mode)
        return `${prefix}${name}${(x ?? y)?.type === 'tree' ? '/' : ''}`
    }
    const [na, nb] = [la.get(segment), lb.get(segment)]
    a = na?.type === 'tree' ? na.sha : undefined
    b = nb?.type === 'tree' ? nb.sha : undefined
    prefix += `${segment}/`
  }
  return undefined
}

/**
 * How `headSha` stands to `baseSha`: commits it has that the base lacks (`ahead_by`), and their merge
 * base; 'unrelated' when the histories never meet.
 */
export async function compareWithBase(
  octokit: Octokit,
  repo: Repo,
  baseSha: string,
  headSha: string
): Promise<{ ahead_by: number; merge_base_commit: { commit: { tree: { sha: string } } } } | 'unrelated'> {
  try {
    const { data } = await octokit.rest.repos.compareCommitsWithBasehead({
      ...repo,
      basehead: `${baseSha}...${headSha}`,
      per_page: 1
    })
    return data
  } catch (error) {
    // GitHub answers 404 "No common ancestor" for histories that never meet; the repository itself
    // was just read, so that is what a 404 here means.
    if (requestStatus(error) === 404) return 'unrelated'
    return read(`how ${headSha.slice(0, 7)} compares with ${baseSha.slice(0, 7)}`, () =>
      Promise.reject(error)
    )
  }
}

/**
 * What `headSha` holds beyond `baseSha` that is not a snapshot: a difference outside `folder` between
 * its tree and the tree of the commit it shares with the base (their merge base). Undefined when
 * resetting the branch loses nothing outside `folder`: snapshot commits, and merges of the base into
 * the branch (GitHub's "Update branch" button), change nothing there.
 */
export async function foreignWork(
  octokit: Octokit,
  repo: Repo,
  baseSha: string,
  headSha: string,
  folder: string
): Promise<string | undefined> {
  const comparison = await compareWithBase(octokit, repo, baseSha, headSha)
  if (comparison === 'unrelated') return 'a history unrelated to the base branch'
  if (comparison.ahead_by === 0) return undefined
  const head = await readCommit(octokit, repo, headSha)
  const outside = await changedOutside(
    octokit,
    repo,
    head.treeSha,
    comparison.merge_base_commit.commit.tree.sha,
    folder
  )
  return outside === undefined
    ? undefined
    : `changes to ${outside} outside ${folder}/ that the base branch does not have (head commit ${headSha.slice(0, 7)})`
}
