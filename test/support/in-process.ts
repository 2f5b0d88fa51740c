/**
 * The whole pipeline in-process: real GenesysClient against the simulated org, real Octokit against
 * the GitHub stand-in, one VirtualClock for all of them. Used by the export, budget and reliability
 * tests, with the prepared states the fault cases start from and the comparisons they end with
 * (workspace trees, refs, pull requests, the snapshot folder on the PR branch).
 */
import { createHash } from 'node:crypto'
import { cp, mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { VirtualClock, type Clock } from '../../src/common/clock.js'
import { memoryLog, type LoggedLine } from '../../src/common/log.js'
import {
  clientOptionsFromInputs,
  GenesysClient,
  type GenesysClientOptions
} from '../../src/genesys/client.js'
import { createOctokit, type OctokitOptions } from '../../src/github/octokit.js'
import { readInputs } from '../../src/inputs.js'
import { baseOutputs, runPipeline, type Outputs } from '../../src/pipeline.js'
import {
  changesRepository,
  startGitHubStandIn,
  type Faults as GitHubFaults,
  type GitHubStandIn,
  type PullRequestRecord
} from '../github/index.js'
import { startSimOrg, type Faults, type SimOptions, type SimOrg } from '../sim/index.js'
import { git, knownSecrets, type Emissions, type Secret } from './reliability-emissions.js'

/** The org every end-to-end fault case snapshots (every flow type, awkward names, credentials). */
export const ORG: SimOptions = { seed: 21, flows: 30 }
export const SNAPSHOT_PATH = 'genesys'
export const BRANCH = 'genesys-snapshot'

export interface InProcessRun {
  /** As the step ends: undefined when it succeeded, else the message core.setFailed would print. */
  failure?: string
  /** The error that stopped the run (thrown by readInputs, or returned by runPipeline as `error`). */
  error?: unknown
  /** Set whenever runPipeline ran, also when the run failed. */
  outputs?: Outputs
  lines: LoggedLine[]
  /** Values the run registered as secrets (core.setSecret), in order. */
  secrets: string[]
  summary: string
  /** Tokens the sim saw in use before the run had registered them as secrets. */
  unmaskedTokenUses: number
  /** Access tokens the sim issued during the run. */
  tokens: string[]
  /** API requests the sim counted during the run. */
  genesysRequests: number
  /** Requests the GitHub stand-in received during the run. */
  githubRequests: number
}

export interface RunOptions {
  sim: SimOrg
  gh?: GitHubStandIn
  clock: Clock
  workspace: string
  /** Inputs by action.yml name, over the defaults (credentials, api-url, github-token). */
  inputs?: Record<string, string>
  client?: Partial<GenesysClientOptions>
  octokit?: Partial<OctokitOptions>
  /** Everything the run emits is added here for the secrets sweep. */
  emissions?: Emissions
  /** Writing the job summary fails with this message (as a full disk or an oversized file would). */
  summaryError?: string
  label: string
}

/**
 * Runs the action's pipeline in-process as main.ts does: masks the secret inputs first, reads the
 * inputs, builds the edges (here on the given clock), turns a thrown error into the step's failure.
 */
export async function runInProcess(options: RunOptions): Promise<InProcessRun> {
  const { sim, gh, clock, workspace } = options
  const given: Record<string, string> = {
    'client-id': sim.clientId,
    'client-secret': sim.clientSecret,
    'api-url': sim.url,
    'github-token': gh?.token ?? '',
    'pull-request': gh ? 'true' : 'false',
    ...options.inputs
  }
  const log = memoryLog()
  let summary = ''
  let unmaskedTokenUses = 0
  const simBefore = sim.stats().total
  const tokensBefore = sim.issuedTokens().length
  const ghBefore = gh?.requests().length ?? 0
  // A token must be registered as a secret before the first request that carries it.
  const stop = sim.onRequest(info => {
    const token = /^bearer\s+(\S+)/i.exec(info.authorization ?? '')?.[1]
    if (token && !log.secrets.includes(token)) unmaskedTokenUses++
  })
  const run: InProcessRun = {
    lines: log.lines,
    secrets: log.secrets,
    summary: '',
    unmaskedTokenUses: 0,
    tokens: [],
    genesysRequests: 0,
    githubRequests: 0
  }
  try {
    for (const name of ['client-secret', 'github-token']) if (given[name]) log.secret(given[name])
    const inputs = readInputs(name => given[name] ?? '', {
      GITHUB_WORKSPACE: workspace,
      GITHUB_REPOSITORY: gh ? `${gh.owner}/${gh.repo}` : 'acme/contact-center',
      GITHUB_API_URL: gh?.url ?? 'https://api.github.invalid'
    })
    const outcome = await runPipeline(inputs, {
      log,
      clock,
      genesys: i => new GenesysClient({ ...clientOptionsFromInputs(i), clock, log, ...options.client }),
      github: i =>
        createOctokit(i.githubToken, {
          baseUrl: i.githubApiUrl,
          log,
          clock,
          retryBackoffMs: 0,
          ...options.octokit
        }),
      summary: async markdown => {
        if (options.summaryError) throw new Error(options.summaryError)
        summary += markdown
      }
    })
    run.outputs = outcome.outputs
    run.failure = outcome.failure
    run.error = outcome.error
  } catch (error) {
    run.error = error
    run.failure = error instanceof Error ? error.message : String(error)
  } finally {
    stop()
  }
  run.summary = summary
  run.unmaskedTokenUses = unmaskedTokenUses
  run.tokens = sim.issuedTokens().slice(tokensBefore)
  run.genesysRequests = sim.stats().total - simBefore
  run.githubRequests = (gh?.requests().length ?? 0) - ghBefore
  if (options.emissions) await recordRun(options.emissions, options.label, run, workspace, gh)
  return run
}

/** Adds what a run emitted (log, annotations, summary, outputs, failure, files, commits, PR bodies). */
export async function recordRun(
  emissions: Emissions,
  label: string,
  run: InProcessRun,
  workspace: string,
  gh?: GitHubStandIn
): Promise<void> {
  emissions.add(
    `${label}: log`,
    run.lines.map(l => `${l.level} ${l.message} ${JSON.stringify(l.annotation ?? {})}`).join('\n')
  )
  emissions.add(`${label}: job summary`, run.summary)
  emissions.add(`${label}: outputs`, JSON.stringify(run.outputs ?? {}))
  emissions.add(`${label}: failure`, run.failure ?? '')
  if (run.error instanceof Error) emissions.add(`${label}: error stack`, run.error.stack ?? '')
  await emissions.addFolder(`${label}: workspace`, workspace)
  if (gh) await emissions.addGitHub(`${label}: GitHub`, gh)
}

export async function scratchDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), `${prefix}-`))
}

