// The bundled action through a whole life, as a runner runs it, against the simulated org and the
// GitHub stand-in: first snapshot, unchanged rerun, org change, merge, deletion, check and validate.
import { mkdir, mkdtemp, readFile, rm, writeFile, readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startSimOrg, type SimOrg } from '../test/sim/index.js'
import { changesRepository, startGitHubStandIn, type GitHubStandIn } from '../test/github/index.js'
import { runAction, type ActionRun } from '../test/support/run-action.js'

let sim: SimOrg
let gh: GitHubStandIn
let scratch: string
const runs: (ActionRun & { given: Record<string, string> })[] = []

beforeAll(async () => {
  sim = await startSimOrg({ seed: 11, flows: 30 })
  gh = await startGitHubStandIn({ owner: 'acme', repo: 'contact-center', defaultBranch: 'main' })
  await gh.commitFiles('main', { 'README.md': '# Contact center configuration\n' }, 'Initial commit')
  scratch = await mkdtemp(path.join(tmpdir(), 'e2e-'))
})

afterAll(async () => {
  await sim?.close()
  await gh?.close()
  if (scratch) await rm(scratch, { recursive: true, force: true })
})

let workspaces = 0
async function checkout(branch = 'main'): Promise<string> {
  const dir = path.join(scratch, `ws-${++workspaces}`)
  await gh.checkout(branch, dir)
  return dir
}

async function act(workspace: string, inputs: Record<string, string> = {}): Promise<ActionRun> {
  const given = {
    'client-id': sim.clientId,
    'client-secret': sim.clientSecret,
    'api-url': sim.url,
    ...inputs
  }
  const run = await runAction({
    workspace,
    inputs: given,
    githubToken: gh.token,
    env: { GITHUB_REPOSITORY: `${gh.owner}/${gh.repo}`, GITHUB_API_URL: gh.url }
  })
  runs.push({ ...run, given })
  return run
}

const writes = (since: number) => gh.requests().slice(since).filter(changesRepository)

function openPulls() {
  return gh.pulls().filter(p => p.state === 'open')
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile())
      out.push(path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
  }
  return out.sort()
}

