// Issue 6, inputs: each malformed or contradictory input, through the bundle as a runner runs it,
// is refused before any request (the sim and the GitHub stand-in count none) with a message that
// names the input, and the workspace is left as it was.
import { cp, rm } from 'node:fs/promises'
import path from 'node:path'
import { VirtualClock } from '../src/common/clock.js'
import { startGitHubStandIn, type GitHubStandIn } from '../test/github/index.js'
import { startSimOrg, type SimOrg } from '../test/sim/index.js'
import { recordBundleRun, runBundle, type BundleRun } from '../test/support/reliability-bundle.js'
import { Emissions, knownSecrets } from '../test/support/reliability-emissions.js'
import { ORG, runInProcess, scratchDir, stableMessage, treeOf } from '../test/support/in-process.js'
import { ReliabilityReport } from '../test/support/reliability-report.js'

const report = new ReliabilityReport('reliability-inputs')
const emissions = new Emissions()
const runs: BundleRun[] = []

let sim: SimOrg
let gh: GitHubStandIn
let dir: string
/** A workspace holding a valid snapshot, copied for each case. */
let template: string

beforeAll(async () => {
  dir = await scratchDir('reliability-inputs')
  const clock = new VirtualClock()
  sim = await startSimOrg({ ...ORG, clock })
  gh = await startGitHubStandIn({ owner: 'acme', repo: 'contact-center' })
  template = path.join(dir, 'template')
  const made = await runInProcess({ sim, clock, workspace: template, label: 'template' })
  expect(made.failure).toBeUndefined()
  sim.resetStats()
}, 60_000)

afterAll(async () => {
  await sim?.close()
  await gh?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
  await report.write()
})

let cases = 0

/** Runs the bundle with `inputs` over working defaults; returns the run and the requests it made. */
async function act(inputs: Record<string, string>) {
  const workspace = path.join(dir, `ws-${++cases}`)
  await cp(template, workspace, { recursive: true })
  const before = await treeOf(workspace)
  const simBefore = sim.stats().total
  const ghBefore = gh.requests().length
  const run = await runBundle({
    workspace,
    inputs: {
      'client-id': sim.clientId,
      'client-secret': sim.clientSecret,
      'api-url': sim.url,
      ...inputs
    },
    githubToken: gh.token,
    env: { GITHUB_REPOSITORY: `${gh.owner}/${gh.repo}`, GITHUB_API_URL: gh.url }
  })
  runs.push(run)
  await recordBundleRun(emissions, `inputs case ${cases}`, run, workspace)
  return {
    run,
    requests: sim.stats().total - simBefore + gh.requests().length - ghBefore,
    unchanged: JSON.stringify(await treeOf(workspace)) === JSON.stringify(before)
  }
}

/** A refused input: failed step, error naming the input, no request, workspace as it was. */
async function refused(inputs: Record<string, string>, input: string): Promise<string> {
  const { run, requests, unchanged } = await act(inputs)
  expect(run.exitCode).toBe(1)
  expect(requests).toBe(0)
  expect(unchanged).toBe(true)
  const errors = run.annotations.filter(a => a.level === 'error')
  expect(errors).toHaveLength(1)
  expect(errors[0].message).toContain(`Input '${input}'`)
  return stableMessage(errors[0].message)
}

const REFUSED = (input: string) =>
  `Failed step before any request (0 to the org, 0 to GitHub), the error naming '${input}', the workspace untouched`