/** Every file and folder under `dir` (except .git) → sha256 of its bytes ('dir' for folders), sorted. */
export async function treeOf(dir: string): Promise<Record<string, string>> {
  const out: [string, string][] = []
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw error
  }
  for (const entry of entries) {
    const full = path.join(entry.parentPath, entry.name)
    const rel = path.relative(dir, full).split(path.sep).join('/')
    if (rel === '.git' || rel.startsWith('.git/')) continue
    if (entry.isDirectory()) out.push([`${rel}/`, 'dir'])
    else if (entry.isSymbolicLink()) out.push([rel, 'symlink'])
    else
      out.push([
        rel,
        createHash('sha256')
          .update(await readFile(full))
          .digest('hex')
      ])
  }
  out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return Object.fromEntries(out)
}

/** Every ref of the stand-in's repository → sha. */
export async function refsOf(gh: GitHubStandIn): Promise<Record<string, string>> {
  const text = await git(gh.bareRepo, ['for-each-ref', '--format=%(refname) %(objectname)'])
  return Object.fromEntries(
    text
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(line => line.split(' ') as [string, string])
  )
}

/** The git tree id of the snapshot folder on `ref` (equal ids: byte-identical folders), or undefined. */
export async function snapshotTreeOf(gh: GitHubStandIn, ref: string): Promise<string | undefined> {
  try {
    return (await git(gh.bareRepo, ['rev-parse', `${ref}:${SNAPSHOT_PATH}`])).trim()
  } catch {
    return undefined
  }
}

/** What GitHub holds: refs and pull requests (everything a failed run must leave as it was). */
export interface GitHubState {
  refs: Record<string, string>
  pulls: PullRequestRecord[]
}

export async function gitHubState(gh: GitHubStandIn): Promise<GitHubState> {
  return { refs: await refsOf(gh), pulls: gh.pulls() }
}

/** Writes the stand-in received after request number `since` (all but the write-permission probe). */
export function writesSince(gh: GitHubStandIn, since: number): string[] {
  return gh
    .requests()
    .slice(since)
    .filter(changesRepository)
    .map(r => `${r.method} ${r.path} → ${r.status}`)
}

/**
 * The org changes the scenario goes through, applied to a fresh sim of the same seed they give the
 * same org, byte for byte: after the first snapshot is merged (B), and while its successor's PR is
 * open (C).
 */
function changeB(sim: SimOrg): void {
  const flows = publishedFlows(sim)
  sim.publishFlow(flows[0].id)
  sim.editQueue(sim.org.queues[0].id, { acwSettings: { timeoutMs: 45000 } })
}

