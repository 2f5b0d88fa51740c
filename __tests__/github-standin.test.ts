// The GitHub stand-in itself: it must refuse what GitHub refuses (OpenAPI checks, git rules) and
// answer with real git objects, or the publisher's tests would prove nothing.
import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { silentLog } from '../src/common/log.js'
import { VirtualClock } from '../src/common/clock.js'
import { createOctokit } from '../src/github/octokit.js'
import { gitBlobSha } from '../src/github/snapshot-plan.js'
import { startGitHubStandIn, type GitHubStandIn } from '../test/github/index.js'

let gh: GitHubStandIn
let main: string

beforeEach(async () => {
  gh = await startGitHubStandIn({ owner: 'acme', repo: 'cc' })
  main = await gh.commitFiles('main', { 'README.md': '# cc\n', 'genesys/queues/A.yaml': 'name: A\n' }, 'init')
})
afterEach(async () => {
  await gh.close()
})

async function call(method: string, route: string, body?: unknown, token: string | null = gh.token) {
  const response = await fetch(`${gh.url}${route}`, {
    method,
    headers: {
      ...(token !== null ? { authorization: `token ${token}` } : {}),
      'content-type': 'application/json'
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
  })
  const text = await response.text()
  let data: unknown = text
  try {
    data = JSON.parse(text)
  } catch {
    // not JSON (a 5xx page)
  }
  return {
    status: response.status,
    headers: response.headers,
    data: data as Record<string, unknown> & unknown[]
  }
}

const git = (...args: string[]) =>
  execFileSync('git', ['--git-dir', gh.bareRepo, ...args])
    .toString()
    .trim()

describe('OpenAPI checks', () => {
  test('a missing required body field is refused with 422 as GitHub words it', async () => {
    const r = await call('POST', '/repos/acme/cc/git/refs', { ref: 'refs/heads/x' })
    expect(r.status).toBe(422)
    expect(r.data.message).toBe('Invalid request.\n\n"sha" wasn\'t supplied.')
    expect(r.data.documentation_url).toEqual(expect.stringContaining('docs.github.com'))
    expect(await gh.listFiles('x')).toEqual([])
  })

  test('wrong types and values outside an enum are refused', async () => {
    const patch = await call('PATCH', '/repos/acme/cc/git/refs/heads/main', { sha: main, force: 'yes' })
    expect(patch.status).toBe(422)
    expect(patch.data.message).toMatch(/'properties\/force'.*not a boolean/)
    const tree = await call('POST', '/repos/acme/cc/git/trees', {
      tree: [{ path: 'a.txt', mode: '100645', type: 'blob', content: 'x' }]
    })
    expect(tree.status).toBe(422)
    expect(tree.data.message).toMatch(/100645/)
    const pr = await call('POST', '/repos/acme/cc/pulls', { title: 't', base: 'main' })
    expect(pr.status).toBe(422)
    expect(pr.data.message).toMatch(/"head" wasn't supplied/)
  })

  test('a path or method GitHub does not have is 404; bad JSON is 400', async () => {
    expect((await call('GET', '/repos/acme/cc/git/refs')).status).toBe(404)
    expect((await call('PUT', '/repos/acme/cc/git/blobs')).status).toBe(404)
    expect((await call('GET', '/repos/acme/cc/no-such-thing')).status).toBe(404)
    const bad = await call('POST', '/repos/acme/cc/git/blobs', '{"content":')
    expect(bad.status).toBe(400)
    expect(bad.data.message).toBe('Problems parsing JSON')
  })

  test('through Octokit, a request GitHub would refuse fails the same way', async () => {
    const octokit = createOctokit(gh.token, { baseUrl: gh.url, log: silentLog, clock: new VirtualClock() })
    await expect(
      octokit.request('POST /repos/{owner}/{repo}/git/commits', {
        owner: 'acme',
        repo: 'cc',
        tree: 'x'
      } as never)
    ).rejects.toMatchObject({ status: 422 })
  })

  test('only the stand-in token is accepted, and another repository is 404', async () => {
    expect((await call('GET', '/repos/acme/cc', undefined, null)).status).toBe(401)
    const bad = await call('GET', '/repos/acme/cc', undefined, 'ghs_wrong')
    expect(bad.status).toBe(401)
    expect(bad.data.message).toBe('Bad credentials')
    expect((await call('GET', '/repos/acme/other')).status).toBe(404)
    const ok = await call('GET', '/repos/acme/cc')
    expect(ok.status).toBe(200)
    expect(ok.data.default_branch).toBe('main')
    expect(ok.data.full_name).toBe('acme/cc')
  })
})

describe('git objects', () => {
  test('blob, tree and commit shas are the ones git computes', async () => {
    const bytes = Buffer.from('name: B\n\u00e9\n')
    const blob = await call('POST', '/repos/acme/cc/git/blobs', {
      content: bytes.toString('base64'),
      encoding: 'base64'
    })
    expect(blob.status).toBe(201)
    expect(blob.data.sha).toBe(gitBlobSha(bytes))
    expect(git('cat-file', '-p', blob.data.sha as string)).toBe(bytes.toString('utf8').trim())

    const base = git('rev-parse', 'main^{tree}')
    const tree = await call('POST', '/repos/acme/cc/git/trees', {
      base_tree: base,
      tree: [
        { path: 'genesys/queues/B.yaml', mode: '100644', type: 'blob', sha: blob.data.sha },
        { path: 'genesys/queues/A.yaml', mode: '100644', type: 'blob', sha: null }
      ]
    })
    expect(tree.status).toBe(201)
    expect(git('ls-tree', '-r', '--name-only', tree.data.sha as string).split('\n')).toEqual([
      'README.md',
      'genesys/queues/B.yaml'
    ])
    const listed = await call('GET', `/repos/acme/cc/git/trees/${tree.data.sha}?recursive=1`)
    expect((listed.data.tree as { path: string }[]).map(e => e.path)).toEqual([
      'README.md',
      'genesys',
      'genesys/queues',
      'genesys/queues/B.yaml'
    ])
    expect(listed.data.truncated).toBe(false)

    const commit = await call('POST', '/repos/acme/cc/git/commits', {
      message: 'm',
      tree: tree.data.sha,
      parents: [main]
    })
    expect(commit.status).toBe(201)
    expect(git('rev-parse', `${commit.data.sha}^{tree}`)).toBe(tree.data.sha)
    expect(git('rev-parse', `${commit.data.sha}^`)).toBe(main)
    expect(commit.data.verification).toMatchObject({ verified: true })
    const authored = await call('POST', '/repos/acme/cc/git/commits', {
      message: 'm',
      tree: tree.data.sha,
      parents: [main],
      author: { name: 'A', email: 'a@example.com' }
    })
    expect(authored.data.verification).toMatchObject({ verified: false })

    const blobBack = await call('GET', `/repos/acme/cc/git/blobs/${blob.data.sha}`)
    expect(Buffer.from(blobBack.data.content as string, 'base64')).toEqual(bytes)
  })

  test('tree entries GitHub would refuse: unknown sha, deleting a missing path, malformed paths', async () => {
    const base = git('rev-parse', 'main^{tree}')
    const unknown = await call('POST', '/repos/acme/cc/git/trees', {
      base_tree: base,
      tree: [{ path: 'x', mode: '100644', type: 'blob', sha: 'f'.repeat(40) }]
    })
    expect(unknown.status).toBe(422)
    const missing = await call('POST', '/repos/acme/cc/git/trees', {
      base_tree: base,
      tree: [{ path: 'nope.txt', mode: '100644', type: 'blob', sha: null }]
    })
    expect(missing.status).toBe(422)
    const malformed = await call('POST', '/repos/acme/cc/git/trees', {
      tree: [{ path: '../x', mode: '100644', type: 'blob', content: 'x' }]
    })
    expect(malformed.status).toBe(422)
  })

  test('refs: fast-forward rule, force, existing and missing refs', async () => {
    const side = await gh.commitFiles('side', { 'side.txt': 'side\n' })
    const ahead = await gh.commitFiles('main', { 'new.txt': 'new\n' })
    expect(await gh.listFiles('side')).toContain('side.txt')
    const nonFf = await call('PATCH', '/repos/acme/cc/git/refs/heads/main', { sha: side })
    expect(nonFf.status).toBe(422)
    expect(nonFf.data.message).toBe('Update is not a fast forward')
    expect(git('rev-parse', 'refs/heads/main')).toBe(ahead)
    const forced = await call('PATCH', '/repos/acme/cc/git/refs/heads/main', { sha: side, force: true })
    expect(forced.status).toBe(200)
    expect(git('rev-parse', 'refs/heads/main')).toBe(side)

    const exists = await call('POST', '/repos/acme/cc/git/refs', { ref: 'refs/heads/side', sha: main })
    expect(exists.status).toBe(422)
    expect(exists.data.message).toBe('Reference already exists')
    expect((await call('GET', '/repos/acme/cc/git/ref/heads/none')).status).toBe(404)
    expect((await call('PATCH', '/repos/acme/cc/git/refs/heads/none', { sha: main })).status).toBe(422)
    expect((await call('DELETE', '/repos/acme/cc/git/refs/heads/none')).status).toBe(422)
    const slashed = await call('POST', '/repos/acme/cc/git/refs', { ref: 'refs/heads/feature/x', sha: main })
    expect(slashed.status).toBe(201)
    const read = await call('GET', '/repos/acme/cc/git/ref/heads%2Ffeature%2Fx')
    expect(read.data).toMatchObject({ ref: 'refs/heads/feature/x', object: { sha: main, type: 'commit' } })
  })

  test('checkout gives a work tree of the branch', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'standin-co-'))
    try {
      await gh.checkout('main', path.join(dir, 'ws'))
      expect(await readFile(path.join(dir, 'ws', 'genesys/queues/A.yaml'), 'utf8')).toBe('name: A\n')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('pull requests', () => {
  test('GitHub rules: no commits between, duplicates, head filter, closing by branch deletion', async () => {
    // A branch at main's commit has nothing to merge.
    git('update-ref', 'refs/heads/equal', main)
    const none = await call('POST', '/repos/acme/cc/pulls', { title: 't', head: 'equal', base: 'main' })
    expect(none.status).toBe(422)
    expect(JSON.stringify(none.data.errors)).toMatch(/No commits between main and equal/)

    await gh.commitFiles('feature', { 'f.txt': 'f\n' })
    const created = await call('POST', '/repos/acme/cc/pulls', {
      title: 't',
      head: 'feature',
      base: 'main',
      draft: true
    })
    expect(created.status).toBe(201)
    expect(created.data).toMatchObject({ number: 1, state: 'open', draft: true, head: { ref: 'feature' } })
    const dup = await call('POST', '/repos/acme/cc/pulls', { title: 't', head: 'acme:feature', base: 'main' })
    expect(dup.status).toBe(422)
    expect(JSON.stringify(dup.data.errors)).toMatch(/A pull request already exists for acme:feature\./)

    expect((await call('GET', '/repos/acme/cc/pulls?head=acme:feature')).data).toHaveLength(1)
    expect((await call('GET', '/repos/acme/cc/pulls?head=acme:other')).data).toHaveLength(0)

    expect((await call('DELETE', '/repos/acme/cc/git/refs/heads/feature')).status).toBe(204)
    expect(gh.pulls()[0].state).toBe('closed')
  })

  test('mergePull fast-forwards, or makes a merge commit when the base moved', async () => {
    await gh.commitFiles('one', { 'one.txt': '1\n' })
    await call('POST', '/repos/acme/cc/pulls', { title: 'one', head: 'one', base: 'main' })
    await gh.mergePull(1)
    expect(git('rev-parse', 'refs/heads/main')).toBe(git('rev-parse', 'refs/heads/one'))

    await gh.commitFiles('two', { 'two.txt': '2\n' })
    await call('POST', '/repos/acme/cc/pulls', { title: 'two', head: 'two', base: 'main' })
    await gh.commitFiles('main', { 'other.txt': 'o\n' })
    await gh.mergePull(2)
    expect(git('rev-list', '--parents', '-n', '1', 'refs/heads/main').split(' ')).toHaveLength(3)
    expect(await gh.listFiles('main')).toEqual(
      expect.arrayContaining(['one.txt', 'two.txt', 'other.txt', 'genesys/queues/A.yaml'])
    )
    expect(gh.pulls().map(p => [p.state, p.merged])).toEqual([
      ['closed', true],
      ['closed', true]
    ])
  })
})

describe('faults', () => {
  test('rate limits carry GitHub’s status, headers and words', async () => {
    gh.setFaults({ rateLimitNext: { count: 1, kind: 'primary', retryAfter: 30 } })
    const primary = await call('GET', '/repos/acme/cc')
    expect(primary.status).toBe(403)
    expect(primary.headers.get('x-ratelimit-remaining')).toBe('0')
    const reset = Number(primary.headers.get('x-ratelimit-reset'))
    expect(reset).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 25)
    expect(primary.data.message).toMatch(/^API rate limit exceeded for /)

    gh.setFaults({ rateLimitNext: { count: 1, kind: 'secondary', retryAfter: 7, status: 429 } })
    const secondary = await call('GET', '/repos/acme/cc')
    expect(secondary.status).toBe(429)
    expect(secondary.headers.get('retry-after')).toBe('7')
    expect(secondary.data.message).toMatch(/You have exceeded a secondary rate limit/)
    expect((await call('GET', '/repos/acme/cc')).status).toBe(200)
  })

  test('missing permissions refuse only the writes that need them', async () => {
    gh.setFaults({ forbidWrites: 'contents' })
    const blob = await call('POST', '/repos/acme/cc/git/blobs', { content: 'x' })
    expect(blob.status).toBe(403)
    expect(blob.data.message).toBe('Resource not accessible by integration')
    expect((await call('GET', '/repos/acme/cc/git/ref/heads/main')).status).toBe(200)
    await gh.commitFiles('feature', { 'f.txt': 'f\n' })
    expect(
      (await call('POST', '/repos/acme/cc/pulls', { title: 't', head: 'feature', base: 'main' })).status
    ).toBe(201)

    gh.setFaults({ forbidWrites: 'pull-requests' })
    expect((await call('PATCH', '/repos/acme/cc/pulls/1', { title: 'x' })).status).toBe(403)
    expect((await call('POST', '/repos/acme/cc/git/blobs', { content: 'x' })).status).toBe(201)
  })

  test('5xx answers come at the given rate, as HTML 502 and JSON 503', async () => {
    gh.setFaults({ status5xxRate: 0.5 })
    const statuses: number[] = []
    for (let i = 0; i < 8; i++) statuses.push((await call('GET', '/repos/acme/cc')).status)
    expect(statuses).toEqual([200, 502, 200, 503, 200, 502, 200, 503])
    expect(gh.requests().map(r => r.status)).toEqual(statuses)
  })
})