test('a snapshot lives through its whole life', async () => {
  // 1. First snapshot: a PR is created with labels, reviewers and draft.
  const first = await act(await checkout(), {
    labels: 'genesys, snapshot',
    reviewers: 'alice',
    draft: 'true'
  })
  expect(first.stderr).toBe('')
  expect(first.exitCode).toBe(0)
  expect(first.outputs['pull-request-operation']).toBe('created')
  expect(first.outputs.changed).toBe('true')
  expect(Number(first.outputs.flows)).toBeGreaterThan(0)
  expect(Number(first.outputs.queues)).toBeGreaterThan(0)
  expect(Number(first.outputs.requests)).toBeGreaterThan(0)
  expect(first.outputs.manifest).toBe('genesys/manifest.json')
  const [pr] = openPulls()
  expect(pr.number).toBe(Number(first.outputs['pull-request-number']))
  expect(pr.draft).toBe(true)
  expect(pr.labels).toEqual(expect.arrayContaining(['genesys', 'snapshot']))
  expect(pr.requested_reviewers).toEqual(['alice'])
  const branchFiles = await gh.listFiles('genesys-snapshot', 'genesys/')
  expect(branchFiles).toContain('genesys/manifest.json')
  expect(branchFiles.length).toBe(Number(first.outputs.added))
  const manifest = JSON.parse((await gh.readFile('genesys-snapshot', 'genesys/manifest.json'))!)
  expect(manifest.resources.filter((r: { kind: string }) => r.kind === 'flow')).toHaveLength(
    Number(first.outputs.flows)
  )
  expect(first.summary).toContain('Genesys')

  // 2. Unchanged rerun: no commit, no ref update, no PR edit.
  const mark = gh.requests().length
  const again = await act(await checkout())
  expect(again.exitCode).toBe(0)
  expect(again.outputs['pull-request-operation']).toBe('none')
  expect(writes(mark)).toEqual([])

  // 3. Merge; a rerun on the merged main finds nothing new and leaves no PR open.
  await gh.mergePull(pr.number)
  const merged = await checkout()
  expect(await filesUnder(path.join(merged, 'genesys'))).toContain('manifest.json')
  const steady = await act(merged)
  expect(steady.exitCode).toBe(0)
  expect(steady.outputs.changed).toBe('false')
  expect(steady.outputs['pull-request-operation']).toBe('none')
  expect(openPulls()).toEqual([])

  // 4. Check mode on the merged main: no drift. Validate mode: the action's own snapshot passes.
  const clean = await act(await checkout(), { mode: 'check' })
  expect(clean.exitCode).toBe(0)
  expect(clean.outputs.changed).toBe('false')
  const valid = await act(await checkout(), { mode: 'validate', 'client-id': '', 'client-secret': '' })
  expect(valid.exitCode).toBe(0)

  // 5. The org changes: a flow is republished and a queue edited; a new PR says so, by name.
  const flow = manifest.resources.find(
    (r: { kind: string; version?: string }) => r.kind === 'flow' && r.version
  )
  const queue = manifest.resources.find((r: { kind: string }) => r.kind === 'queue')
  const newVersion = sim.publishFlow(flow.id)
  sim.editQueue(queue.id, { acwSettings: { timeoutMs: 987654 } })
  const beforeChange = gh.requests().length
  const changed = await act(await checkout())
  expect(changed.exitCode).toBe(0)
  // The checkout is the base: the report's "before" side comes from it, blob by blob, not from
  // GitHub. Only the base's manifest is read there (by the report and by the publisher).
  const blobReads = gh
    .requests()
    .slice(beforeChange)
    .filter(r => r.method === 'GET' && r.path.includes('/git/blobs/'))
  expect(blobReads.length).toBeLessThanOrEqual(2)
  expect(changed.outputs['pull-request-operation']).toBe('created')
  expect(changed.outputs.modified).toBe('3') // the flow, the queue and the manifest
  const second = openPulls()[0]
  expect(second.body).toContain(`${flow.version} → ${newVersion}`)
  expect(second.body).toContain('acwSettings.timeoutMs')
  expect(second.body).toContain('987654')

  // 6. Another change while that PR is open: the same PR is updated.
  sim.editQueue(queue.id, { acwSettings: { timeoutMs: 123456 } })
  const updated = await act(await checkout())
  expect(updated.outputs['pull-request-operation']).toBe('updated')
  expect(updated.outputs['pull-request-number']).toBe(String(second.number))
  expect(openPulls()[0].body).toContain('123456')

  // 7. Merge it, change the queue, then change it back: the PR that no longer differs is closed.
  await gh.mergePull(second.number)
  sim.editQueue(queue.id, { acwSettings: { timeoutMs: 5000 } })
  const third = await act(await checkout())
  expect(third.outputs['pull-request-operation']).toBe('created')
  sim.editQueue(queue.id, { acwSettings: { timeoutMs: 123456 } })
  const reverted = await act(await checkout())
  expect(reverted.outputs['pull-request-operation']).toBe('closed')
  expect(reverted.outputs.changed).toBe('false')
  expect(openPulls()).toEqual([])

  // 8. A flow is deleted: check mode fails on drift (or only reports it), and the next PR removes the file.
  const deleted = manifest.resources.find(
    (r: { kind: string; id: string }) => r.kind === 'flow' && r.id !== flow.id
  )
  sim.deleteFlow(deleted.id)
  const drift = await act(await checkout(), { mode: 'check' })
  expect(drift.exitCode).toBe(1)
  expect(drift.outputs.changed).toBe('true')
  expect(drift.annotations.some(a => a.properties.file?.startsWith('genesys/'))).toBe(true)
  const tolerated = await act(await checkout(), { mode: 'check', 'fail-on-drift': 'false' })
  expect(tolerated.exitCode).toBe(0)
  expect(tolerated.outputs.changed).toBe('true')
  const removal = await act(await checkout())
  expect(removal.exitCode).toBe(0)
  expect(removal.outputs['pull-request-operation']).toBe('created')
  expect(Number(removal.outputs.removed)).toBeGreaterThanOrEqual(1)
  expect(await gh.listFiles('genesys-snapshot', 'genesys/')).not.toContain(`genesys/${deleted.path}`)
  expect(await gh.readFile('main', `genesys/${deleted.path}`)).toBeDefined()

  // 9. A hand edit to the committed snapshot fails validate mode, naming the file.
  const tampered = await checkout()
  const target = path.join(tampered, 'genesys', queue.path)
  await writeFile(target, (await readFile(target, 'utf8')) + 'extra: field\n')
  const invalid = await act(tampered, { mode: 'validate', 'client-id': '', 'client-secret': '' })
  expect(invalid.exitCode).toBe(1)
  expect(
    invalid.annotations.some(a => a.level === 'error' && a.properties.file === `genesys/${queue.path}`)
  ).toBe(true)
  // Check mode sees it as drift on that file (its manifest entry still agrees with the org's).
  const handDrift = await act(tampered, { mode: 'check' })
  expect(handDrift.exitCode).toBe(1)
  expect(handDrift.annotations.some(a => a.properties.file === `genesys/${queue.path}`)).toBe(true)

  // 10. More problems than GitHub shows annotations (10 of a level a step): the failure stays among
  // them, and every file is still named in the log.
  const many = await checkout()
  const edited = (await filesUnder(path.join(many, 'genesys')))
    .filter(f => f.endsWith('.yaml'))
    .slice(0, 14)
    .map(f => `genesys/${f}`)
  expect(edited).toHaveLength(14)
  for (const f of edited)
    await writeFile(path.join(many, f), (await readFile(path.join(many, f), 'utf8')) + 'x: 1\n')
  const perLevel = (r: ActionRun, level: string) => r.annotations.filter(a => a.level === level)
  const manyInvalid = await act(many, { mode: 'validate', 'client-id': '', 'client-secret': '' })
  expect(manyInvalid.exitCode).toBe(1)
  const errors = perLevel(manyInvalid, 'error')
  expect(errors.length).toBeLessThanOrEqual(10)
  expect(errors.at(-1)!.message).toMatch(/has 14 problem\(s\)/)
  const manyDrift = await act(many, { mode: 'check' })
  expect(manyDrift.exitCode).toBe(1)
  expect(perLevel(manyDrift, 'warning').length).toBeLessThanOrEqual(10)
  expect(perLevel(manyDrift, 'error').at(-1)!.message).toMatch(/^Drift: /)
  for (const f of edited) {
    expect([f, manyInvalid.stdout.includes(f), manyDrift.stdout.includes(f)]).toEqual([f, true, true])
  }
}, 240_000)

