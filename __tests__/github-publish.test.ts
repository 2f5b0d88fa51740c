// The publisher against the GitHub stand-in (a real bare git repository behind GitHub's REST
// shapes): commits through the Git Data API, PR lifecycle, and every fault GitHub produces.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { VirtualClock } from '../src/common/clock.js'
import { memoryLog } from '../src/common/log.js'
import { GitHubPublishError } from '../src/github/errors.js'
import { createOctokit, type Octokit } from '../src/github/octokit.js'
import {
  baseSnapshotView,
  publishSnapshot,
  type PublishRequest,
  type SnapshotFile
} from '../src/github/publish.js'
import { startGitHubStandIn, type GitHubStandIn, type StandInOptions } from '../test/github/index.js'
import { startSimOrg, type SimOrg } from '../test/sim/index.js'
import { runInProcess, type InProcessRun } from '../test/support/in-process.js'

const START = Date.UTC(2026, 0, 1)

interface Ctx {
  gh: GitHubStandIn
  log: ReturnType<typeof memoryLog>
  clock: VirtualClock
  octokit: Octokit
}

let scratch: string
let dirs = 0
const open: GitHubStandIn[] = []

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'gh-publish-'))
})
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})
afterEach(async () => {
  while (open.length > 0) await open.pop()!.close()
})

async function setup(
  options: StandInOptions = {},
  seed: Record<string, string> = { 'README.md': '# repo\n' }
) {
  const gh = await startGitHubStandIn({ owner: 'acme', repo: 'contact-center', ...options })
  open.push(gh)
  await gh.commitFiles(options.defaultBranch ?? 'main', seed, 'Initial commit')
  const log = memoryLog()
  const clock = new VirtualClock(START)
  const octokit = createOctokit(gh.token, {
    baseUrl: gh.url,
    log,
    clock,
    retryBackoffMs: 0,
    writeSpacingMs: 1000
  })
  return { gh, log, clock, octokit } satisfies Ctx
}

const KIND: Record<string, string> = {
  flows: 'flow',
  queues: 'queue',
  skills: 'skill',
  'data-actions': 'data-action'
}

/** A manifest.json listing every given file (as the snapshot writer would). */
function manifestFor(paths: string[]): string {
  const resources = paths
    .filter(p => p !== 'manifest.json')
    .sort()
    .map(p => ({
      kind: KIND[p.split('/')[0]],
      id: p,
      name: path.posix.basename(p, '.yaml'),
      path: p,
      sha256: '0'.repeat(64),
      dependsOn: []
    }))
  return JSON.stringify({ schemaVersion: 1, resources, unresolved: [] }, null, 2) + '\n'
}

/** Writes a snapshot (its files plus a manifest listing them) into a fresh folder. */
async function snapshot(files: Record<string, string>): Promise<SnapshotFile[]> {
  const dir = path.join(scratch, `snap-${++dirs}`)
  const all = { ...files, 'manifest.json': manifestFor(Object.keys(files)) }
  const out: SnapshotFile[] = []
  for (const [p, content] of Object.entries(all)) {
    const abs = path.join(dir, ...p.split('/'))
    await mkdir(path.dirname(abs), { recursive: true })
    await writeFile(abs, content)
    out.push({ path: p, absPath: abs })
  }
  return out
}

function request(files: SnapshotFile[], overrides: Partial<PublishRequest> = {}): PublishRequest {
  return {
    owner: 'acme',
    repo: 'contact-center',
    snapshotPath: 'genesys',
    files,
    branch: 'genesys-snapshot',
    base: '',
    title: 'Genesys Cloud snapshot',
    body: 'Report v1',
    commitMessage: 'Update Genesys Cloud snapshot',
    labels: [],
    reviewers: [],
    draft: false,
    ...overrides
  }
}

const V1 = {
  'flows/inboundcall/Main_IVR.yaml': 'inboundCall:\n  name: Main IVR\n',
  'queues/Support.yaml': 'name: Support\n',
  'queues/Sales.yaml': 'name: Sales\n',
  'skills/English.yaml': 'name: English\n'
}

const writesSince = (gh: GitHubStandIn, mark: number) =>
  gh
    .requests()
    .slice(mark)
    .filter(r => r.method !== 'GET')
const count = (gh: GitHubStandIn, method: string, suffix: string, mark = 0) =>
  gh
    .requests()
    .slice(mark)
    .filter(r => r.method === method && r.path.endsWith(suffix)).length

/** Paths whose contents the publisher sent (inline in trees, or as blobs: ''), since `mark`. */
const sent = (gh: GitHubStandIn, mark = 0): string[] =>
  gh
    .requests()
    .slice(mark)
    .flatMap(r => r.contentPaths ?? [])

/** The snapshot of `files` committed straight to main, as a person could. */
async function commitSnapshotByHand(gh: GitHubStandIn, files: Record<string, string>): Promise<void> {
  const all = { ...files, 'manifest.json': manifestFor(Object.keys(files)) }
  const onMain = Object.fromEntries(Object.entries(all).map(([p, c]) => [`genesys/${p}`, c]))
  await gh.commitFiles('main', onMain, 'Snapshot by hand')
}

/** Plumbing on the stand-in's bare repository, for histories the REST API cannot make. */
async function git(gh: GitHubStandIn, ...args: string[]): Promise<string> {
  const { execFileSync } = await import('node:child_process')
  return execFileSync('git', ['--git-dir', gh.bareRepo, ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'x',
      GIT_AUTHOR_EMAIL: 'x@x',
      GIT_COMMITTER_NAME: 'x',
      GIT_COMMITTER_EMAIL: 'x@x'
    }
  }).trim()
}

/** What GitHub's "Update branch" button does: merges `base` into `branch` with a merge commit. */
async function mergeInto(gh: GitHubStandIn, branch: string, from: string): Promise<string> {
  const tree = (await git(gh, 'merge-tree', '--write-tree', branch, from)).split('\n')[0]
  const [ours, theirs] = [await git(gh, 'rev-parse', branch), await git(gh, 'rev-parse', from)]
  const merge = await git(
    gh,
    'commit-tree',
    tree,
    '-p',
    ours,
    '-p',
    theirs,
    '-m',
    `Merge ${from} into ${branch}`
  )
  await git(gh, 'update-ref', `refs/heads/${branch}`, merge)
  return merge
}

async function branchHead(gh: GitHubStandIn, branch: string): Promise<string | undefined> {
  const { execFileSync } = await import('node:child_process')
  try {
    return execFileSync('git', [
      '--git-dir',
      gh.bareRepo,
      'rev-parse',
      '--verify',
      '-q',
      `refs/heads/${branch}`
    ])
      .toString()
      .trim()
  } catch {
    return undefined
  }
}

async function parentsOf(gh: GitHubStandIn, sha: string): Promise<string[]> {
  const { execFileSync } = await import('node:child_process')
  return execFileSync('git', ['--git-dir', gh.bareRepo, 'rev-list', '--parents', '-n', '1', sha])
    .toString()
    .trim()
    .split(' ')
    .slice(1)
}

