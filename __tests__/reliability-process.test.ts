// Issue 6, process: the bundled action killed with SIGKILL at precise points of a run (the moment
// the slowed sim or the stand-in sees a given request, the moment the swap starts). The workspace
// must hold exactly the old or exactly the new snapshot, and a rerun must end in the new one.
import { watch } from 'node:fs'
import { cp, mkdir, readdir, rename } from 'node:fs/promises'
import path from 'node:path'
import { systemClock } from '../src/common/clock.js'
import type { GitHubStandIn } from '../test/github/index.js'
import type { SimOrg } from '../test/sim/index.js'
import { recordBundleRun, startBundle, type BundleRun } from '../test/support/reliability-bundle.js'
import { Emissions, knownSecrets, type Secret } from '../test/support/reliability-emissions.js'
import {
  BRANCH,
  runCase,
  Scenario,
  simAt,
  snapshotTreeOf,
  SNAPSHOT_PATH,
  treeOf,
  type CaseOutcome
} from '../test/support/in-process.js'
import { ReliabilityReport } from '../test/support/reliability-report.js'

const report = new ReliabilityReport('reliability-process')
const emissions = new Emissions()
const secrets: Secret[] = []
const bundleRuns: { run: BundleRun; tokens: string[] }[] = []

let scenario: Scenario
let clean: CaseOutcome

beforeAll(async () => {
  scenario = await Scenario.prepare()
  clean = await runCase(scenario, { name: 'clean', stage: 'open' })
  expect(clean.run.failure).toBeUndefined()
}, 60_000)

afterAll(async () => {
  await scenario?.close()
  await report.write()
})

/** The org in the 'open' state, on the real clock, every response slowed a little. One per case: cases run together. */
async function slowSim(): Promise<SimOrg> {
  const sim = await simAt('open', systemClock)
  sim.setLatencyMs(15)
  return sim
}

const snapshotOf = (tree: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(tree).filter(([p]) => p.startsWith(`${SNAPSHOT_PATH}/`)))

function sameTree(a: Record<string, string>, b: Record<string, string>): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

async function bundle(
  sim: SimOrg,
  gh: GitHubStandIn,
  workspace: string,
  label: string,
  onStart?: (kill: (why: string) => void) => () => void
): Promise<BundleRun> {
  const tokensBefore = sim.issuedTokens().length
  const { child, done } = await startBundle({
    workspace,
    inputs: {
      'client-id': sim.clientId,
      'client-secret': sim.clientSecret,
      'api-url': sim.url,
      'requests-per-minute': '100000'
    },
    githubToken: gh.token,
    env: { GITHUB_REPOSITORY: `${gh.owner}/${gh.repo}`, GITHUB_API_URL: gh.url }
  })
  let killed = false
  const stop = onStart?.(() => {
    if (killed) return
    killed = true
    child.kill('SIGKILL')
  })
  const run = await done
  stop?.()
  bundleRuns.push({ run, tokens: sim.issuedTokens().slice(tokensBefore) })
  await recordBundleRun(emissions, label, run, workspace, gh)
  return run
}

type Trigger = (sim: SimOrg, gh: GitHubStandIn, workspace: string, kill: (why: string) => void) => () => void

/** Kills at the `count`-th request the sim counts for `key`, before it is answered. */
const atSim =
  (key: string, count = 1): Trigger =>
  (sim, _gh, _ws, kill) =>
    sim.onRequest(info => {
      if (info.key === key && info.count >= count) kill(key)
    })

/** Kills right after the stand-in has answered `operationId`. */
const afterGitHub =
  (operationId: string): Trigger =>
  (_sim, gh, _ws, kill) =>
    gh.onRequest(record => {
      if (record.operationId === operationId) kill(operationId)
    })

/**
 * One kill point: a copy of the prepared state, the bundle killed at the trigger, the state
 * checked (workspace: whole old or whole new snapshot; branch: old or new snapshot folder), then a
 * rerun that must end exactly where a clean run ends (no leftovers, PR up to date).
 */