test('a workspace without the base checked out: refused before the export; another ref checked out: warned', async () => {
  // After the life above, main holds a snapshot. A workflow that skips actions/checkout would
  // export everything, could rename files and show what it cannot read as deleted: it is stopped.
  const empty = path.join(scratch, 'no-checkout')
  await mkdir(empty, { recursive: true })
  const mark = gh.requests().length
  sim.resetStats()
  const bare = await act(empty)
  expect(bare.exitCode).toBe(1)
  const error = bare.annotations.find(a => a.level === 'error')!.message
  expect(error).toMatch(/genesys\/manifest\.json is on main but not in the workspace/)
  expect(error).toMatch(/actions\/checkout/)
  expect(writes(mark)).toEqual([])
  expect(sim.stats().byEndpoint['POST /api/v2/flows/export/jobs']).toBeUndefined()
  expect(await readdir(empty)).toEqual([])

  // The snapshot branch checked out instead of main: the run goes on, and says the checkout is not the base.
  const other = await act(await checkout('genesys-snapshot'))
  expect(other.exitCode).toBe(0)
  expect(
    other.annotations.some(
      a => a.level === 'warning' && /manifest\.json in the workspace is not the one on main/.test(a.message)
    )
  ).toBe(true)
  // On main's own checkout there is no such warning.
  const own = await act(await checkout())
  expect(own.annotations.some(a => /is not the one on main/.test(a.message))).toBe(false)
}, 120_000)

test('nothing the action emits holds a secret', async () => {
  expect(runs.length).toBeGreaterThan(0)
  const secrets = [sim.clientSecret, gh.token, ...sim.seededSecrets()]
  expect(sim.seededSecrets().length).toBeGreaterThan(0)
  for (const run of runs) {
    // ::add-mask:: lines are consumed by the runner and never shown; everything else is.
    const stdout = run.stdout
      .split('\n')
      .filter(line => !line.startsWith('::add-mask::'))
      .join('\n')
    const emitted = [stdout, run.stderr, run.summary, JSON.stringify(run.outputs)].join('\n')
    for (const secret of secrets) expect(emitted).not.toContain(secret)
    // The runner masks the secret and the token from the moment the action starts.
    const expectedMasks = [run.given['client-secret'], gh.token].filter(Boolean)
    expect(run.masked).toEqual(expect.arrayContaining(expectedMasks))
  }
  for (const pr of gh.pulls()) for (const secret of secrets) expect(pr.body ?? '').not.toContain(secret)
  for (const branch of ['main', 'genesys-snapshot']) {
    for (const file of await gh.listFiles(branch, 'genesys/')) {
      const text = (await gh.readFile(branch, file)) ?? ''
      for (const secret of secrets) expect(text).not.toContain(secret)
    }
  }
})