const BAD: { what: string; inputs: Record<string, string>; input: string }[] = [
  { what: 'Unknown mode (mode: backup)', inputs: { mode: 'backup' }, input: 'mode' },
  {
    what: 'Unknown region (region: mars-central-1)',
    inputs: { region: 'mars-central-1', 'api-url': '' },
    input: 'region'
  },
  {
    what: 'Unknown flow type (flow-types: inboundcall, ivr)',
    inputs: { 'flow-types': 'inboundcall, ivr' },
    input: 'flow-types'
  },
  {
    what: 'Unknown dependency kind (dependencies: queues, wrapup-codes)',
    inputs: { dependencies: 'queues, wrapup-codes' },
    input: 'dependencies'
  },
  { what: 'Negative concurrency (concurrency: -1)', inputs: { concurrency: '-1' }, input: 'concurrency' },
  { what: 'Zero concurrency (concurrency: 0)', inputs: { concurrency: '0' }, input: 'concurrency' },
  {
    what: 'A request budget that is not a number (requests-per-minute: fast)',
    inputs: { 'requests-per-minute': 'fast' },
    input: 'requests-per-minute'
  },
  {
    what: 'path outside the workspace (path: ../elsewhere)',
    inputs: { path: '../elsewhere' },
    input: 'path'
  },
  {
    what: 'path that climbs out midway (path: config/../../x)',
    inputs: { path: 'config/../../x' },
    input: 'path'
  },
  { what: 'Absolute path (path: /etc/genesys)', inputs: { path: '/etc/genesys' }, input: 'path' },
  { what: 'Windows absolute path (path: C:\\genesys)', inputs: { path: 'C:\\genesys' }, input: 'path' },
  { what: 'path into .git (path: .git/genesys)', inputs: { path: '.git/genesys' }, input: 'path' },
  { what: 'Snapshot mode without client-id', inputs: { 'client-id': '' }, input: 'client-id' },
  { what: 'Snapshot mode without client-secret', inputs: { 'client-secret': '' }, input: 'client-secret' },
  {
    what: 'Check mode without credentials',
    inputs: { mode: 'check', 'client-id': '', 'client-secret': '' },
    input: 'client-id'
  },
  {
    what: 'A pull request asked for with an empty github-token',
    inputs: { 'github-token': '' },
    input: 'github-token'
  },
  {
    what: 'A boolean that is not one (pull-request: maybe)',
    inputs: { 'pull-request': 'maybe' },
    input: 'pull-request'
  },
  {
    what: 'A boolean that is not one (fail-on-drift: sometimes)',
    inputs: { 'fail-on-drift': 'sometimes' },
    input: 'fail-on-drift'
  },
  { what: 'An invalid branch name (branch: snap..shot)', inputs: { branch: 'snap..shot' }, input: 'branch' },
  { what: 'A branch git would take for an option (branch: -x)', inputs: { branch: '-x' }, input: 'branch' },
  { what: 'HEAD as the branch (branch: HEAD)', inputs: { branch: 'HEAD' }, input: 'branch' },
  {
    what: 'The pull request branch is its base (branch: main, base: main)',
    inputs: { branch: 'main', base: 'main' },
    input: 'branch'
  },
  {
    what: 'A dependency list that lists nothing (dependencies: ",")',
    inputs: { dependencies: ',' },
    input: 'dependencies'
  },
  {
    what: 'A team of another organization as reviewer (reviewers: other-org/cc-admins)',
    inputs: { reviewers: 'other-org/cc-admins' },
    input: 'reviewers'
  },
  {
    what: 'api-url that is not a URL (api-url: localhost:8080)',
    inputs: { 'api-url': 'localhost:8080' },
    input: 'api-url'
  },
  {
    what: 'api-url over plain FTP (api-url: ftp://api.example.com)',
    inputs: { 'api-url': 'ftp://api.example.com' },
    input: 'api-url'
  }
]

describe('bad inputs are refused before any request', () => {
  for (const bad of BAD) {
    report.test('inputs', bad.what, REFUSED(bad.input), () => refused(bad.inputs, bad.input))
  }

  report.test(
    'inputs',
    'Credentials in api-url (https://admin:hunter2-password@api.example.com)',
    `${REFUSED('api-url')}, and the password not echoed`,
    async () => {
      const message = await refused(
        { 'api-url': 'https://admin:hunter2-password@api.example.com' },
        'api-url'
      )
      const run = runs[runs.length - 1]
      expect(run.stdout + run.stderr).not.toContain('hunter2-password')
      return message
    }
  )

  report.test(
    'inputs',
    'Validate mode without credentials (and an unreachable api-url)',
    'Fine: validate mode makes no request, needs no credentials, and passes on a valid snapshot',
    async () => {
      const { run, requests, unchanged } = await act({
        mode: 'validate',
        'client-id': '',
        'client-secret': '',
        'api-url': 'http://127.0.0.1:9'
      })
      expect(run.exitCode).toBe(0)
      expect(requests).toBe(0)
      expect(unchanged).toBe(true)
      expect(run.annotations.filter(a => a.level === 'error')).toEqual([])
      return 'passed, 0 requests'
    }
  )
})

describe('secrets', () => {
  report.test(
    'secrets',
    'Everything the bundle runs of the input cases emitted',
    'No client secret, GitHub token or seeded credential anywhere; the client secret masked before anything else is printed',
    async () => {
      expect(runs.length).toBe(BAD.length + 2)
      for (const run of runs) {
        if (run.given['client-secret']) {
          expect(run.stdout.split('\n')[0]).toBe(`::add-mask::${run.given['client-secret']}`)
        }
      }
      expect(emissions.sweep(knownSecrets(sim, [gh.token]))).toEqual([])
      return `${runs.length} runs swept; no leak`
    }
  )
})