async function killCase(
  name: string,
  trigger: Trigger,
  expectWorkspace: 'old' | 'old or new'
): Promise<string> {
  const sim = await slowSim()
  const { gh, workspace } = await scenario.start('open', name)
  try {
    const oldTree = await treeOf(workspace)
    const oldBranch = await snapshotTreeOf(gh, BRANCH)
    const killed = await bundle(sim, gh, workspace, `${name} (killed)`, kill =>
      trigger(sim, gh, workspace, kill)
    )
    expect(killed.signal).toBe('SIGKILL')

    const after = await treeOf(workspace)
    const now = snapshotOf(after)
    let state: 'old' | 'new' | 'old (between the renames)'
    if (sameTree(now, snapshotOf(oldTree))) state = 'old'
    else if (sameTree(now, snapshotOf(clean.after.tree))) state = 'new'
    else {
      // Killed between the two renames of the swap: no folder, the old one parked beside it.
      expect(now).toEqual({})
      const parked = (await readdir(workspace)).filter(n => n.startsWith(`.${SNAPSHOT_PATH}.previous-`))
      expect(parked).toHaveLength(1)
      // The parked folder stands in for the snapshot folder, its own entry included.
      const held = snapshotOf({
        [`${SNAPSHOT_PATH}/`]: 'dir',
        ...Object.fromEntries(
          Object.entries(await treeOf(path.join(workspace, parked[0]))).map(([p, h]) => [
            `${SNAPSHOT_PATH}/${p}`,
            h
          ])
        )
      })
      expect(held).toEqual(snapshotOf(oldTree))
      state = 'old (between the renames)'
    }
    if (expectWorkspace === 'old') expect(state).toBe('old')
    const branch = await snapshotTreeOf(gh, BRANCH)
    expect([oldBranch, clean.after.branchTree]).toContain(branch)

    const rerun = await bundle(sim, gh, workspace, `${name} (rerun)`)
    expect(rerun.stderr).toBe('')
    expect(rerun.exitCode).toBe(0)
    expect(await treeOf(workspace)).toEqual(clean.after.tree)
    expect(await snapshotTreeOf(gh, BRANCH)).toBe(clean.after.branchTree)
    const open = gh.pulls().filter(p => p.state === 'open')
    const cleanOpen = clean.after.github.pulls.filter(p => p.state === 'open')
    expect(open.map(p => ({ number: p.number, title: p.title, body: p.body }))).toEqual(
      cleanOpen.map(p => ({ number: p.number, title: p.title, body: p.body }))
    )
    return expectWorkspace === 'old'
      ? `workspace held the old snapshot, the branch the ${branch === oldBranch ? 'old' : 'new'} one; the rerun ended in the new snapshot, PR #2 up to date`
      : 'workspace held one whole snapshot; the rerun ended in the new snapshot, PR #2 up to date'
  } finally {
    secrets.push(...knownSecrets(sim, [gh.token]))
    await gh.close()
    await sim.close()
  }
}

/** Kill cases run together: each has its own sim, stand-in and workspace. */
const KILL = { timeoutMs: 90_000, concurrent: true }

const RECOVERS =
  'The workspace holds exactly the old snapshot, the PR branch the old snapshot folder; a rerun ends in the new snapshot (workspace, branch and PR as a clean run leaves them, no leftovers)'