describe('publishSnapshot', () => {
  test('first publish: one signed commit on the base, only the needed blobs, a PR with labels, reviewers and draft', async () => {
    const { gh, octokit, log } = await setup(
      {},
      { 'README.md': '# repo\n', 'genesys/README.md': 'Ours, not the action’s.\n' }
    )
    // Two files with the same bytes need one blob.
    const files = await snapshot({ ...V1, 'skills/Spanish.yaml': 'name: English\n' })
    const result = await publishSnapshot(
      octokit,
      request(files, {
        labels: ['genesys', 'snapshot'],
        reviewers: ['alice', 'acme/cc-admins'],
        draft: true
      }),
      log
    )

    expect(result.operation).toBe('created')
    expect(result.added).toEqual([
      'flows/inboundcall/Main_IVR.yaml',
      'manifest.json',
      'queues/Sales.yaml',
      'queues/Support.yaml',
      'skills/English.yaml',
      'skills/Spanish.yaml'
    ])
    expect(result.modified).toEqual([])
    expect(result.removed).toEqual([])
    // Each distinct content travels once, inline in one tree request: the duplicate goes by blob id.
    expect(sent(gh)).toHaveLength(files.length - 1)
    expect(new Set(sent(gh)).size).toBe(files.length - 1)
    expect(count(gh, 'POST', '/git/blobs')).toBe(0)
    expect(count(gh, 'POST', '/git/trees')).toBe(1)
    expect(count(gh, 'POST', '/git/commits')).toBe(1)

    expect(await gh.listFiles('genesys-snapshot', 'genesys/')).toEqual(
      [...files.map(f => `genesys/${f.path}`), 'genesys/README.md'].sort()
    )
    for (const f of files) {
      expect(await gh.readFile('genesys-snapshot', `genesys/${f.path}`)).toBe(
        await import('node:fs/promises').then(fs => fs.readFile(f.absPath, 'utf8'))
      )
    }
    expect(await gh.readFile('genesys-snapshot', 'genesys/README.md')).toBe('Ours, not the action’s.\n')
    const head = await branchHead(gh, 'genesys-snapshot')
    expect(result.commitSha).toBe(head)
    expect(await parentsOf(gh, head!)).toEqual([await branchHead(gh, 'main')])
    expect(gh.isVerified(head!)).toBe(true)

    const pulls = gh.pulls()
    expect(pulls).toHaveLength(1)
    expect(pulls[0]).toMatchObject({
      number: result.number,
      state: 'open',
      title: 'Genesys Cloud snapshot',
      body: 'Report v1',
      draft: true,
      head: { ref: 'genesys-snapshot', sha: head },
      base: { ref: 'main' },
      labels: ['genesys', 'snapshot'],
      requested_reviewers: ['alice'],
      requested_teams: ['cc-admins']
    })
    expect(result.url).toBe(`https://github.com/acme/contact-center/pull/${result.number}`)
    expect(log.lines.filter(l => l.level === 'warning')).toEqual([])
  })

  test('labels added to the input later reach the open PR once; reviewers are not asked again', async () => {
    const { gh, octokit, log } = await setup()
    await publishSnapshot(
      octokit,
      request(await snapshot(V1), { labels: ['genesys'], reviewers: ['alice'] }),
      log
    )
    const more = { labels: ['Genesys', 'drift'], reviewers: ['alice'] }
    // Unchanged snapshot: only the missing label is written.
    let mark = gh.requests().length
    await publishSnapshot(octokit, request(await snapshot(V1), more), log)
    expect(writesSince(gh, mark).map(r => `${r.method} ${r.path}`)).toEqual([
      'POST /repos/acme/contact-center/issues/1/labels'
    ])
    expect(gh.pulls()[0].labels).toEqual(['genesys', 'drift'])
    // A changed snapshot with every label there: no label or reviewer request.
    mark = gh.requests().length
    await publishSnapshot(
      octokit,
      request(await snapshot({ ...V1, 'queues/Z.yaml': 'name: Z\n' }), more),
      log
    )
    expect(writesSince(gh, mark).filter(r => /labels|requested_reviewers/.test(r.path))).toEqual([])
  })

  test('unchanged rerun makes no write at all', async () => {
    const { gh, octokit, log } = await setup()
    const files = await snapshot(V1)
    const first = await publishSnapshot(octokit, request(files), log)
    const head = await branchHead(gh, 'genesys-snapshot')
    const mark = gh.requests().length

    // The same snapshot renders the same report (it holds no timestamps): nothing to write.
    const again = await publishSnapshot(octokit, request(await snapshot(V1)), log)
    expect(again).toMatchObject({ operation: 'none', number: first.number, url: first.url, commitSha: head })
    expect(again.added).toEqual(first.added)
    expect(writesSince(gh, mark)).toEqual([])
    expect(gh.pulls()[0].body).toBe('Report v1')
  })

  test('a changed snapshot force-pushes one new commit on the base and refreshes the PR', async () => {
    const { gh, octokit, log } = await setup()
    const first = await publishSnapshot(octokit, request(await snapshot(V1)), log)
    const firstHead = await branchHead(gh, 'genesys-snapshot')
    const mark = gh.requests().length

    const v2 = {
      ...V1,
      'queues/Support.yaml': 'name: Support\nacw: 30\n',
      'queues/Billing.yaml': 'name: Billing\n'
    }
    const result = await publishSnapshot(
      octokit,
      request(await snapshot(v2), { title: 'Snapshot v2', body: 'Report v2' }),
      log
    )

    expect(result.operation).toBe('updated')
    expect(result.number).toBe(first.number)
    // Relative to main, the branch adds everything; Billing, Support and the manifest are new blobs.
    expect(result.added).toContain('queues/Billing.yaml')
    expect(sent(gh, mark)).toHaveLength(3)
    expect(count(gh, 'PATCH', '/git/refs/heads%2Fgenesys-snapshot', mark)).toBe(1)
    const head = await branchHead(gh, 'genesys-snapshot')
    expect(head).not.toBe(firstHead)
    // Force-pushed: the new commit sits on main, not on the previous snapshot commit.
    expect(await parentsOf(gh, head!)).toEqual([await branchHead(gh, 'main')])
    expect(await gh.readFile('genesys-snapshot', 'genesys/queues/Support.yaml')).toBe(
      'name: Support\nacw: 30\n'
    )
    const [pr] = gh.pulls()
    expect(pr).toMatchObject({ state: 'open', title: 'Snapshot v2', body: 'Report v2', head: { sha: head } })
    expect(gh.pulls()).toHaveLength(1)
  })

  test('files the base manifest lists and the new snapshot lacks are deleted, and strays in the managed folders; files beside them stay', async () => {
    const seed = {
      'README.md': '# repo\n',
      'genesys/README.md': 'notes\n',
      'genesys/queues/hand-made.yaml': 'not in the manifest\n',
      ...Object.fromEntries(Object.entries(V1).map(([p, c]) => [`genesys/${p}`, c])),
      'genesys/manifest.json': manifestFor(Object.keys(V1))
    }
    const { gh, octokit, log } = await setup({}, seed)
    const v2: Record<string, string> = { ...V1 }
    delete v2['queues/Sales.yaml']
    const result = await publishSnapshot(octokit, request(await snapshot(v2)), log)

    expect(result.operation).toBe('created')
    // hand-made.yaml sits where validate mode wants only listed files: the workspace drops it too.
    expect(result.removed).toEqual(['queues/Sales.yaml', 'queues/hand-made.yaml'])
    expect(result.modified).toEqual(['manifest.json'])
    expect(result.added).toEqual([])
    const branch = await gh.listFiles('genesys-snapshot', 'genesys/')
    expect(branch).not.toContain('genesys/queues/Sales.yaml')
    expect(branch).not.toContain('genesys/queues/hand-made.yaml')
    expect(branch).toEqual(expect.arrayContaining(['genesys/README.md', 'genesys/queues/Support.yaml']))
    expect(await gh.readFile('main', 'genesys/queues/Sales.yaml')).toBe('name: Sales\n')
    // Only the manifest changed content; nothing else was uploaded.
    expect(sent(gh)).toEqual(['genesys/manifest.json'])
  })

  test('with no readable manifest on the base, stale files in the managed folders go, others stay', async () => {
    const seed = {
      'README.md': '# repo\n',
      'genesys/notes.md': 'keep me\n',
      'genesys/flows/inboundcall/Old.yaml': 'old flow\n',
      'genesys/data-actions/Old.yaml': 'old action\n',
      'genesys/manifest.json': '{ not json'
    }
    const { gh, octokit, log } = await setup({}, seed)
    const result = await publishSnapshot(octokit, request(await snapshot(V1)), log)
    expect(result.removed).toEqual(['data-actions/Old.yaml', 'flows/inboundcall/Old.yaml'])
    expect(result.modified).toEqual(['manifest.json'])
    const branch = await gh.listFiles('genesys-snapshot', 'genesys/')
    expect(branch).toContain('genesys/notes.md')
    expect(branch).not.toContain('genesys/flows/inboundcall/Old.yaml')
  })

  test('a snapshot the base already has: no PR when none is open; an open one is closed and its branch deleted', async () => {
    const { gh, octokit, log } = await setup()
    const first = await publishSnapshot(octokit, request(await snapshot(V1)), log)

    // The same snapshot lands on main another way (a hand commit); the PR has nothing left to do.
    await commitSnapshotByHand(gh, V1)
    const closed = await publishSnapshot(octokit, request(await snapshot(V1)), log)
    expect(closed).toMatchObject({
      operation: 'closed',
      number: first.number,
      added: [],
      modified: [],
      removed: []
    })
    expect(gh.pulls()[0].state).toBe('closed')
    expect(gh.pulls()[0].merged).toBe(false)
    expect(await branchHead(gh, 'genesys-snapshot')).toBeUndefined()

    const mark = gh.requests().length
    const none = await publishSnapshot(octokit, request(await snapshot(V1)), log)
    expect(none.operation).toBe('none')
    expect(none.number).toBeUndefined()
    expect(writesSince(gh, mark)).toEqual([])
  })

  test('after the PR is merged, a rerun finds nothing to do', async () => {
    const { gh, octokit, log } = await setup()
    const first = await publishSnapshot(octokit, request(await snapshot(V1)), log)
    await gh.mergePull(first.number!)
    const mark = gh.requests().length
    const result = await publishSnapshot(octokit, request(await snapshot(V1)), log)
    expect(result.operation).toBe('none')
    expect(writesSince(gh, mark)).toEqual([])
    expect(gh.pulls().filter(p => p.state === 'open')).toEqual([])
  })

  test('an unrelated commit on the base leaves a current branch alone; a change to the snapshot folder rebuilds it', async () => {
    const { gh, octokit, log } = await setup()
    const first = await publishSnapshot(octokit, request(await snapshot(V1)), log)
    const firstHead = await branchHead(gh, 'genesys-snapshot')

    await gh.commitFiles('main', { 'docs/other.md': 'unrelated\n' })
    let mark = gh.requests().length
    const quiet = await publishSnapshot(octokit, request(await snapshot(V1)), log)
    expect(quiet.operation).toBe('none')
    expect(writesSince(gh, mark)).toEqual([])

    // Someone edits the committed snapshot on main: the old branch would now conflict on merge.
    await gh.commitFiles('main', { 'genesys/queues/Support.yaml': 'name: Support (hand edit)\n' })
    mark = gh.requests().length
    const rebuilt = await publishSnapshot(octokit, request(await snapshot(V1)), log)
    expect(rebuilt).toMatchObject({ operation: 'updated', number: first.number })
    expect(rebuilt.modified).toEqual(['queues/Support.yaml'])
    const head = await branchHead(gh, 'genesys-snapshot')
    expect(head).not.toBe(firstHead)
    expect(await parentsOf(gh, head!)).toEqual([await branchHead(gh, 'main')])
    // Every blob was already in the repository.
    expect(sent(gh, mark)).toEqual([])
  })

  test('a current branch whose PR was closed by hand gets a new PR without a new commit', async () => {
    const { gh, octokit, log } = await setup()
    const first = await publishSnapshot(octokit, request(await snapshot(V1)), log)
    await octokit.rest.pulls.update({
      owner: 'acme',
      repo: 'contact-center',
      pull_number: first.number!,
      state: 'closed'
    })
    const mark = gh.requests().length
    const result = await publishSnapshot(octokit, request(await snapshot(V1)), log)
    expect(result.operation).toBe('created')
    expect(result.number).not.toBe(first.number)
    expect(count(gh, 'POST', '/git/commits', mark)).toBe(0)
    expect(count(gh, 'POST', '/pulls', mark)).toBe(1)
  })

  test('a current branch whose PR still describes an older snapshot gets its PR brought up to date, without a commit', async () => {
    // What a run killed between moving the branch and updating the PR leaves behind.
    const { gh, octokit, log } = await setup()
    const first = await publishSnapshot(octokit, request(await snapshot(V1), { body: 'Report v2' }), log)
    await octokit.rest.pulls.update({
      owner: 'acme',
      repo: 'contact-center',
      pull_number: first.number!,
      title: 'Old title',
      body: 'Report v1'
    })
    const mark = gh.requests().length
    const result = await publishSnapshot(octokit, request(await snapshot(V1), { body: 'Report v2' }), log)
    expect(result.operation).toBe('updated')
    expect(result.number).toBe(first.number)
    expect(count(gh, 'POST', '/git/commits', mark)).toBe(0)
    expect(gh.pulls()[0]).toMatchObject({ title: 'Genesys Cloud snapshot', body: 'Report v2' })
    // Once it is up to date, a rerun writes nothing.
    const again = gh.requests().length
    const steady = await publishSnapshot(octokit, request(await snapshot(V1), { body: 'Report v2' }), log)
    expect(steady.operation).toBe('none')
    expect(
      gh
        .requests()
        .slice(again)
        .filter(r => r.method !== 'GET')
    ).toEqual([])
  })

  test('an explicit base branch and a nested snapshot path', async () => {
    const { gh, octokit, log } = await setup()
    await gh.commitFiles('develop', { 'config/genesys/README.md': 'dev\n' })
    const result = await publishSnapshot(
      octokit,
      request(await snapshot(V1), { base: 'develop', snapshotPath: 'config/genesys' }),
      log
    )
    expect(result.operation).toBe('created')
    expect(gh.pulls()[0].base.ref).toBe('develop')
    expect(await parentsOf(gh, result.commitSha!)).toEqual([await branchHead(gh, 'develop')])
    expect(await gh.listFiles('genesys-snapshot', 'config/genesys/')).toContain(
      'config/genesys/queues/Sales.yaml'
    )
  })

  test('a branch input naming someone\u2019s branch: nothing reset, nothing written', async () => {
    const { gh, octokit, log } = await setup()
    // Work on a branch of its own, one commit beyond main.
    const work = await gh.commitFiles('develop', { 'src/app.ts': 'export {}\n' }, 'Feature work')
    const mark = gh.requests().length
    const error = await publishSnapshot(
      octokit,
      request(await snapshot(V1), { branch: 'develop' }),
      log
    ).catch(e => e)
    expect(error).toBeInstanceOf(GitHubPublishError)
    expect(error.message).toMatch(
      /Branch 'develop' holds changes to src\/ outside genesys\/ that the base branch does not have \(head commit [0-9a-f]{7}\): work this action did not make/
    )
    expect(await branchHead(gh, 'develop')).toBe(work)
    expect(writesSince(gh, mark)).toEqual([])
    expect(gh.pulls()).toEqual([])
  })

  test('a snapshot branch brought up to date with its base (a merge commit) is still updated; a merge of other work is not', async () => {
    const { gh, octokit, log } = await setup()
    const first = await publishSnapshot(octokit, request(await snapshot(V1)), log)
    // The base moves on and a reviewer presses "Update branch", twice, with a review edit between.
    await gh.commitFiles('main', { 'docs/guide.md': 'one\n' }, 'Docs')
    await mergeInto(gh, 'genesys-snapshot', 'main')
    await gh.commitFiles(
      'genesys-snapshot',
      { 'genesys/queues/Sales.yaml': 'name: Sales\n# note\n' },
      'Review'
    )
    await gh.commitFiles('main', { 'docs/guide.md': 'two\n' }, 'More docs')
    await mergeInto(gh, 'genesys-snapshot', 'main')
    const updated = await publishSnapshot(
      octokit,
      request(await snapshot({ ...V1, 'queues/Sales.yaml': 'name: Sales\nacw: 5\n' })),
      log
    )
    expect(updated.operation).toBe('updated')
    expect(updated.number).toBe(first.number)
    expect(await parentsOf(gh, updated.commitSha!)).toEqual([await branchHead(gh, 'main')])

    // Someone's feature branch merged into the snapshot branch brings work the base lacks.
    await gh.commitFiles('feature', { 'src/app.ts': 'export {}\n' }, 'Feature work')
    const theirs = await mergeInto(gh, 'genesys-snapshot', 'feature')
    const mark = gh.requests().length
    const error = await publishSnapshot(
      octokit,
      request(await snapshot({ ...V1, 'queues/Sales.yaml': 'name: Sales\nacw: 6\n' })),
      log
    ).catch(e => e)
    expect(error).toBeInstanceOf(GitHubPublishError)
    expect(error.message).toMatch(/Branch 'genesys-snapshot' holds changes to src\/ outside genesys\//)
    expect(await branchHead(gh, 'genesys-snapshot')).toBe(theirs)
    expect(writesSince(gh, mark)).toEqual([])
  })

  test('a branch whose history never meets the base is someone\u2019s too', async () => {
    const { gh, octokit, log } = await setup()
    const empty = await git(gh, 'mktree', '--missing')
    const orphan = await git(gh, 'commit-tree', empty, '-m', 'Another tool')
    await git(gh, 'update-ref', 'refs/heads/genesys-snapshot', orphan)
    const error = await publishSnapshot(octokit, request(await snapshot(V1)), log).catch(e => e)
    expect(error.message).toMatch(/Branch 'genesys-snapshot' holds a history unrelated to the base branch/)
    expect(await branchHead(gh, 'genesys-snapshot')).toBe(orphan)
  })

  test('the action\u2019s branch with a reviewer\u2019s edit, or a long run of snapshot-only commits, is still updated', async () => {
    const { gh, octokit, log } = await setup()
    await publishSnapshot(octokit, request(await snapshot(V1)), log)
    await gh.commitFiles(
      'genesys-snapshot',
      { 'genesys/queues/Sales.yaml': 'name: Sales\n# note\n' },
      'Review'
    )
    const result = await publishSnapshot(
      octokit,
      request(await snapshot({ ...V1, 'queues/Sales.yaml': 'name: Sales\nacw: 5\n' })),
      log
    )
    expect(result.operation).toBe('updated')
    expect(await parentsOf(gh, result.commitSha!)).toEqual([await branchHead(gh, 'main')])

    for (let i = 0; i < 25; i++)
      await gh.commitFiles('genesys-snapshot', { 'genesys/notes.md': `${i}\n` }, `Edit ${i}`)
    const long = await publishSnapshot(
      octokit,
      request(await snapshot({ ...V1, 'queues/X.yaml': 'name: X\n' })),
      log
    )
    expect(long.operation).toBe('updated')
    expect(await parentsOf(gh, long.commitSha!)).toEqual([await branchHead(gh, 'main')])
  })

  test('with a nested snapshot path, work beside the snapshot folder counts as someone\u2019s', async () => {
    const { gh, octokit, log } = await setup()
    const nested = { snapshotPath: 'config/genesys' }
    await publishSnapshot(octokit, request(await snapshot(V1), nested), log)
    // Inside the folder: the action's to rewrite.
    await gh.commitFiles('genesys-snapshot', { 'config/genesys/extra.md': 'x\n' })
    const ok = await publishSnapshot(
      octokit,
      request(await snapshot({ ...V1, 'queues/X.yaml': 'name: X\n' }), nested),
      log
    )
    expect(ok.operation).toBe('updated')
    // Beside it, in the same parent folder: someone's.
    const theirs = await gh.commitFiles('genesys-snapshot', { 'config/other.yaml': 'x: 1\n' })
    const error = await publishSnapshot(
      octokit,
      request(await snapshot({ ...V1, 'queues/Y.yaml': 'name: Y\n' }), nested),
      log
    ).catch(e => e)
    expect(error.message).toMatch(/holds changes to config\/other.yaml outside config\/genesys\//)
    expect(await branchHead(gh, 'genesys-snapshot')).toBe(theirs)
  })

  test('a pull request from someone\u2019s branch is not closed when the base already has the snapshot', async () => {
    const { gh, octokit, log } = await setup()
    await commitSnapshotByHand(gh, V1)
    // Someone's feature branch, with a pull request of its own into main.
    await gh.commitFiles('feature', { 'src/app.ts': 'export {}\n' }, 'Feature work')
    await octokit.rest.pulls.create({
      owner: 'acme',
      repo: 'contact-center',
      head: 'feature',
      base: 'main',
      title: 'Feature'
    })
    const mark = gh.requests().length
    const error = await publishSnapshot(
      octokit,
      request(await snapshot(V1), { branch: 'feature' }),
      log
    ).catch(e => e)
    expect(error.message).toMatch(/Branch 'feature' holds changes to src\/ outside genesys\//)
    expect(gh.pulls()[0].state).toBe('open')
    expect(await branchHead(gh, 'feature')).toBeDefined()
    expect(writesSince(gh, mark)).toEqual([])
  })

  test('a truncated recursive tree listing is completed folder by folder', async () => {
    const { gh, octokit, log } = await setup({ treeEntryLimit: 3 })
    const first = await publishSnapshot(octokit, request(await snapshot(V1)), log)
    expect(first.operation).toBe('created')
    const mark = gh.requests().length
    const again = await publishSnapshot(octokit, request(await snapshot(V1)), log)
    expect(again.operation).toBe('none')
    expect(writesSince(gh, mark)).toEqual([])
    expect(
      gh
        .requests()
        .slice(mark)
        .some(r => r.path.includes('/git/trees/') && r.query === '')
    ).toBe(true)
  })

  test('refuses a branch that is the base, and file paths that escape the folder', async () => {
    const { octokit, log } = await setup()
    await expect(
      publishSnapshot(octokit, request(await snapshot(V1), { branch: 'main' }), log)
    ).rejects.toThrow(/is the base branch/)
    const files = await snapshot(V1)
    await expect(
      publishSnapshot(
        octokit,
        request([...files, { path: '../escape.yaml', absPath: files[0].absPath }]),
        log
      )
    ).rejects.toThrow(/not a relative path/)
  })
})

describe('publishSnapshot under faults', () => {
  test('5xx answers are retried', async () => {
    const { gh, octokit, log } = await setup()
    gh.setFaults({ status5xxRate: 0.5 })
    const result = await publishSnapshot(octokit, request(await snapshot(V1), { labels: ['x'] }), log)
    expect(result.operation).toBe('created')
    const statuses = gh.requests().map(r => r.status)
    expect(statuses.filter(s => s === 502).length).toBeGreaterThan(0)
    expect(statuses.filter(s => s === 503).length).toBeGreaterThan(0)
    expect(gh.pulls()).toHaveLength(1)
    expect(gh.pulls()[0].labels).toEqual(['x'])
    expect(await gh.listFiles('genesys-snapshot', 'genesys/')).toHaveLength(Object.keys(V1).length + 1)
  })

  test.each([
    ['primary', 403],
    ['secondary', 403],
    ['secondary', 429],
    ['primary', 429]
  ] as const)('a %s rate limit (HTTP %d) waits on the clock and retries', async (kind, status) => {
    const { gh, octokit, log, clock } = await setup()
    gh.setFaults({ rateLimitNext: { count: 2, kind, retryAfter: 120, status } })
    const started = Date.now()
    const result = await publishSnapshot(octokit, request(await snapshot(V1)), log)
    expect(result.operation).toBe('created')
    expect(gh.requests().filter(r => r.status === status)).toHaveLength(2)
    // Two waits of about 120 s on the virtual clock, hardly any real time.
    expect(clock.now() - START).toBeGreaterThanOrEqual(2 * 120 * 1000)
    expect(Date.now() - started).toBeLessThan(20000)
    expect(
      log.lines.filter(l => l.level === 'warning' && l.message.includes(`${kind} rate limit`))
    ).toHaveLength(2)
  })

  test('writes are spaced on the clock as GitHub asks', async () => {
    const { gh, octokit, log, clock } = await setup()
    await publishSnapshot(octokit, request(await snapshot(V1)), log)
    const writes = writesSince(gh, 0).length
    expect(writes).toBeGreaterThan(3)
    expect(clock.now() - START).toBeGreaterThanOrEqual((writes - 1) * 1000)
  })

  test('a rate limit that outlasts the retries fails, naming the limit', async () => {
    const { gh, octokit, log } = await setup()
    gh.setFaults({ rateLimitNext: { count: 50, kind: 'secondary', retryAfter: 1 } })
    await expect(publishSnapshot(octokit, request(await snapshot(V1)), log)).rejects.toThrow(/rate limit/i)
    expect(gh.requests().length).toBeLessThanOrEqual(8)
  })

  test('"No commits between" right after the branch moved is asked again, a bounded number of times', async () => {
    const { gh, octokit, log, clock } = await setup()
    gh.setFaults({ noCommitsOnCreate: 2 })
    const started = clock.now()
    const result = await publishSnapshot(octokit, request(await snapshot(V1)), log, clock)
    expect(result.operation).toBe('created')
    expect(
      gh
        .pulls()
        .filter(p => p.state === 'open')
        .map(p => p.number)
    ).toEqual([result.number])
    const creates = gh.requests().filter(r => r.method === 'POST' && r.path.endsWith('/pulls'))
    expect(creates.map(r => r.status)).toEqual([422, 422, 201])
    expect(clock.now() - started).toBeGreaterThanOrEqual(6000)
    expect(log.lines.filter(l => /does not see the new commit/.test(l.message))).toHaveLength(2)

    // A refusal that outlasts the waits fails, and leaves the branch and PRs as they were.
    const second = await setup()
    second.gh.setFaults({ noCommitsOnCreate: 10 })
    await expect(
      publishSnapshot(second.octokit, request(await snapshot(V1)), second.log, second.clock)
    ).rejects.toThrow(/No commits between main and genesys-snapshot/)
    const refused = second.gh.requests().filter(r => r.method === 'POST' && r.path.endsWith('/pulls'))
    expect(refused.map(r => r.status)).toEqual([422, 422, 422, 422])
    expect(await branchHead(second.gh, 'genesys-snapshot')).toBeUndefined()
    expect(second.gh.pulls()).toEqual([])
  })

  test('a branch merged into the base and then reverted there gets a new commit and a PR', async () => {
    const { gh, octokit, log, clock } = await setup()
    const first = await publishSnapshot(octokit, request(await snapshot(V1)), log, clock)
    await gh.mergePull(first.number!)
    // The merge was a fast-forward: the branch's commit is in main's history. Then someone reverts it.
    const removed = Object.fromEntries((await gh.listFiles('main', 'genesys/')).map(f => [f, null]))
    await gh.commitFiles('main', removed, 'Revert the snapshot')
    expect(await branchHead(gh, 'genesys-snapshot')).toBe(first.commitSha)

    const mark = gh.requests().length
    const again = await publishSnapshot(octokit, request(await snapshot(V1)), log, clock)
    expect(again.operation).toBe('created')
    expect(again.commitSha).not.toBe(first.commitSha)
    expect(await branchHead(gh, 'genesys-snapshot')).toBe(again.commitSha)
    const creates = gh
      .requests()
      .slice(mark)
      .filter(r => r.method === 'POST' && r.path.endsWith('/pulls'))
    expect(creates.map(r => r.status)).toEqual([201])
    expect(await gh.readFile('genesys-snapshot', 'genesys/manifest.json')).toBeDefined()
  })

  test('a branch older than a workflow change on the base, which the token may not carry over: made again when no PR is open', async () => {
    const { gh, octokit, log, clock } = await setup()
    gh.setFaults({ refuseWorkflowChanges: true })
    const first = await publishSnapshot(octokit, request(await snapshot(V1)), log, clock)
    // Merged without deleting the branch (GitHub's default), then someone edits a workflow on main.
    await gh.mergePull(first.number!)
    await gh.commitFiles('main', { '.github/workflows/snapshot.yml': 'on: push\n' }, 'Edit a workflow')
    const changed = { ...V1, 'queues/Support.yaml': 'name: Support\nchanged: 1\n' }

    const again = await publishSnapshot(octokit, request(await snapshot(changed)), log, clock)
    expect(again.operation).toBe('created')
    expect(await branchHead(gh, 'genesys-snapshot')).toBe(again.commitSha)
    expect(await gh.readFile('genesys-snapshot', 'genesys/queues/Support.yaml')).toContain('changed: 1')
    expect(log.lines.some(l => /predates a change to \.github\/workflows/.test(l.message))).toBe(true)
  })

  test('the same with the PR open: nothing moved, and the error says to delete the branch or use a token with workflows', async () => {
    const { gh, octokit, log, clock } = await setup()
    gh.setFaults({ refuseWorkflowChanges: true })
    const first = await publishSnapshot(octokit, request(await snapshot(V1)), log, clock)
    await gh.commitFiles('main', { '.github/workflows/snapshot.yml': 'on: push\n' }, 'Edit a workflow')
    const changed = { ...V1, 'queues/Support.yaml': 'name: Support\nchanged: 1\n' }

    const failure = publishSnapshot(octokit, request(await snapshot(changed)), log, clock)
    await expect(failure).rejects.toThrow(GitHubPublishError)
    await expect(failure).rejects.toThrow(/Delete branch genesys-snapshot.*workflows permission/)
    expect(await branchHead(gh, 'genesys-snapshot')).toBe(first.commitSha)
    expect(gh.pulls().find(p => p.number === first.number)!.state).toBe('open')
  })

  test('a PR opened by a concurrent run gets the labels it lacks and the review requests', async () => {
    const { gh, octokit, log } = await setup()
    gh.setFaults({ concurrentPrOnCreate: true })
    const result = await publishSnapshot(
      octokit,
      request(await snapshot(V1), { labels: ['genesys', 'snapshot'], reviewers: ['alice'] }),
      log
    )
    expect(result.operation).toBe('updated')
    const open = gh.pulls().filter(p => p.state === 'open')
    expect(open).toHaveLength(1)
    expect(open[0]).toMatchObject({ labels: ['genesys', 'snapshot'], requested_reviewers: ['alice'] })
    expect(log.lines.filter(l => l.level === 'warning')).toEqual([])
  })

  test('a PR whose creation went through but whose answer was lost (502) is found by the retry, with labels and reviewers', async () => {
    const { gh, octokit, log } = await setup()
    gh.setFaults({ loseCreateResponse: true })
    const result = await publishSnapshot(
      octokit,
      request(await snapshot(V1), { labels: ['genesys'], reviewers: ['alice', 'bob'] }),
      log
    )
    const open = gh.pulls().filter(p => p.state === 'open')
    expect(open).toHaveLength(1)
    expect(result.number).toBe(open[0].number)
    expect(open[0]).toMatchObject({ labels: ['genesys'], requested_reviewers: ['alice', 'bob'] })
    const creates = gh.requests().filter(r => r.method === 'POST' && r.path.endsWith('/pulls'))
    expect(creates.map(r => r.status)).toEqual([502, 422])
    expect(log.lines.filter(l => l.level === 'warning')).toEqual([])
  })

  test('a PR opened by a concurrent run is found and updated', async () => {
    const { gh, octokit, log } = await setup()
    gh.setFaults({ concurrentPrOnCreate: true })
    const result = await publishSnapshot(octokit, request(await snapshot(V1), { body: 'Ours' }), log)
    expect(result.operation).toBe('updated')
    const openPulls = gh.pulls().filter(p => p.state === 'open')
    expect(openPulls).toHaveLength(1)
    expect(openPulls[0]).toMatchObject({
      number: result.number,
      body: 'Ours',
      title: 'Genesys Cloud snapshot'
    })
    expect(
      gh.requests().some(r => r.method === 'POST' && r.path.endsWith('/pulls') && r.status === 422)
    ).toBe(true)
  })

  test('a branch another snapshot run moved under the update is re-read and updated again', async () => {
    const { gh, octokit, log } = await setup()
    await publishSnapshot(octokit, request(await snapshot(V1)), log)
    gh.setFaults({ moveBranchOnUpdate: { path: 'genesys/CONCURRENT.md' } })
    const mark = gh.requests().length
    const result = await publishSnapshot(
      octokit,
      request(await snapshot({ ...V1, 'skills/English.yaml': 'name: English\nlevel: 2\n' })),
      log
    )
    expect(result.operation).toBe('updated')
    const patches = gh
      .requests()
      .slice(mark)
      .filter(r => r.method === 'PATCH' && r.path.includes('/git/refs/'))
    expect(patches.map(r => r.status)).toEqual([422, 200])
    expect(await branchHead(gh, 'genesys-snapshot')).toBe(result.commitSha)
    expect(await gh.readFile('genesys-snapshot', 'genesys/CONCURRENT.md')).toBeUndefined()
  })

  test('someone\u2019s push under the update is left in place, with the pull request', async () => {
    const { gh, octokit, log } = await setup()
    const first = await publishSnapshot(octokit, request(await snapshot(V1)), log)
    gh.setFaults({ moveBranchOnUpdate: true })
    const error = await publishSnapshot(
      octokit,
      request(await snapshot({ ...V1, 'skills/English.yaml': 'name: English\nlevel: 2\n' }), { body: 'New' }),
      log
    ).catch(e => e)
    expect(error).toBeInstanceOf(GitHubPublishError)
    expect(error.message).toMatch(
      /Branch 'genesys-snapshot' holds changes to CONCURRENT.md outside genesys\//
    )
    expect(error.message).toMatch(/Set the branch input to a branch used only for snapshots/)
    expect(await gh.readFile('genesys-snapshot', 'CONCURRENT.md')).toBeDefined()
    expect(gh.pulls().find(p => p.number === first.number)!.body).not.toBe('New')
  })

  test('a base moved during the commit is rebuilt on its new head', async () => {
    const { gh, octokit, log } = await setup()
    gh.setFaults({ moveBaseOnCommit: true })
    const result = await publishSnapshot(octokit, request(await snapshot(V1)), log)
    expect(result.operation).toBe('created')
    expect(count(gh, 'POST', '/git/commits')).toBe(2)
    const main = await branchHead(gh, 'main')
    expect(await gh.readFile('main', 'CONCURRENT.md')).toBeDefined()
    expect(await parentsOf(gh, result.commitSha!)).toEqual([main])
    expect(await gh.readFile('genesys-snapshot', 'CONCURRENT.md')).toBeDefined()
    // The second attempt reuses the content the first one sent.
    expect(sent(gh)).toHaveLength(Object.keys(V1).length + 1)
  })

  test('without contents: write the error names the permission, and branch and PR stay as they were', async () => {
    const { gh, octokit, log } = await setup()
    await publishSnapshot(octokit, request(await snapshot(V1)), log)
    const before = { head: await branchHead(gh, 'genesys-snapshot'), pulls: gh.pulls() }
    gh.setFaults({ forbidWrites: 'contents' })
    const error = await publishSnapshot(
      octokit,
      request(await snapshot({ ...V1, 'queues/New.yaml': 'name: New\n' }), {
        title: 'Changed',
        body: 'Changed'
      }),
      log
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(GitHubPublishError)
    expect((error as GitHubPublishError).permission).toBe('contents')
    expect((error as Error).message).toMatch(/contents: write/)
    expect((error as Error).message).toMatch(/Resource not accessible by integration/)
    expect(await branchHead(gh, 'genesys-snapshot')).toBe(before.head)
    expect(gh.pulls()).toEqual(before.pulls)
  })

  test('without pull-requests: write the error names the permission and the new branch is removed again', async () => {
    const { gh, octokit, log } = await setup()
    gh.setFaults({ forbidWrites: 'pull-requests' })
    const error = await publishSnapshot(octokit, request(await snapshot(V1)), log).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(GitHubPublishError)
    expect((error as GitHubPublishError).permission).toBe('pull-requests')
    expect((error as Error).message).toMatch(/pull-requests: write/)
    expect(gh.pulls()).toEqual([])
    // A branch without its PR would be a change nobody reviews: it is gone, as before the run.
    expect(await branchHead(gh, 'genesys-snapshot')).toBeUndefined()

    gh.setFaults({})
    const result = await publishSnapshot(octokit, request(await snapshot(V1)), log)
    expect(result.operation).toBe('created')
    expect(gh.pulls()[0].head.sha).toBe(await branchHead(gh, 'genesys-snapshot'))
  })

  test('a PR update that keeps failing puts the branch back where it was', async () => {
    const { gh, octokit, log } = await setup()
    await publishSnapshot(octokit, request(await snapshot(V1)), log)
    const before = { head: await branchHead(gh, 'genesys-snapshot'), pulls: gh.pulls() }
    gh.setFaults({ failOperations: { 'pulls/update': 502 } })
    const error = await publishSnapshot(
      octokit,
      request(await snapshot({ ...V1, 'queues/New.yaml': 'name: New\n' }), { body: 'Report v2' }),
      log
    ).catch((e: unknown) => e)
    expect((error as Error).message).toMatch(/update pull request #1: HTTP 502/)
    expect((error as Error).message).toMatch(/rerun the workflow later/)
    // The branch was moved to the new commit, then put back when the PR could not follow.
    expect(count(gh, 'PATCH', '/git/refs/heads%2Fgenesys-snapshot', 0)).toBeGreaterThanOrEqual(2)
    expect(await branchHead(gh, 'genesys-snapshot')).toBe(before.head)
    expect(gh.pulls()).toEqual(before.pulls)
  })

  test('users and teams are asked separately; a team the token cannot see costs only itself, as one warning', async () => {
    const { gh, octokit, log } = await setup({ teams: ['cc-admins'] })
    const result = await publishSnapshot(
      octokit,
      request(await snapshot(V1), { reviewers: ['alice', 'bob', 'acme/cc-admins', 'acme/hidden'] }),
      log
    )
    expect(result.operation).toBe('created')
    expect(gh.pulls()[0]).toMatchObject({
      requested_reviewers: ['alice', 'bob'],
      requested_teams: ['cc-admins']
    })
    const warnings = log.lines.filter(l => l.level === 'warning').map(l => l.message)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(
      /^Could not request a review from acme\/hidden on pull request #1: HTTP 422: /
    )
    expect(warnings[0]).toMatch(/Could not resolve to a node with the global id of/)
    expect(warnings[0]).toMatch(/GITHUB_TOKEN cannot see organization teams/)
  })

  test('the PR author among the reviewers is left out; the others are asked without a refusal', async () => {
    const { gh, octokit, log } = await setup()
    await publishSnapshot(
      octokit,
      request(await snapshot(V1), { reviewers: ['GitHub-Actions[bot]', 'alice', 'acme/cc-admins'] }),
      log
    )
    expect(gh.pulls()[0]).toMatchObject({ requested_reviewers: ['alice'], requested_teams: ['cc-admins'] })
    expect(
      gh
        .requests()
        .filter(r => r.path.endsWith('/requested_reviewers'))
        .map(r => r.status)
    ).toEqual([201, 201])
    expect(log.lines.filter(l => l.level === 'warning')).toEqual([])
  })

  test('a refused request for several users is retried one by one: only the non-collaborator is lost', async () => {
    const { gh, octokit, log } = await setup({ collaborators: ['alice', 'bob'] })
    await publishSnapshot(
      octokit,
      request(await snapshot(V1), { reviewers: ['alice', 'mallory', 'bob'] }),
      log
    )
    expect(gh.pulls()[0].requested_reviewers).toEqual(['alice', 'bob'])
    const warnings = log.lines.filter(l => l.level === 'warning').map(l => l.message)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/^Could not request a review from mallory on pull request #1: HTTP 422: /)
    expect(warnings[0]).toMatch(/collaborator/)
  })

  test('failing labels and reviewers are warnings; the PR still counts', async () => {
    const { gh, octokit, log } = await setup({ collaborators: ['alice'] })
    const result = await publishSnapshot(
      octokit,
      request(await snapshot(V1), { reviewers: ['mallory'], labels: ['snapshot'] }),
      log
    )
    expect(result.operation).toBe('created')
    expect(gh.pulls()[0].requested_reviewers).toEqual([])
    const warnings = log.lines.filter(l => l.level === 'warning').map(l => l.message)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/mallory/)
    expect(warnings[0]).toMatch(/collaborator/)
  })

  test('a repository without draft PRs gets a ready PR and a warning', async () => {
    const { gh, octokit, log } = await setup({ draftPullRequests: false })
    const result = await publishSnapshot(octokit, request(await snapshot(V1), { draft: true }), log)
    expect(result.operation).toBe('created')
    expect(gh.pulls()[0].draft).toBe(false)
    expect(log.lines.some(l => l.level === 'warning' && /draft/i.test(l.message))).toBe(true)
  })

  test('a missing base branch is an error that names it', async () => {
    const { octokit, log } = await setup()
    await expect(
      publishSnapshot(octokit, request(await snapshot(V1), { base: 'release' }), log)
    ).rejects.toThrow(/base branch 'release' does not exist/)
  })

  test('the token never reaches the log or an error', async () => {
    const { gh, octokit, log } = await setup()
    gh.setFaults({ status5xxRate: 0.3, forbidWrites: 'pull-requests' })
    const error = await publishSnapshot(octokit, request(await snapshot(V1)), log).catch((e: unknown) => e)
    expect(log.secrets).toContain(gh.token)
    for (const line of log.lines) expect(line.message).not.toContain(gh.token)
    expect(String((error as Error).message)).not.toContain(gh.token)
    expect(JSON.stringify((error as Error & { cause?: unknown }).cause ?? null)).not.toContain(gh.token)
  })
})

describe('baseSnapshotView', () => {
  test('reads the base branch manifest and files', async () => {
    const manifest = manifestFor(Object.keys(V1))
    const { octokit } = await setup(
      {},
      {
        'README.md': '# repo\n',
        'genesys/manifest.json': manifest,
        'genesys/queues/Sales.yaml': 'name: Sales\n'
      }
    )
    const view = await baseSnapshotView(octokit, {
      owner: 'acme',
      repo: 'contact-center',
      base: '',
      snapshotPath: 'genesys'
    })
    expect(view.manifest?.resources.map(r => r.path)).toEqual(Object.keys(V1).sort())
    expect(await view.read('queues/Sales.yaml')).toBe('name: Sales\n')
    expect(await view.read('queues/Support.yaml')).toBeUndefined()
    expect(await view.read('manifest.json')).toBe(manifest)
  })

  test('a file the checked-out folder holds as the base has it is read from there, not from GitHub', async () => {
    const { gh, octokit } = await setup(
      {},
      {
        'README.md': '# repo\n',
        'genesys/queues/Sales.yaml': 'name: Sales\n',
        'genesys/queues/Support.yaml': 'name: Support\n'
      }
    )
    // The checkout has Sales as on the base, and an older Support.
    const local: Record<string, string> = {
      'queues/Sales.yaml': 'name: Sales\n',
      'queues/Support.yaml': 'name: Support (old)\n'
    }
    const view = await baseSnapshotView(octokit, {
      owner: 'acme',
      repo: 'contact-center',
      base: '',
      snapshotPath: 'genesys',
      local: async file => local[file]
    })
    const mark = gh.requests().length
    expect(await view.read('queues/Sales.yaml')).toBe('name: Sales\n')
    expect(count(gh, 'GET', '', mark)).toBe(0)
    // Not the base's bytes: the base's copy is read.
    expect(await view.read('queues/Support.yaml')).toBe('name: Support\n')
    expect(count(gh, 'GET', '', mark)).toBe(1)
  })

  test('a missing branch or folder reads as an empty snapshot', async () => {
    const { octokit } = await setup()
    for (const options of [
      { base: 'nope', snapshotPath: 'genesys' },
      { base: 'main', snapshotPath: 'genesys' }
    ]) {
      const view = await baseSnapshotView(octokit, { owner: 'acme', repo: 'contact-center', ...options })
      expect(view.manifest).toBeUndefined()
      expect(await view.read('manifest.json')).toBeUndefined()
    }
  })
})

/**
 * Whole runs in-process (real client against the simulated org, real Octokit against the stand-in):
 * what the outputs, the PR body, the job summary and check mode's annotations say agrees with what
 * the snapshot commit does.
 */
describe('the report of a whole run says what the pull request does', () => {
  let sim: SimOrg
  let gh: GitHubStandIn
  let runs = 0

  beforeEach(async () => {
    sim = await startSimOrg({ seed: 5, flows: 8, clock: new VirtualClock() })
    gh = await startGitHubStandIn({ owner: 'acme', repo: 'contact-center', defaultBranch: 'main' })
    open.push(gh)
    await gh.commitFiles('main', { 'README.md': '# repo\n' }, 'Initial commit')
  })
  afterEach(async () => {
    await sim.close()
  })

  type Run = InProcessRun & { body?: string; workspace: string }

  /** A run on a fresh checkout of main (snapshot mode, pull request on, unless `inputs` say otherwise). */
  async function act(inputs: Record<string, string> = {}): Promise<Run> {
    const workspace = path.join(scratch, `run-${++runs}`)
    await gh.checkout('main', workspace)
    const run = await runInProcess({ sim, gh, clock: sim.clock, workspace, inputs, label: `run-${runs}` })
    if (run.error) throw run.error
    const number = Number(run.outputs?.['pull-request-number'])
    return { ...run, workspace, body: gh.pulls().find(p => p.number === number)?.body ?? undefined }
  }

  async function actAndMerge(): Promise<Run> {
    const run = await act()
    expect(run.outputs?.['pull-request-operation']).toBe('created')
    await gh.mergePull(Number(run.outputs!['pull-request-number']))
    return run
  }

  const annotations = (run: InProcessRun) => run.lines.filter(l => l.annotation?.title?.startsWith('Drift'))

  test('a flow whose dependencies are read again after an index rebuild is a changed flow, not an unexplained file', async () => {
    await actAndMerge()
    // Dependency tracking refuses a republished flow's type for a run: it keeps its committed list.
    const flow = sim.org.flows.find(f => !f.deleted && f.publishedVersion)!
    sim.publishFlow(flow.id)
    sim.setFaults({ untrackedFlowTypes: [flow.type] })
    const unread = await actAndMerge()
    expect(unread.body).toContain('dependencies not read: dependency tracking answered 400')

    // It answers again: only the manifest's dependenciesNotRead marks change.
    sim.setFaults({ untrackedFlowTypes: [] })
    const check = await act({ mode: 'check' })
    expect(check.outputs).toMatchObject({ changed: 'true', added: '0', modified: '1', removed: '0' })
    const drift = annotations(check)
    expect(drift.length).toBeGreaterThan(0)
    for (const a of drift) expect(a.message).toContain('dependencies read again')
    expect(check.summary).not.toContain('see the unresolved references below')

    const rerun = await act()
    expect(rerun.outputs).toMatchObject({
      changed: 'true',
      modified: '1',
      'pull-request-operation': 'created'
    })
    for (const md of [rerun.body!, rerun.summary]) {
      expect(md).toMatch(/\*\*\d+ resources? changed\*\* \(\d+ changed\) in 1 file\./)
      expect(md).toContain(`**${flow.name}**`)
      expect(md).toContain('  - dependencies read again')
      expect(md).not.toContain('No resource changed')
    }
  })

  test('an unresolved reference whose reason changed (403, then 404) is reported as changed', async () => {
    const flow = sim.org.flows.find(f => !f.deleted && f.publishedVersion && f.deps.queues.length > 0)!
    const queue = flow.deps.queues[0]
    sim.setFaults({ forbiddenQueueIds: [queue] })
    const first = await actAndMerge()
    expect(first.body).toContain('forbidden (403)')

    sim.setFaults({ forbiddenQueueIds: [] })
    sim.deleteQueue(queue)
    const rerun = await act()
    expect(rerun.outputs).toMatchObject({ changed: 'true', modified: '1', removed: '0', added: '0' })
    expect(rerun.body).toContain(
      'No resource changed; 1 file of the snapshot did (see the unresolved references below).'
    )
    expect(rerun.body).toMatch(/\*\*Changed \(\d+\)\*\*/)
    expect(rerun.body).toContain('`): not found (404); was forbidden (403): the OAuth client cannot read it')
    expect(rerun.summary).toContain('`): not found (404) *(changed: was forbidden (403)')
  })

  test('a file committed into a managed folder without being in the manifest is reported as the removal it is', async () => {
    await actAndMerge()
    await gh.commitFiles(
      'main',
      { 'genesys/queues/README.md': 'Queue notes\n', 'genesys/NOTES.md': 'Ours\n' },
      'Notes beside the snapshot'
    )
    const removedOne = { changed: 'true', added: '0', modified: '0', removed: '1' }
    const headline =
      'No resource changed; 1 file of the snapshot did (see the files removed that the manifest did not list below).'

    const check = await act({ mode: 'check' })
    expect(check.outputs).toMatchObject(removedOne)
    expect(check.failure).toMatch(
      /1 removed\).*in a folder the action manages without being in manifest\.json/s
    )
    expect(annotations(check).map(a => [a.annotation!.file, a.annotation!.title])).toEqual([
      ['genesys/queues/README.md', 'Drift: queues/README.md is not in the manifest']
    ])

    // Without a pull request the workspace swap drops the file, and the report says so.
    const local = await act({ 'pull-request': 'false' })
    expect(local.outputs).toMatchObject(removedOne)
    expect(local.summary).toContain(headline)
    expect(local.summary).toContain('- `queues/README.md`')
    await expect(readFile(path.join(local.workspace, 'genesys/queues/README.md'))).rejects.toThrow(/ENOENT/)
    expect(await readFile(path.join(local.workspace, 'genesys/NOTES.md'), 'utf8')).toBe('Ours\n')

    const pr = await act()
    expect(pr.outputs).toMatchObject({ ...removedOne, 'pull-request-operation': 'created' })
    expect(pr.lines.map(l => l.message)).toContain(
      'Snapshot differs from main: 0 added, 0 modified, 1 removed.'
    )
    for (const md of [pr.body!, pr.summary]) {
      expect(md).toContain(headline)
      expect(md).toContain('Files removed that the manifest did not list (1)')
      expect(md).toContain('- `queues/README.md`')
    }
    const branch = await gh.listFiles('genesys-snapshot', 'genesys/')
    expect(branch).not.toContain('genesys/queues/README.md')
    expect(branch).toContain('genesys/NOTES.md')
  })
})