function changeC(sim: SimOrg): void {
  const flows = publishedFlows(sim)
  sim.publishFlow(flows[1].id)
  sim.editQueue(sim.org.queues[1].id, { description: 'Changed while the snapshot PR was open' })
}

export function publishedFlows(sim: SimOrg) {
  return [...sim.org.flows]
    .filter(f => !f.deleted && f.publishedVersion)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

export type Stage = 'merged' | 'open'

/** A fresh sim (on `clock`) with the org as it is at `stage`: changes B (and C for 'open') made. */
export async function simAt(stage: Stage, clock: Clock, extra: SimOptions = {}): Promise<SimOrg> {
  const sim = await startSimOrg({ ...ORG, clock, ...extra })
  changeB(sim)
  if (stage === 'open') changeC(sim)
  return sim
}

/**
 * The prepared states the cases start from, built once with clean runs:
 * - 'merged': main holds snapshot v1 (the first PR, merged), the org has changed since (B), the
 *   snapshot branch still exists but no PR is open: a run creates a PR.
 * - 'open': as 'merged', plus an open PR holding v2, and the org has changed again (C): a run
 *   updates that PR.
 * Each case starts a copy of the stand-in and a checkout of main as its workspace.
 */
export class Scenario {
  private constructor(
    readonly dir: string,
    private readonly templates: Record<Stage, GitHubStandIn>
  ) {}

  static async prepare(): Promise<Scenario> {
    const dir = await scratchDir('reliability')
    const clock = new VirtualClock()
    const sim = await startSimOrg({ ...ORG, clock })
    const gh = await startGitHubStandIn({ owner: 'acme', repo: 'contact-center', defaultBranch: 'main' })
    try {
      await gh.commitFiles('main', { 'README.md': '# Contact center configuration\n' }, 'Initial commit')
      const run = async (label: string): Promise<void> => {
        const workspace = path.join(dir, `prepare-${label}`)
        await gh.checkout('main', workspace)
        const result = await runInProcess({ sim, gh, clock, workspace, label })
        if (result.failure) throw new Error(`Preparing the scenario (${label}) failed: ${result.failure}`)
      }
      await run('v1')
      await gh.mergePull(gh.pulls()[0].number)
      changeB(sim)
      const merged = await startGitHubStandIn({ copyOf: gh })
      await run('v2')
      changeC(sim)
      const open = await startGitHubStandIn({ copyOf: gh })
      return new Scenario(dir, { merged, open })
    } finally {
      await sim.close()
      await gh.close()
    }
  }

  /** A stand-in in the state of `stage`, and a fresh checkout of main as the workspace. */
  async start(stage: Stage, name: string): Promise<{ gh: GitHubStandIn; workspace: string }> {
    const gh = await startGitHubStandIn({ copyOf: this.templates[stage] })
    const workspace = path.join(this.dir, `ws-${name}`)
    await rm(workspace, { recursive: true, force: true })
    await gh.checkout('main', workspace)
    return { gh, workspace }
  }

  /** A copy of a workspace folder (for cases that compare two runs from the same start). */
  async copyWorkspace(from: string, name: string): Promise<string> {
    const to = path.join(this.dir, `ws-${name}`)
    await rm(to, { recursive: true, force: true })
    await cp(from, to, { recursive: true })
    return to
  }

  async close(): Promise<void> {
    await this.templates.merged.close()
    await this.templates.open.close()
    await rm(this.dir, { recursive: true, force: true })
  }
}

/**
 * The messages the report quotes, made stable from run to run: the random ports of the local
 * servers and Genesys's per-request context ids vary, nothing else does.
 */
export function stableMessage(text: string): string {
  return (
    text
      .replace(/http:\/\/127\.0\.0\.1:\d+/g, 'http://127.0.0.1:<port>')
      .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>')
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<id>')
      // Commits made during a case carry its time in their ids.
      .replace(/\bcommit [0-9a-f]{7,40}\b/g, 'commit <sha>')
  )
}

/** How a case ended, and the state before and after it. */
export interface CaseOutcome {
  run: InProcessRun
  before: { tree: Record<string, string>; github: GitHubState }
  after: { tree: Record<string, string>; github: GitHubState; branchTree?: string }
  /** What the sim counted (faults injected, rate limits, tokens) during the case. */
  sim: ReturnType<SimOrg['stats']>
  /** The GitHub writes the run made. */
  writes: string[]
  gh: GitHubStandIn
  simOrg: SimOrg
  inspected: Record<string, unknown>
}

export interface CaseSpec {
  name: string
  stage: Stage
  simOptions?: SimOptions
  faults?: Partial<Faults>
  /** Changes to the org made after the stage's own (e.g. a flow published again). */
  prepareSim?: (sim: SimOrg) => void
  ghFaults?: GitHubFaults
  /** Changes to the repository made after the stage's own (e.g. someone's commits on a branch). */
  prepareGitHub?: (gh: GitHubStandIn) => Promise<void>
  inputs?: Record<string, string>
  client?: Partial<GenesysClientOptions>
  octokit?: Partial<OctokitOptions>
  emissions?: Emissions
  /** Filled with the secrets the case knew (client secret, tokens, seeded credentials). */
  secrets?: Secret[]
  /** Looks at the stand-in after the run, before it is closed; the result is `inspected`. */
  inspect?: (gh: GitHubStandIn) => Promise<Record<string, unknown>>
  summaryError?: string
}

/**
 * One case: a fresh sim in the stage's org state with the faults on, a copy of the stage's GitHub
 * state, a fresh checkout of main; the run; the state after. The servers are closed before it returns.
 */
export async function runCase(scenario: Scenario, spec: CaseSpec): Promise<CaseOutcome> {
  const clock = new VirtualClock()
  const sim = await simAt(spec.stage, clock, spec.simOptions)
  const { gh, workspace } = await scenario.start(spec.stage, spec.name)
  try {
    spec.prepareSim?.(sim)
    await spec.prepareGitHub?.(gh)
    if (spec.faults) sim.setFaults(spec.faults)
    if (spec.ghFaults) gh.setFaults(spec.ghFaults)
    sim.resetStats()
    const before = { tree: await treeOf(workspace), github: await gitHubState(gh) }
    const mark = gh.requests().length
    const run = await runInProcess({
      sim,
      gh,
      clock,
      workspace,
      inputs: spec.inputs,
      client: spec.client,
      octokit: spec.octokit,
      emissions: spec.emissions,
      summaryError: spec.summaryError,
      label: spec.name
    })
    gh.setFaults({})
    const after = {
      tree: await treeOf(workspace),
      github: await gitHubState(gh),
      branchTree: await snapshotTreeOf(gh, BRANCH)
    }
    spec.secrets?.push(...knownSecrets(sim, [gh.token]))
    const inspected = (await spec.inspect?.(gh)) ?? {}
    return { run, before, after, sim: sim.stats(), writes: writesSince(gh, mark), gh, simOrg: sim, inspected }
  } finally {
    await sim.close()
    await gh.close()
  }
}

/** The outcome facts two runs of the same snapshot share. */
export function snapshotFacts(outcome: CaseOutcome) {
  const o = outcome.run.outputs
  return {
    workspace: outcome.after.tree,
    branchTree: outcome.after.branchTree,
    outputs: o && {
      changed: o.changed,
      added: o.added,
      modified: o.modified,
      removed: o.removed,
      flows: o.flows,
      queues: o.queues,
      skills: o.skills,
      'data-actions': o['data-actions'],
      'pull-request-number': o['pull-request-number'],
      'pull-request-operation': o['pull-request-operation']
    },
    openPulls: outcome.after.github.pulls
      .filter(p => p.state === 'open')
      .map(p => ({ number: p.number, head: p.head.ref, base: p.base.ref, title: p.title }))
  }
}

/** A transient fault: the run succeeded and left exactly what a clean run leaves. */
export function expectSameAsClean(outcome: CaseOutcome, clean: CaseOutcome): void {
  if (outcome.run.failure !== undefined) throw new Error(`The run failed: ${outcome.run.failure}`)
  expect(snapshotFacts(outcome)).toEqual(snapshotFacts(clean))
}

/**
 * A run that failed still sets every output, as a run that changed nothing: changed false, counts 0,
 * no pull request operation, the manifest's path; and `requests` the Genesys requests it made
 * (attempts included, so it can exceed what the sim received when connections fail).
 */
export function expectFailedRunOutputs(outcome: CaseOutcome): void {
  expect(outcome.run.outputs).toEqual({
    ...baseOutputs(SNAPSHOT_PATH),
    requests: expect.stringMatching(/^\d+$/)
  })
}

/**
 * A permanent fault: the step failed with a message that matches each pattern (endpoint, status,
 * what to do), and the workspace, every ref and every pull request are exactly as before.
 */
export function expectCleanFailure(outcome: CaseOutcome, patterns: RegExp[]): string {
  const failure = outcome.run.failure
  expect(failure).toBeDefined()
  for (const pattern of patterns) expect(failure).toMatch(pattern)
  expect(outcome.after.tree).toEqual(outcome.before.tree)
  expect(outcome.after.github).toEqual(outcome.before.github)
  expectFailedRunOutputs(outcome)
  return stableMessage(failure!)
}
