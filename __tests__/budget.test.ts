// The request budgets of a snapshot (issue 5), held in CI. Requests are deterministic for a seed, so
// these are counts, never times (`npm run bench` measures time and memory). The pipeline runs
// in-process against the simulated org over real HTTP; the sim and the client share one virtual
// clock, so pacing, polls and waits cost no real time.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { VirtualClock } from '../src/common/clock.js'
import type { Outputs } from '../src/pipeline.js'
import type { Manifest } from '../src/snapshot/model.js'
import { startSimOrg, type SimOrg } from '../test/sim/index.js'
import { runInProcess, treeOf, type InProcessRun } from '../test/support/in-process.js'

let scratch: string
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'budget-'))
})
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

let workspaces = 0
const newWorkspace = (): string => path.join(scratch, `ws-${++workspaces}`)

interface Run extends InProcessRun {
  outputs: Outputs
  manifest: Manifest
  /** What the org counted during the run: every request, login and downloads included. */
  requests: number
  byEndpoint: Record<string, number>
  rateLimited: number
}

/** A snapshot run of the pipeline in-process (test/support), without GitHub, on the sim's clock. */
async function snapshot(sim: SimOrg, workspace: string, values: Record<string, string> = {}): Promise<Run> {
  sim.resetStats()
  const run = await runInProcess({ sim, clock: sim.clock, workspace, inputs: values, label: 'budget' })
  if (run.error) throw run.error
  const stats = sim.stats()
  const manifest = JSON.parse(
    await readFile(path.join(workspace, 'genesys', 'manifest.json'), 'utf8')
  ) as Manifest
  return {
    ...run,
    outputs: run.outputs!,
    manifest,
    requests: stats.total,
    byEndpoint: stats.byEndpoint,
    rateLimited: stats.rateLimited
  }
}

const count = (run: Run, endpoint: string): number => run.byEndpoint[endpoint] ?? 0
const kinds = (run: Run, kind: string): number => run.manifest.resources.filter(r => r.kind === kind).length

describe('an org of 2,000 flows', () => {
  let sim: SimOrg
  let workspace: string
  let full: Run
  beforeAll(async () => {
    sim = await startSimOrg({ seed: 7, flows: 2000, clock: new VirtualClock() })
    workspace = newWorkspace()
    full = await snapshot(sim, workspace)
  }, 120_000)
  afterAll(() => sim.close())

  test('a full snapshot costs at most 1.2 requests per flow, everything included', () => {
    const flows = kinds(full, 'flow')
    expect(flows).toBe(sim.org.flows.filter(f => !f.deleted && f.publishedVersion).length)
    expect(full.requests / flows).toBeLessThanOrEqual(1.2)
    // No 429: the budget paced the requests under the org's limit (300/min, the action's default).
    expect(full.rateLimited).toBe(0)
  })

  test('each kind of request costs what the method says it should', () => {
    const flows = kinds(full, 'flow')
    const jobs = Math.ceil(flows / 100)
    expect(count(full, 'POST /oauth/token')).toBe(1)
    // Listings at 500 a page.
    expect(count(full, 'GET /api/v2/flows')).toBe(Math.ceil(2000 / 500))
    // One dependency lookup per flow, none twice.
    expect(count(full, 'GET /api/v2/architect/dependencytracking/consumedresources')).toBe(flows)
    // Many flows per export job; the sim's jobs finish on their second poll.
    expect(count(full, 'POST /api/v2/flows/export/jobs')).toBe(jobs)
    expect(count(full, 'GET /api/v2/flows/export/jobs/{jobId}')).toBe(2 * jobs)
    expect(count(full, 'GET /sim/downloads/{token}')).toBe(jobs)
    // Queues and skills by id, 100 a request, never one GET each.
    expect(count(full, 'GET /api/v2/routing/queues/{queueId}')).toBe(0)
    expect(count(full, 'GET /api/v2/routing/skills/{skillId}')).toBe(0)
    expect(count(full, 'GET /api/v2/routing/queues')).toBeLessThanOrEqual(
      Math.ceil(kinds(full, 'queue') / 100) + 3
    )
    expect(count(full, 'GET /api/v2/routing/skills')).toBeLessThanOrEqual(
      Math.ceil(kinds(full, 'skill') / 100) + 3
    )
    // Data actions: the listing never carries the contract, so one GET each and no listing.
    expect(count(full, 'GET /api/v2/integrations/actions/{actionId}')).toBe(kinds(full, 'data-action'))
    expect(count(full, 'GET /api/v2/integrations/actions')).toBe(0)
  })

  test('an unchanged rerun costs a few dozen requests and writes the same bytes', async () => {
    const before = await treeOf(path.join(workspace, 'genesys'))
    const rerun = await snapshot(sim, workspace)
    expect(rerun.outputs.changed).toBe('false')
    expect(rerun.requests).toBeLessThanOrEqual(36)
    // Nothing exported, nothing looked up: published versions never change.
    expect(count(rerun, 'POST /api/v2/flows/export/jobs')).toBe(0)
    expect(count(rerun, 'GET /api/v2/architect/dependencytracking/consumedresources')).toBe(0)
    // Queues, skills and data actions are read again (they change without any flow changing), in
    // batches: data actions 50 ids a listing.
    expect(count(rerun, 'GET /api/v2/integrations/actions/{actionId}')).toBe(0)
    expect(count(rerun, 'GET /api/v2/integrations/actions')).toBe(Math.ceil(kinds(full, 'data-action') / 50))
    expect(await treeOf(path.join(workspace, 'genesys'))).toEqual(before)
  }, 120_000)
})

describe('a rerun after changes', () => {
  test('costs only what changed, and writes what a full run writes', async () => {
    const sim = await startSimOrg({ seed: 11, flows: 200, clock: new VirtualClock() })
    try {
      const workspace = newWorkspace()
      const first = await snapshot(sim, workspace)
      const flows = first.manifest.resources.filter(r => r.kind === 'flow')
      const queue = first.manifest.resources.find(r => r.kind === 'queue')!
      const action = first.manifest.resources.find(r => r.kind === 'data-action')!
      for (const f of flows.slice(0, 3)) sim.publishFlow(f.id)
      sim.editQueue(queue.id, { acwSettings: { timeoutMs: 45_000 } })
      sim.editDataAction(action.id, { description: 'changed by a test' })

      const rerun = await snapshot(sim, workspace)
      expect(rerun.outputs.changed).toBe('true')
      // Three flows looked up and exported (one job), one data action read in full.
      expect(count(rerun, 'GET /api/v2/architect/dependencytracking/consumedresources')).toBe(3)
      expect(count(rerun, 'POST /api/v2/flows/export/jobs')).toBe(1)
      expect(count(rerun, 'GET /api/v2/integrations/actions/{actionId}')).toBe(1)
      const unchangedRerun = 1 + 1 + 1 + 1 // login, organization, dependency index, flow listing
      const batches =
        Math.ceil(kinds(first, 'queue') / 100) +
        Math.ceil(kinds(first, 'skill') / 100) +
        Math.ceil(kinds(first, 'data-action') / 50)
      expect(rerun.requests).toBeLessThanOrEqual(unchangedRerun + batches + 3 + 4 + 1 + 2)

      // Incremental output is exactly a full export's.
      const fresh = newWorkspace()
      await snapshot(sim, fresh, { incremental: 'false' })
      expect(await treeOf(path.join(workspace, 'genesys'))).toEqual(await treeOf(path.join(fresh, 'genesys')))
    } finally {
      await sim.close()
    }
  }, 120_000)
})
