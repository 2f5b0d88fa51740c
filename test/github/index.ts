/**
 * A GitHub REST stand-in for tests and the demo: the endpoints the action uses, answered in
 * GitHub's shapes and status codes, checked against GitHub's OpenAPI description, backed by a real
 * bare git repository, with the faults GitHub really produces (5xx, primary and secondary rate
 * limits, missing permissions, races with other runs). Listens on 127.0.0.1 only.
 */
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { GitStore, type Signature } from './git-store.js'
import { checkBody, matchOperation, type MatchedOperation } from './openapi-check.js'
import {
  basicError,
  blob,
  commitComparison,
  fullRepository,
  gitCommit,
  gitRef,
  gitTree,
  label,
  pullRequest,
  shortBlob,
  validationFailed,
  type PullRequestRecord,
  type Site
} from './shapes.js'

export type { PullRequestRecord } from './shapes.js'

export interface StandInOptions {
  owner?: string
  repo?: string
  defaultBranch?: string
  /** Logins that may be asked for reviews; undefined: anyone. */
  collaborators?: string[]
  /**
   * Team slugs the token can see as reviewers; undefined: any. Others answer 422 "Could not resolve
   * to a node with the global id of '…'", as GitHub does for a team the default GITHUB_TOKEN (no
   * organization permissions) cannot read.
   */
  teams?: string[]
  /** false: creating a draft PR fails as on plans without drafts. */
  draftPullRequests?: boolean
  /** Recursive tree listings longer than this come back truncated (GitHub: 100,000 entries). */
  treeEntryLimit?: number
  /**
   * Starts as a copy of another stand-in: its repository (every ref and object) and its pull
   * requests, so tests can run many cases from one prepared state. Owner, repo and default branch
   * are taken from it.
   */
  copyOf?: GitHubStandIn
}

export interface Faults {
  /** Share of requests answered 502/503 (deterministic: every 1/rate-th request). */
  status5xxRate?: number
  /** The next `count` requests hit a rate limit (403 unless `status` says 429). */
  rateLimitNext?: { count: number; kind: 'primary' | 'secondary'; retryAfter: number; status?: 403 | 429 }
  /** Writes needing this permission answer 403 "Resource not accessible by integration". */
  forbidWrites?: 'contents' | 'pull-requests' | null
  /**
   * The next `count` PR creations answer 422 "No commits between", as GitHub can right after the
   * head branch was moved (its comparison lags the ref update).
   */
  noCommitsOnCreate?: number
  /** Once: another run opens the same PR just before ours (ours gets 422 "already exists"). */
  concurrentPrOnCreate?: boolean
  /**
   * Once: our PR is created but the answer is lost (502), as when GitHub's front end gives up on a
   * write that went through; a retry of the creation then gets 422 "already exists".
   */
  loseCreateResponse?: boolean
  /**
   * Once: a push to the branch while we update it (422 "Reference cannot be updated"): someone's
   * CONCURRENT.md at the root (true), or a file at the given path (another run's snapshot).
   */
  moveBranchOnUpdate?: boolean | { path: string }
  /** Once: the base branch gets a new commit while our commit is being created. */
  moveBaseOnCommit?: boolean
  /** These operations (by operationId, e.g. 'pulls/update') always answer this status. */
  failOperations?: Record<string, number>
  /**
   * Moving a branch over a change to .github/workflows answers 422, as GitHub answers an App
   * token (GITHUB_TOKEN) without the workflows permission. Creating a branch is not refused.
   */
  refuseWorkflowChanges?: boolean
}

export interface RequestRecord {
  method: string
  /** Path without the query string, as sent (percent-encoding kept). */
  path: string
  query: string
  status: number
  operationId?: string
  /** POST git/trees and git/blobs: the file contents the request carried, by tree path ('' for a blob). */
  contentPaths?: string[]
  /** POST git/blobs: the blob's size; the action stores the empty blob to check it may write. */
  blobBytes?: number
}

/**
 * Whether a request could change what anyone sees in the repository: any write but the empty blob
 * the action stores to check that it may write (git keeps it once, and nothing points at it).
 */
export function changesRepository(r: RequestRecord): boolean {
  return r.method !== 'GET' && !(r.path.endsWith('/git/blobs') && r.blobBytes === 0)
}