describe('killed with SIGKILL', () => {
  report.test(
    'process',
    'Killed while logging in',
    RECOVERS,
    () => killCase('kill-login', atSim('POST /oauth/token'), 'old'),
    KILL
  )

  report.test(
    'process',
    'Killed while listing flows',
    RECOVERS,
    () => killCase('kill-listing', atSim('GET /api/v2/flows'), 'old'),
    KILL
  )

  report.test(
    'process',
    'Killed while reading dependencies',
    RECOVERS,
    () =>
      killCase(
        'kill-dependencies',
        atSim('GET /api/v2/architect/dependencytracking/consumedresources'),
        'old'
      ),
    KILL
  )

  report.test(
    'process',
    'Killed while downloading an export',
    RECOVERS,
    () => killCase('kill-download', atSim('GET /sim/downloads/{token}'), 'old'),
    KILL
  )

  report.test(
    'process',
    'Killed after the snapshot tree was created on GitHub, before the commit',
    RECOVERS,
    () => killCase('kill-tree', afterGitHub('git/create-tree'), 'old'),
    KILL
  )

  report.test(
    'process',
    'Killed after the PR branch was moved, before the PR was updated',
    'The workspace holds exactly the old snapshot, the branch the new snapshot folder; a rerun ends in the new snapshot with the PR body brought up to date',
    () => killCase('kill-ref', afterGitHub('git/update-ref'), 'old'),
    KILL
  )

  report.test(
    'process',
    'Killed after the PR was updated, while the new snapshot is swapped into the workspace',
    'The workspace holds exactly the old or exactly the new snapshot; a rerun ends in the new snapshot with nothing left over',
    () => killCase('kill-pr', afterGitHub('pulls/update'), 'old or new'),
    KILL
  )

  report.test(
    'process',
    'Killed the moment the swap starts (the folder that parks the old snapshot appears)',
    'The workspace holds the old snapshot, the new one, or (between the two renames) no folder and the whole old one parked beside it; a rerun restores and ends in the new snapshot',
    () =>
      killCase(
        'kill-swap',
        (_sim, _gh, workspace, kill) => {
          const watcher = watch(workspace, (_event, file) => {
            if (file?.startsWith(`.${SNAPSHOT_PATH}.previous-`)) kill('swap')
          })
          return () => watcher.close()
        },
        'old or new'
      ),
    KILL
  )

  report.test(
    'process',
    'Killed between the two renames of the swap (the state made by hand: no snapshot folder, the old one parked, a half-written staging folder)',
    'The rerun restores the parked snapshot, removes the leftovers and ends in the new snapshot, exactly as a clean run',
    async () => {
      const sim = await slowSim()
      const { gh, workspace } = await scenario.start('open', 'between-renames')
      try {
        const folder = path.join(workspace, SNAPSHOT_PATH)
        const staging = path.join(workspace, `.${SNAPSHOT_PATH}.staging-killed`)
        await mkdir(staging)
        await cp(path.join(folder, 'queues'), path.join(staging, 'queues'), { recursive: true })
        await rename(folder, path.join(workspace, `.${SNAPSHOT_PATH}.previous-killed`))
        const rerun = await bundle(sim, gh, workspace, 'between-renames (rerun)')
        expect(rerun.exitCode).toBe(0)
        expect(rerun.annotations.some(a => a.level === 'warning' && /Restored/.test(a.message))).toBe(true)
        expect(await treeOf(workspace)).toEqual(clean.after.tree)
        expect(await snapshotTreeOf(gh, BRANCH)).toBe(clean.after.branchTree)
        return 'restored with a warning; same workspace as a clean run'
      } finally {
        secrets.push(...knownSecrets(sim, [gh.token]))
        await gh.close()
        await sim.close()
      }
    },
    KILL
  )
})

describe('secrets', () => {
  report.test(
    'secrets',
    'Everything the bundle runs of the kill cases emitted',
    'No client secret, access token, GitHub token or seeded credential anywhere; the client secret masked before anything else is printed, every token masked',
    async () => {
      expect(bundleRuns.length).toBeGreaterThan(10)
      for (const { run, tokens } of bundleRuns) {
        const firstLine = run.stdout.split('\n')[0]
        if (run.stdout !== '') expect(firstLine).toBe(`::add-mask::${run.given['client-secret']}`)
        // A killed run may not have received the token the sim issued; a finished one used them all.
        if (run.signal === null) for (const token of tokens) expect(run.masked).toContain(token)
      }
      expect(emissions.sweep(secrets)).toEqual([])
      return `${bundleRuns.length} runs swept; no leak`
    }
  )
})