export interface GitHubStandIn {
  /** GITHUB_API_URL for the action (http://127.0.0.1:<port>). */
  url: string
  /** The only accepted token (Authorization: token X / Bearer X); others → 401. */
  token: string
  owner: string
  repo: string
  defaultBranch: string
  /** Path of the bare git repository behind it. */
  bareRepo: string
  /** A real commit on `branch` (created from the default branch, or as a root commit, when missing). */
  commitFiles(
    branch: string,
    files: Record<string, string | Buffer | null>,
    message?: string
  ): Promise<string>
  /** git clone of the bare repository into `dir`, checked out at `branch`. */
  checkout(branch: string, dir: string): Promise<void>
  readFile(ref: string, path: string): Promise<string | undefined>
  listFiles(ref: string, prefix?: string): Promise<string[]>
  pulls(): PullRequestRecord[]
  /** Merges head into base (fast-forward when possible, else a merge commit); marks the PR merged. */
  mergePull(number: number): Promise<void>
  requests(): RequestRecord[]
  /** Replaces the active faults (one-shot faults clear themselves once they fire). */
  setFaults(faults: Faults): void
  /** Called with each request once it is answered; returns the unsubscribe. */
  onRequest(listener: (record: RequestRecord) => void): () => void
  /** Commits whose creation left them signed by GitHub (no author/committer given). */
  isVerified(sha: string): boolean
  close(): Promise<void>
}

interface Reply {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

class Refusal extends Error {
  constructor(readonly reply: Reply) {
    super(`HTTP ${reply.status}`)
  }
}

const BOT: Omit<Signature, 'date'> = {
  name: 'github-actions[bot]',
  email: '41898282+github-actions[bot]@users.noreply.github.com'
}
const BOT_LOGIN = 'github-actions[bot]'
const CONTENTS_WRITES = new Set([
  'git/create-blob',
  'git/create-tree',
  'git/create-commit',
  'git/create-ref',
  'git/update-ref',
  'git/delete-ref'
])
const PULL_WRITES = new Set([
  'pulls/create',
  'pulls/update',
  'pulls/request-reviewers',
  'pulls/remove-requested-reviewers',
  'issues/add-labels',
  'issues/set-labels'
])

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')
const fail = (status: number, message: string, docs?: string): never => {
  throw new Refusal({ status, body: basicError(message, status, docs) })
}
const invalid = (errors: Parameters<typeof validationFailed>[0]): never => {
  throw new Refusal({ status: 422, body: validationFailed(errors) })
}
const unprocessable = (message: string): never => fail(422, message)
/** 422 with errors as plain strings, as GitHub answers some GraphQL-backed REST operations. */
const unresolved = (message: string): never => {
  throw new Refusal({
    status: 422,
    body: {
      message: 'Validation Failed',
      errors: [message],
      documentation_url:
        'https://docs.github.com/rest/pulls/review-requests#request-reviewers-for-a-pull-request'
    }
  })
}

function isSha(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{40}$/.test(value)
}

function validTreePath(p: string): boolean {
  return p !== '' && p.split('/').every(s => s !== '' && s !== '.' && s !== '..' && s !== '.git')
}

export async function startGitHubStandIn(options: StandInOptions = {}): Promise<GitHubStandIn> {
  const source = options.copyOf
  const owner = source?.owner ?? options.owner ?? 'octo-org'
  const repoName = source?.repo ?? options.repo ?? 'octo-repo'
  const defaultBranch = source?.defaultBranch ?? options.defaultBranch ?? 'main'
  const treeEntryLimit = options.treeEntryLimit ?? 100000
  const token = `ghs_${randomBytes(18).toString('hex')}`
  const git = source ? await GitStore.copyOf(source.bareRepo) : await GitStore.create(defaultBranch)

  const site: Site = {
    api: '',
    html: 'https://github.com',
    owner,
    repo: repoName,
    repoId: 4242,
    defaultBranch,
    createdAt: now()
  }
  const log: RequestRecord[] = []
  const listeners = new Set<(record: RequestRecord) => void>()
  const pulls: PullRequestRecord[] = source?.pulls() ?? []
  const verified = new Set<string>()
  let faults: Faults = {}
  let fiveXxBudget = 0
  let fiveXxCount = 0
  let nextNumber = Math.max(0, ...pulls.map(p => p.number)) + 1
  // Never near zero: a 0 would make every 403 look like a primary rate limit.
  const remaining = 4990
  let concurrentCounter = 0

  const branchRef = (branch: string) => `refs/heads/${branch}`

  /** Ref name or sha → commit sha. */
  async function resolveCommit(ref: string): Promise<string | undefined> {
    if (isSha(ref) && (await git.objectType(ref)) === 'commit') return ref
    return git.readRef(ref.startsWith('refs/') ? ref : branchRef(ref))
  }

  async function refreshPull(pr: PullRequestRecord): Promise<void> {
    if (pr.state !== 'open') return
    const refs = await git.listRefs('refs/heads/')
    pr.head.sha = refs.get(branchRef(pr.head.ref)) ?? pr.head.sha
    pr.base.sha = refs.get(branchRef(pr.base.ref)) ?? pr.base.sha
  }

  async function commitOnBranch(
    branch: string,
    files: Record<string, string | Buffer | null>,
    message: string,
    author: Signature
  ): Promise<string> {
    const ref = branchRef(branch)
    const parent = (await git.readRef(ref)) ?? (await git.readRef(branchRef(defaultBranch)))
    const tree = parent ? await git.flatTree((await git.readCommit(parent)).tree) : new Map()
    for (const [p, content] of Object.entries(files)) {
      if (content === null) tree.delete(p)
      else tree.set(p, { mode: '100644', sha: await git.writeBlob(Buffer.from(content)) })
    }
    const sha = await git.writeCommit({
      tree: await git.writeTree(tree),
      parents: parent ? [parent] : [],
      message,
      author,
      committer: author
    })
    await git.updateRef(ref, sha)
    // GitHub moves an open pull request's head (and base) with the push.
    for (const pr of pulls) if (pr.head.ref === branch || pr.base.ref === branch) await refreshPull(pr)
    return sha
  }

  /** Someone else's push: a commit on top of the branch. */
  function concurrentPush(branch: string, path = 'CONCURRENT.md'): Promise<string> {
    concurrentCounter++
    return commitOnBranch(
      branch,
      { [path]: `pushed by someone else (${concurrentCounter})\n` },
      'A concurrent push',
      { name: 'Someone Else', email: 'someone@example.com', date: now() }
    )
  }

  async function closePullsOf(branch: string): Promise<void> {
    for (const pr of pulls) {
      if (pr.state === 'open' && (pr.head.ref === branch || pr.base.ref === branch)) {
        await refreshPull(pr)
        pr.state = 'closed'
        pr.closed_at = pr.updated_at = now()
      }
    }
  }

  async function pullReply(pr: PullRequestRecord, status = 200): Promise<Reply> {
    await refreshPull(pr)
    return { status, body: pullRequest(site, pr) }
  }

  function findPull(n: string): PullRequestRecord {
    return pulls.find(p => p.number === Number(n)) ?? fail(404, 'Not Found')
  }

  async function requireNonEmpty(): Promise<void> {
    if ((await git.listRefs('refs/heads/')).size === 0) fail(409, 'Git Repository is empty.')
  }

  type Handler = (
    m: MatchedOperation,
    body: Record<string, unknown>,
    query: URLSearchParams
  ) => Promise<Reply>
  const handlers: Record<string, Handler> = {
    'repos/get': async () => ({ status: 200, body: fullRepository(site) }),

    'git/get-ref': async m => {
      const refs = await git.listRefs('refs/')
      if (refs.size === 0) fail(409, 'Git Repository is empty.')
      const name = `refs/${m.params.ref}`
      const sha = refs.get(name) ?? fail(404, 'Not Found', `${DOCS_GIT}/refs#get-a-reference`)
      return { status: 200, body: gitRef(site, name, sha) }
    },

    'git/list-matching-refs': async m => {
      const prefix = `refs/${m.params.ref}`
      const refs = [...(await git.listRefs('refs/'))].filter(([name]) => name.startsWith(prefix))
      return { status: 200, body: refs.map(([name, sha]) => gitRef(site, name, sha)) }
    },

    'git/create-ref': async (_m, body) => {
      const name = body.ref as string
      const sha = body.sha as string
      if (!/^refs\/[^/]+\/.+/.test(name) || !validTreePath(name)) unprocessable('Reference name is invalid')
      if ((await git.objectType(sha)) !== 'commit') unprocessable('Object does not exist')
      if ((await git.listRefs(name)).has(name)) unprocessable('Reference already exists')
      await git.updateRef(name, sha, '0'.repeat(40))
      return { status: 201, body: gitRef(site, name, sha) }
    },

    'git/update-ref': async (m, body) => {
      const name = `refs/${m.params.ref}`
      const sha = body.sha as string
      const current = (await git.listRefs(name)).get(name)
      if (!current) unprocessable('Reference does not exist')
      if ((await git.objectType(sha)) !== 'commit') unprocessable('Object does not exist')
      if (faults.moveBranchOnUpdate && name.startsWith('refs/heads/')) {
        const push = faults.moveBranchOnUpdate
        faults.moveBranchOnUpdate = false
        await concurrentPush(name.slice('refs/heads/'.length), push === true ? undefined : push.path)
        unprocessable('Reference cannot be updated')
      }
      if (body.force !== true && !(await git.isAncestor(current!, sha)))
        unprocessable('Update is not a fast forward')
      if (faults.refuseWorkflowChanges) {
        const workflows = async (commit: string) =>
          new Map(
            (await git.listTree(commit, true))
              .filter(e => e.type === 'blob' && e.path.startsWith('.github/workflows/'))
              .map(e => [e.path, e.sha])
          )
        const [before, after] = await Promise.all([workflows(current!), workflows(sha)])
        const changed = [...new Set([...before.keys(), ...after.keys()])].find(
          p => before.get(p) !== after.get(p)
        )
        if (changed)
          unprocessable(
            `refusing to allow a GitHub App to create or update workflow \`${changed}\` without \`workflows\` permission`
          )
      }
      await git.updateRef(name, sha, current)
      return { status: 200, body: gitRef(site, name, sha) }
    },

    'git/delete-ref': async m => {
      const name = `refs/${m.params.ref}`
      if (!(await git.listRefs(name)).has(name)) unprocessable('Reference does not exist')
      await git.deleteRef(name)
      if (name.startsWith('refs/heads/')) await closePullsOf(name.slice('refs/heads/'.length))
      return { status: 204 }
    },

    'git/create-blob': async (_m, body) => {
      await requireNonEmpty()
      const encoding = (body.encoding as string | undefined) ?? 'utf-8'
      if (encoding !== 'utf-8' && encoding !== 'utf8' && encoding !== 'base64') {
        unprocessable(`encoding must be either "utf-8" or "base64"`)
      }
      const content = body.content as string
      const bytes = encoding === 'base64' ? Buffer.from(content, 'base64') : Buffer.from(content, 'utf8')
      const sha = await git.writeBlob(bytes)
      return { status: 201, body: shortBlob(site, sha), headers: { location: shortBlob(site, sha).url } }
    },

    'git/get-blob': async m => {
      const sha = m.params.file_sha
      if ((await git.objectType(sha)) !== 'blob') fail(404, 'Not Found')
      return { status: 200, body: blob(site, sha, await git.readBlob(sha)) }
    },

    'git/create-tree': async (_m, body) => {
      await requireNonEmpty()
      const files = new Map<string, { mode: string; sha: string }>()
      if (body.base_tree !== undefined) {
        if (!isSha(body.base_tree) || (await git.objectType(body.base_tree)) !== 'tree') {
          unprocessable('base_tree is not a valid tree oid')
        }
        for (const [p, f] of await git.flatTree(body.base_tree as string)) files.set(p, f)
      }
      const removeUnder = (p: string) => {
        for (const key of [...files.keys()]) if (key === p || key.startsWith(`${p}/`)) files.delete(key)
      }
      for (const raw of body.tree as Record<string, unknown>[]) {
        const p = raw.path
        if (typeof p !== 'string' || !validTreePath(p))
          unprocessable(`tree.path contains a malformed path component`)
        const path = p as string
        const mode = raw.mode as string
        const type = raw.type as string
        if (raw.sha === undefined && raw.content === undefined) {
          unprocessable('Must supply either tree.sha or tree.content.')
        }
        if (raw.sha !== undefined && raw.sha !== null && raw.content !== undefined) {
          unprocessable(
            'Must supply either tree.sha or tree.content. Request will be rejected if both are present.'
          )
        }
        const expectedType = mode === '040000' ? 'tree' : mode === '160000' ? 'commit' : 'blob'
        if (type !== expectedType) unprocessable(`tree.type ${type} does not match mode ${mode}`)
        if (raw.sha === null) {
          const exists = [...files.keys()].some(k => k === path || k.startsWith(`${path}/`))
          if (!exists) unprocessable(`tree.path ${path} cannot be deleted: it does not exist in base_tree`)
          removeUnder(path)
          continue
        }
        let sha: string
        if (raw.content !== undefined) {
          if (type !== 'blob') unprocessable('tree.content is only allowed for blobs')
          sha = await git.writeBlob(Buffer.from(raw.content as string, 'utf8'))
        } else {
          sha = raw.sha as string
          if (!isSha(sha)) unprocessable(`tree.sha ${String(sha)} is not a valid ${type}`)
          if (type !== 'commit' && (await git.objectType(sha)) !== type) {
            unprocessable(`tree.sha ${sha} is not a valid ${type}`)
          }
        }
        removeUnder(path)
        // A file where a folder was on the way (or the reverse) replaces it.
        const segments = path.split('/')
        for (let i = 1; i < segments.length; i++) files.delete(segments.slice(0, i).join('/'))
        if (type === 'tree') {
          for (const [sub, f] of await git.flatTree(sha)) files.set(`${path}/${sub}`, f)
        } else {
          files.set(path, { mode, sha })
        }
      }
      const sha = await git.writeTree(files)
      return { status: 201, body: gitTree(site, sha, await git.listTree(sha), false) }
    },

    'git/get-tree': async (m, _body, query) => {
      const ref = m.params.tree_sha
      let tree: string | undefined
      const type = await git.objectType(ref)
      if (type === 'tree') tree = ref
      else {
        const commit = await resolveCommit(ref)
        if (commit) tree = (await git.readCommit(commit)).tree
      }
      if (!tree) fail(404, 'Not Found', `${DOCS_GIT}/trees#get-a-tree`)
      // GitHub: "any value" of recursive turns it on.
      const recursive = query.has('recursive')
      let entries = await git.listTree(tree!, recursive)
      const truncated = recursive && entries.length > treeEntryLimit
      if (truncated) entries = entries.slice(0, treeEntryLimit)
      return { status: 200, body: gitTree(site, tree!, entries, truncated) }
    },

    'git/create-commit': async (_m, body) => {
      await requireNonEmpty()
      const tree = body.tree as string
      if ((await git.objectType(tree)) !== 'tree') unprocessable('Tree SHA does not exist')
      const parents = (body.parents as string[] | undefined) ?? []
      for (const p of parents) {
        if ((await git.objectType(p)) !== 'commit')
          unprocessable('Parent SHA does not exist or is not a commit object')
      }
      if (faults.moveBaseOnCommit && parents.length > 0) {
        faults.moveBaseOnCommit = false
        for (const [name, sha] of await git.listRefs('refs/heads/')) {
          if (sha === parents[0]) await concurrentPush(name.slice('refs/heads/'.length))
        }
      }
      const signature = (s: unknown): Signature | undefined => {
        if (!s || typeof s !== 'object') return undefined
        const { name, email, date } = s as Record<string, string>
        return { name, email, date: date ?? now() }
      }
      const author = signature(body.author)
      const committer = signature(body.committer) ?? author
      const signed = !author && !committer && body.signature === undefined
      const bot = { ...BOT, date: now() }
      const sha = await git.writeCommit({
        tree,
        parents,
        message: body.message as string,
        author: author ?? bot,
        committer: committer ?? bot
      })
      if (signed) verified.add(sha)
      return { status: 201, body: gitCommit(site, await git.readCommit(sha), signed) }
    },

    'git/get-commit': async m => {
      const sha = m.params.commit_sha
      if ((await git.objectType(sha)) !== 'commit') fail(404, 'Not Found', `${DOCS_GIT}/commits#get-a-commit`)
      return { status: 200, body: gitCommit(site, await git.readCommit(sha), verified.has(sha)) }
    },

    'repos/compare-commits-with-basehead': async (m, body, query) =>
      handlers['repos/compare-commits'](m, body, query),
    'repos/compare-commits': async m => {
      // BASE...HEAD (three dots: from their merge base); refs or shas.
      const parts =
        m.params.base !== undefined
          ? ['', m.params.base, m.params.head]
          : /^(.+?)\.\.\.(.+)$/.exec(m.params.basehead ?? '')
      if (!parts) fail(404, 'Not Found', 'https://docs.github.com/rest/commits/commits#compare-two-commits')
      const [base, head] = [await resolveCommit(parts![1]), await resolveCommit(parts![2])]
      if (!base || !head)
        fail(404, 'Not Found', 'https://docs.github.com/rest/commits/commits#compare-two-commits')
      const mergeBase = await git.mergeBase(base!, head!)
      if (!mergeBase) fail(404, `No common ancestor between ${parts![1]} and ${parts![2]}.`)
      const ahead = await git.commitsBetween(base!, head!)
      const behind = await git.commitsBetween(head!, base!)
      return {
        status: 200,
        body: commitComparison(site, {
          base: await git.readCommit(base!),
          mergeBase: await git.readCommit(mergeBase!),
          commits: await Promise.all(ahead.map(sha => git.readCommit(sha))),
          behindBy: behind.length
        })
      }
    },

    'pulls/list': async (_m, _body, query) => {
      const state = query.get('state') ?? 'open'
      const head = query.get('head')
      const base = query.get('base')
      const perPage = Math.min(Number(query.get('per_page') ?? 30) || 30, 100)
      const page = Math.max(Number(query.get('page') ?? 1) || 1, 1)
      let list = pulls.filter(p => state === 'all' || p.state === state)
      // GitHub wants user:ref-name; a bare branch name filters nothing.
      if (head && head.includes(':')) {
        const [user, ref] = [head.slice(0, head.indexOf(':')), head.slice(head.indexOf(':') + 1)]
        list = list.filter(p => user === owner && p.head.ref === ref)
      }
      if (base) list = list.filter(p => p.base.ref === base)
      const descending = (query.get('direction') ?? 'desc') === 'desc'
      list = [...list].sort((a, b) => (descending ? b.number - a.number : a.number - b.number))
      list = list.slice((page - 1) * perPage, page * perPage)
      const body = []
      for (const p of list) body.push((await pullReply(p)).body)
      return { status: 200, body }
    },

    'pulls/get': async m => pullReply(findPull(m.params.pull_number)),

    'pulls/create': async (_m, body) => {
      const title = body.title as string | undefined
      const headRaw = body.head as string
      const baseRef = body.base as string
      const headRef = headRaw.includes(':') ? headRaw.slice(headRaw.indexOf(':') + 1) : headRaw
      if (headRaw.includes(':') && headRaw.slice(0, headRaw.indexOf(':')) !== owner) {
        invalid([{ resource: 'PullRequest', field: 'head', code: 'invalid' }])
      }
      if (faults.noCommitsOnCreate) {
        faults.noCommitsOnCreate--
        invalid([
          { resource: 'PullRequest', code: 'custom', message: `No commits between ${baseRef} and ${headRef}` }
        ])
      }
      if (faults.concurrentPrOnCreate) {
        faults.concurrentPrOnCreate = false
        if (await git.readRef(branchRef(headRef))) {
          await createPull({
            title: 'Snapshot from a concurrent run',
            head: headRef,
            base: baseRef,
            body: '',
            draft: false
          })
        }
      }
      if (!title) invalid([{ resource: 'PullRequest', field: 'title', code: 'missing_field' }])
      const pr = await createPull({
        title: title!,
        head: headRef,
        base: baseRef,
        body: (body.body as string | undefined) ?? null,
        draft: body.draft === true
      })
      if (faults.loseCreateResponse) {
        faults.loseCreateResponse = false
        return {
          status: 502,
          body: '<html><body><h1>Unicorn!</h1><p>No server is currently available to service your request.</p></body></html>',
          headers: { 'content-type': 'text/html' }
        }
      }
      return pullReply(pr, 201)
    },

    'pulls/update': async (m, body) => {
      const pr = findPull(m.params.pull_number)
      if (typeof body.title === 'string') pr.title = body.title
      if (typeof body.body === 'string') pr.body = body.body
      if (typeof body.base === 'string') {
        if (!(await git.readRef(branchRef(body.base))))
          invalid([{ resource: 'PullRequest', field: 'base', code: 'invalid' }])
        pr.base.ref = body.base
      }
      if (body.state === 'closed' && pr.state === 'open') {
        await refreshPull(pr)
        pr.state = 'closed'
        pr.closed_at = now()
      } else if (body.state === 'open' && pr.state === 'closed') {
        if (pr.merged) unprocessable('Cannot reopen a merged pull request')
        if (!(await git.readRef(branchRef(pr.head.ref)))) {
          unprocessable('state cannot be changed. The head branch no longer exists.')
        }
        pr.state = 'open'
        pr.closed_at = null
      }
      pr.updated_at = now()
      return pullReply(pr)
    },

    'issues/add-labels': async (m, body) => {
      const pr = findPull(m.params.issue_number)
      const raw = Array.isArray(body) ? body : (body.labels as unknown[])
      for (const l of raw) {
        const name = typeof l === 'string' ? l : (l as { name: string }).name
        if (!pr.labels.includes(name)) pr.labels.push(name)
      }
      pr.updated_at = now()
      return { status: 200, body: pr.labels.map(name => label(site, name)) }
    },

    'pulls/request-reviewers': async (m, body) => {
      const pr = findPull(m.params.pull_number)
      const reviewers = (body.reviewers as string[] | undefined) ?? []
      const teams = (body.team_reviewers as string[] | undefined) ?? []
      if (reviewers.length + teams.length === 0) {
        unprocessable('Invalid request.\n\nNo reviewers or team_reviewers were given.')
      }
      if (reviewers.includes(pr.user)) unprocessable('Review cannot be requested from pull request author.')
      const hidden = options.teams && teams.find(t => !options.teams!.includes(t))
      if (hidden) {
        // GitHub names the team by a global node id, not by its slug.
        unresolved(
          `Could not resolve to a node with the global id of '${Buffer.from(`04:Team${hidden}`).toString('base64')}'.`
        )
      }
      if (options.collaborators && reviewers.some(r => !options.collaborators!.includes(r))) {
        unprocessable(
          `Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the ${owner}/${repoName} repository.`
        )
      }
      for (const r of reviewers) if (!pr.requested_reviewers.includes(r)) pr.requested_reviewers.push(r)
      for (const t of teams) if (!pr.requested_teams.includes(t)) pr.requested_teams.push(t)
      pr.updated_at = now()
      return pullReply(pr, 201)
    }
  }

  async function createPull(p: {
    title: string
    head: string
    base: string
    body: string | null
    draft: boolean
  }): Promise<PullRequestRecord> {
    const baseSha = await git.readRef(branchRef(p.base))
    if (!baseSha) invalid([{ resource: 'PullRequest', field: 'base', code: 'invalid' }])
    const headSha = await git.readRef(branchRef(p.head))
    if (!headSha) invalid([{ resource: 'PullRequest', field: 'head', code: 'invalid' }])
    if (pulls.some(x => x.state === 'open' && x.head.ref === p.head && x.base.ref === p.base)) {
      invalid([
        {
          resource: 'PullRequest',
          code: 'custom',
          message: `A pull request already exists for ${owner}:${p.head}.`
        }
      ])
    }
    if (await git.isAncestor(headSha!, baseSha!)) {
      invalid([
        { resource: 'PullRequest', code: 'custom', message: `No commits between ${p.base} and ${p.head}` }
      ])
    }
    if (p.draft && options.draftPullRequests === false) {
      invalid([
        {
          resource: 'PullRequest',
          code: 'custom',
          message: 'Draft pull requests are not supported in this repository.'
        }
      ])
    }
    const created = now()
    const pr: PullRequestRecord = {
      number: nextNumber++,
      id: 900000 + nextNumber,
      state: 'open',
      title: p.title,
      body: p.body,
      draft: p.draft,
      head: { ref: p.head, sha: headSha! },
      base: { ref: p.base, sha: baseSha! },
      labels: [],
      requested_reviewers: [],
      requested_teams: [],
      user: BOT_LOGIN,
      merged: false,
      merged_at: null,
      merge_commit_sha: null,
      created_at: created,
      updated_at: created,
      closed_at: null
    }
    pulls.push(pr)
    return pr
  }

  function rateHeaders(): Record<string, string> {
    return {
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-used': String(5000 - remaining),
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      'x-ratelimit-resource': 'core'
    }
  }

  /** A fault due now, or undefined. */
  function injectedFault(): Reply | undefined {
    const limit = faults.rateLimitNext
    if (limit && limit.count > 0) {
      limit.count--
      const status = limit.status ?? 403
      if (limit.kind === 'primary') {
        return {
          status,
          body: basicError(
            'API rate limit exceeded for installation ID 4242424.',
            status,
            'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api'
          ),
          headers: {
            ...rateHeaders(),
            'x-ratelimit-remaining': '0',
            'x-ratelimit-used': '5000',
            'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + limit.retryAfter)
          }
        }
      }
      return {
        status,
        body: basicError(
          `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${requestId()}.`,
          status,
          'https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits'
        ),
        headers: { ...rateHeaders(), 'retry-after': String(limit.retryAfter) }
      }
    }
    const rate = faults.status5xxRate ?? 0
    if (rate > 0) {
      fiveXxBudget += rate
      if (fiveXxBudget >= 1) {
        fiveXxBudget -= 1
        fiveXxCount++
        return fiveXxCount % 2 === 1
          ? {
              status: 502,
              body: '<html><body><h1>Unicorn!</h1><p>No server is currently available to service your request.</p></body></html>',
              headers: { 'content-type': 'text/html' }
            }
          : { status: 503, body: { message: 'Service Unavailable' } }
      }
    }
    return undefined
  }

  async function handle(req: http.IncomingMessage, raw: Buffer): Promise<Reply & { operationId?: string }> {
    const auth = req.headers.authorization ?? ''
    const m = /^(?:token|bearer)\s+(\S+)$/i.exec(auth)
    if (!m) return { status: 401, body: basicError('Requires authentication', 401) }
    if (m[1] !== token) return { status: 401, body: basicError('Bad credentials', 401) }

    const fault = injectedFault()
    if (fault) return fault

    const url = new URL(req.url ?? '/', 'http://stand-in')
    const method = (req.method ?? 'GET').toUpperCase()
    const match = matchOperation(method, url.pathname)
    if (!match) return { status: 404, body: basicError('Not Found', 404) }
    let body: unknown
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'))
      } catch {
        return { status: 400, body: basicError('Problems parsing JSON', 400), operationId: match.operationId }
      }
    }
    const problems = checkBody(match, body)
    if (problems.length > 0) {
      return {
        status: 422,
        body: basicError(`Invalid request.\n\n${problems.join('\n')}`, 422),
        operationId: match.operationId
      }
    }
    const p = match.params
    if ((p.owner !== undefined && p.owner !== owner) || (p.repo !== undefined && p.repo !== repoName)) {
      return { status: 404, body: basicError('Not Found', 404), operationId: match.operationId }
    }
    const failing = faults.failOperations?.[match.operationId]
    if (failing !== undefined) {
      return {
        status: failing,
        body:
          failing >= 500
            ? { message: 'Server Error' }
            : basicError(`Simulated failure of ${match.operationId}`, failing),
        operationId: match.operationId
      }
    }
    const forbidden =
      (faults.forbidWrites === 'contents' && CONTENTS_WRITES.has(match.operationId)) ||
      (faults.forbidWrites === 'pull-requests' && PULL_WRITES.has(match.operationId))
    if (forbidden) {
      return {
        status: 403,
        body: basicError('Resource not accessible by integration', 403),
        operationId: match.operationId
      }
    }
    const handler = handlers[match.operationId]
    if (!handler) {
      return {
        status: 501,
        body: basicError(`The GitHub stand-in does not implement ${match.operationId}`, 501),
        operationId: match.operationId
      }
    }
    try {
      const reply = await handler(match, (body ?? {}) as Record<string, unknown>, url.searchParams)
      return { ...reply, operationId: match.operationId }
    } catch (error) {
      if (error instanceof Refusal) return { ...error.reply, operationId: match.operationId }
      throw error
    }
  }

  // Which file contents a write carried, so tests can hold "only changed files are sent".
  function contentPathsOf(record: RequestRecord, chunks: Buffer[]): string[] | undefined {
    if (record.method !== 'POST') return undefined
    try {
      if (record.path.endsWith('/git/blobs')) return ['']
      if (!record.path.endsWith('/git/trees')) return undefined
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        tree?: { path: string; content?: string }[]
      }
      return (body.tree ?? []).filter(e => e.content !== undefined).map(e => e.path)
    } catch {
      return undefined
    }
  }

  function blobBytesOf(chunks: Buffer[]): number | undefined {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        content?: string
        encoding?: string
      }
      if (typeof body.content !== 'string') return undefined
      return Buffer.from(body.content, body.encoding === 'base64' ? 'base64' : 'utf8').length
    } catch {
      return undefined
    }
  }

  let requestCounter = 0
  const requestId = () => `F00D:${(++requestCounter).toString(16).toUpperCase()}:5EED`

  // One request at a time: the repository and the PR list change as GitHub's would, in order.
  let queue: Promise<void> = Promise.resolve()
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      queue = queue.then(async () => {
        const url = new URL(req.url ?? '/', 'http://stand-in')
        const record: RequestRecord = {
          method: (req.method ?? 'GET').toUpperCase(),
          path: url.pathname,
          query: url.search,
          status: 0
        }
        log.push(record)
        let reply: Reply & { operationId?: string }
        try {
          reply = await handle(req, Buffer.concat(chunks))
        } catch (error) {
          console.error('GitHub stand-in error:', error)
          reply = { status: 500, body: basicError(`stand-in error: ${String(error)}`, 500) }
        }
        record.status = reply.status
        record.contentPaths = contentPathsOf(record, chunks)
        if (record.method === 'POST' && record.path.endsWith('/git/blobs'))
          record.blobBytes = blobBytesOf(chunks)
        record.operationId = reply.operationId
        const headers: Record<string, string> = {
          'content-type': 'application/json; charset=utf-8',
          'x-github-request-id': requestId(),
          'x-github-api-version-selected': '2022-11-28',
          ...rateHeaders(),
          ...reply.headers
        }
        const payload =
          reply.body === undefined
            ? ''
            : typeof reply.body === 'string'
              ? reply.body
              : JSON.stringify(reply.body)
        res.writeHead(reply.status, headers)
        res.end(reply.status === 204 ? undefined : payload)
        for (const listener of listeners) listener({ ...record })
      })
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  site.api = url

  const seeder: Omit<Signature, 'date'> = { name: 'Stand-in Seeder', email: 'seeder@example.com' }

  return {
    url,
    token,
    owner,
    repo: repoName,
    defaultBranch,
    bareRepo: git.gitDir,
    commitFiles: (branch, files, message = 'Update files') =>
      serialized(() => commitOnBranch(branch, files, message, { ...seeder, date: now() })),
    checkout: async (branch, dir) => {
      await git.run(['clone', '-q', '--branch', branch, git.gitDir, dir], { noGitDir: true })
    },
    readFile: async (ref, path) => {
      const commit = await resolveCommit(ref)
      if (!commit) return undefined
      try {
        return (await git.run(['cat-file', 'blob', `${commit}:${path}`])).toString('utf8')
      } catch {
        return undefined
      }
    },
    listFiles: async (ref, prefix = '') => {
      const commit = await resolveCommit(ref)
      if (!commit) return []
      const files = await git.flatTree((await git.readCommit(commit)).tree)
      return [...files.keys()].filter(p => p.startsWith(prefix)).sort()
    },
    pulls: () =>
      pulls.map(p => ({
        ...p,
        head: { ...p.head },
        base: { ...p.base },
        labels: [...p.labels],
        requested_reviewers: [...p.requested_reviewers],
        requested_teams: [...p.requested_teams]
      })),
    mergePull: number =>
      serialized(async () => {
        const pr = pulls.find(p => p.number === number)
        if (!pr || pr.state !== 'open') throw new Error(`Pull request #${number} is not open`)
        await refreshPull(pr)
        const baseRef = branchRef(pr.base.ref)
        let merged: string
        if (await git.isAncestor(pr.base.sha, pr.head.sha)) {
          merged = pr.head.sha
        } else {
          const tree = await git.mergeTrees(pr.base.sha, pr.head.sha)
          if (!tree) throw new Error(`Pull request #${number} has conflicts with ${pr.base.ref}`)
          const sig = { ...seeder, date: now() }
          merged = await git.writeCommit({
            tree,
            parents: [pr.base.sha, pr.head.sha],
            message: `Merge pull request #${number} from ${owner}/${pr.head.ref}\n\n${pr.title}\n`,
            author: sig,
            committer: sig
          })
        }
        await git.updateRef(baseRef, merged, pr.base.sha)
        pr.state = 'closed'
        pr.merged = true
        pr.merged_at = pr.closed_at = pr.updated_at = now()
        pr.merge_commit_sha = merged
      }),
    requests: () => log.map(r => ({ ...r })),
    setFaults: f => {
      faults = { ...f, rateLimitNext: f.rateLimitNext && { ...f.rateLimitNext } }
      fiveXxBudget = 0
    },
    onRequest: listener => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    isVerified: sha => verified.has(sha),
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => resolve()))
      await queue
      await git.dispose()
    }
  }

  /** Test-side changes wait their turn behind requests in flight. */
  function serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = queue.then(fn)
    queue = run.then(
      () => undefined,
      () => undefined
    )
    return run
  }
}

const DOCS_GIT = 'https://docs.github.com/rest/git'
