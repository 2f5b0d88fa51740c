// Issue 6, Genesys side: every fault of the simulated org, end to end through the whole pipeline
// (real client, real Octokit, GitHub stand-in, one virtual clock). Transient faults must end in the
// snapshot a clean run writes; permanent ones in a clear failure that leaves everything as it was.
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { VirtualClock } from '../src/common/clock.js'
import { Emissions, knownSecrets, type Secret } from '../test/support/reliability-emissions.js'
import {
  BRANCH,
  expectCleanFailure,
  expectSameAsClean,
  publishedFlows,
  runCase,
  runInProcess,
  Scenario,
  scratchDir,
  stableMessage,
  treeOf,
  type CaseOutcome,
  type CaseSpec
} from '../test/support/in-process.js'
import { ReliabilityReport } from '../test/support/reliability-report.js'
import type { GitHubStandIn } from '../test/github/index.js'
import { startSimOrg, type SimOrg } from '../test/sim/index.js'

const report = new ReliabilityReport('reliability-genesys')
const emissions = new Emissions()
const secrets: Secret[] = []
const runs: CaseOutcome[] = []

let scenario: Scenario
let clean: CaseOutcome

beforeAll(async () => {
  scenario = await Scenario.prepare()
  clean = await run({ name: 'clean', stage: 'open' })
  expect(clean.run.failure).toBeUndefined()
  expect(clean.run.outputs?.['pull-request-operation']).toBe('updated')
}, 60_000)

afterAll(async () => {
  await scenario?.close()
  await report.write()
})

/**
 * Every case exports every flow again (incremental: false), so faults meet a full run's requests,
 * not the handful an incremental rerun makes.
 */
async function run(spec: CaseSpec): Promise<CaseOutcome> {
  const inputs = { incremental: 'false', ...spec.inputs }
  const outcome = await runCase(scenario, { ...spec, inputs, emissions, secrets })
  runs.push(outcome)
  return outcome
}

/** The flows a run in the 'open' state exports (the rest are reused): those changed since main's snapshot. */
function exportedFlows(sim: Pick<SimOrg, 'org'>) {
  const flows = publishedFlows(sim as SimOrg)
  return [flows[0], flows[1]]
}

const SAME =
  'Same snapshot as a clean run: workspace files and the snapshot folder on the PR branch byte for byte, the same outputs, PR #2 updated'

function same(outcome: CaseOutcome, what: string): string {
  expectSameAsClean(outcome, clean)
  return `${what}; same ${Object.keys(clean.after.tree).filter(p => !p.endsWith('/')).length} workspace files as the clean run`
}

describe('transient Genesys faults end in the clean snapshot', () => {
  report.test(
    'genesys',
    '429 storms with Retry-After: 60: the first 10 API requests, and 10 more once dependencies are being read',
    SAME,
    async () => {
      const storm = { forceRateLimit: { count: 10, retryAfterSeconds: 60 } }
      const o = await run({
        name: '429-storm',
        stage: 'open',
        faults: storm,
        prepareSim: sim => {
          const stop = sim.onRequest(info => {
            if (info.key.includes('consumedresources') && info.count === 5) {
              sim.setFaults(storm)
              stop()
            }
          })
        }
      })
      expect(o.sim.rateLimited).toBe(20)
      return same(o, '20 × 429 waited out in full')
    }
  )

  report.test(
    'genesys',
    "Per-token rate limit far below the client's budget (org allows 20 requests/min, client paces for 300)",
    SAME,
    async () => {
      const o = await run({ name: 'token-limit', stage: 'open', simOptions: { rateLimitPerMinute: 20 } })
      expect(o.sim.rateLimited).toBeGreaterThan(0)
      return same(o, '429s with the Retry-After of the token window, waited out')
    }
  )

  report.test(
    'genesys',
    'Access tokens expire mid-run (5-minute tokens; each export job takes almost 7 minutes)',
    SAME,
    async () => {
      const o = await run({
        name: 'token-expiry',
        stage: 'open',
        simOptions: { tokenTtlSeconds: 300, exportJobSeconds: 400 }
      })
      expect(o.sim.tokensIssued).toBeGreaterThan(1)
      return same(o, 'tokens renewed before they expired')
    }
  )

  report.test(
    'genesys',
    '401 on a stale token: each access token is revoked after 12 requests, with up to 8 requests in flight holding it',
    SAME,
    async () => {
      const o = await run({ name: 'token-revoked', stage: 'open', faults: { tokenRevokeAfter: 12 } })
      expect(o.sim.faults.revoked).toBeGreaterThan(1)
      expect(o.sim.tokensIssued).toBeGreaterThan(2)
      return same(o, 'logged in again after each 401')
    }
  )

  report.test('genesys', '500, 502, 503 and 504 on 20% of API requests', SAME, async () => {
    const o = await run({ name: '5xx', stage: 'open', faults: { errorRate: 0.2 } })
    const statuses = ['500', '502', '503', '504'].filter(s => (o.sim.faults[s] ?? 0) > 0)
    expect(statuses.length).toBeGreaterThanOrEqual(3)
    return same(o, 'retried with backoff')
  })

  report.test('genesys', 'Connection resets on 15% of API requests', SAME, async () => {
    const o = await run({ name: 'resets', stage: 'open', faults: { resetRate: 0.15 } })
    expect(o.sim.faults.reset).toBeGreaterThan(0)
    return same(o, 'retried with backoff')
  })

  report.test(
    'genesys',
    "Responses slower than the client's timeout on 10% of API requests (600 ms against a 200 ms timeout)",
    SAME,
    async () => {
      const o = await run({
        name: 'slow',
        stage: 'open',
        faults: { slowRate: 0.1, slowMs: 600 },
        client: { timeoutMs: 200 }
      })
      expect(o.sim.faults.slow).toBeGreaterThan(0)
      return same(o, 'timed out and retried')
    }
  )

  report.test('genesys', 'Truncated JSON (200 with half a body) on 15% of API requests', SAME, async () => {
    const o = await run({ name: 'malformed', stage: 'open', faults: { malformedRate: 0.15 } })
    expect(o.sim.faults.malformed).toBeGreaterThan(0)
    return same(o, 'read again')
  })

  report.test(
    'genesys',
    "Export jobs fail with Archy's rate-limit message ('could not find the flow', exit code 107), twice",
    SAME,
    async () => {
      const o = await run({ name: 'job-fails', stage: 'open', faults: { failExportJobs: 2 } })
      expect(o.sim.faults.failedJob).toBe(2)
      return same(o, 'the flows exported again')
    }
  )

  report.test('genesys', 'The export download URL has expired (403 Request has expired)', SAME, async () => {
    const o = await run({ name: 'url-expired', stage: 'open', faults: { expireDownloads: 1 } })
    expect(o.sim.faults.expiredDownload).toBe(1)
    return same(o, 'the export job run again')
  })

  report.test('genesys', 'The export zip is corrupt (cut short)', SAME, async () => {
    const o = await run({ name: 'corrupt-zip', stage: 'open', faults: { corruptZip: true } })
    expect(o.sim.faults.corruptZip).toBeGreaterThan(0)
    return same(o, 'the flows exported in smaller jobs')
  })

  report.test('genesys', 'The export zip lacks one of the flows asked for', SAME, async () => {
    const o = await run({
      name: 'zip-lacks-flow',
      stage: 'open',
      prepareSim: sim => sim.setFaults({ zipDropsFlowIds: [exportedFlows(sim)[1].id] })
    })
    expect(o.sim.faults.droppedFromZip).toBeGreaterThan(0)
    return same(o, 'the missing flow exported on its own')
  })

  report.test(
    'genesys',
    'The dependency index is not operational (OPERATIONALNEEDSREBUILD)',
    'Same snapshot as a clean run, and a warning in the log and the job summary that dependencies may be incomplete',
    async () => {
      const o = await run({
        name: 'index-not-operational',
        stage: 'open',
        faults: { dependencyBuildStatus: 'OPERATIONALNEEDSREBUILD' }
      })
      const warning = o.run.lines.find(
        l => l.level === 'warning' && /OPERATIONALNEEDSREBUILD/.test(l.message)
      )
      expect(warning).toBeDefined()
      expect(o.run.summary).toContain('OPERATIONALNEEDSREBUILD')
      same(o, '')
      return `warned: "${stableMessage(warning!.message)}"`
    }
  )
})

describe('a listing whose pages disagree with their total', () => {
  // Paging needs more than one page of 500: a bigger org, snapshotting only the flow that the
  // shifted listing would have lost (the last one by id).
  let dir: string
  beforeAll(async () => {
    dir = await scratchDir('reliability-paging')
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  async function snapshotOf(name: string, pagingShift: boolean) {
    const clock = new VirtualClock()
    const sim = await startSimOrg({ seed: 4, flows: 520, awkwardNames: false, clock })
    try {
      const listed = [...sim.org.flows].filter(f => !f.deleted).sort((a, b) => (a.id < b.id ? -1 : 1))
      const last = listed[listed.length - 1]
      sim.setFaults({ pagingShift })
      const workspace = path.join(dir, name)
      const r = await runInProcess({
        sim,
        clock,
        workspace,
        inputs: { include: last.name },
        emissions,
        label: name
      })
      secrets.push(...knownSecrets(sim, []))
      return { r, tree: await treeOf(workspace), last, shifted: sim.stats().faults.pagingShift ?? 0 }
    } finally {
      await sim.close()
    }
  }

  report.test(
    'genesys',
    'A flow listing whose second page repeats the last entity of the first and loses one (an entity moved between pages; 520 flows)',
    'The listing is read again until it is complete; the snapshot equals a clean run (the flow that was lost on the first read is there)',
    async () => {
      const cleanRun = await snapshotOf('paging-clean', false)
      const shifted = await snapshotOf('paging-shift', true)
      expect(cleanRun.r.failure).toBeUndefined()
      expect(shifted.r.failure).toBeUndefined()
      expect(shifted.shifted).toBeGreaterThan(0)
      expect(cleanRun.last.publishedVersion).toBeDefined()
      expect(Object.keys(shifted.tree).some(p => p.startsWith('genesys/flows/'))).toBe(true)
      expect(shifted.tree).toEqual(cleanRun.tree)
      return 'the lost flow is in the snapshot; same files as the clean run'
    }
  )
})

describe('permanent Genesys faults fail clearly and change nothing', () => {
  const UNTOUCHED = 'the workspace, every ref and every pull request exactly as before'

  report.test(
    'genesys',
    'Wrong client secret (login answers 401 invalid_client)',
    `Failed step naming the login endpoint, the status and the inputs to check; ${UNTOUCHED}; no GitHub request`,
    async () => {
      const o = await run({
        name: 'bad-secret',
        stage: 'open',
        inputs: { 'client-secret': 'not-the-secret-0000' }
      })
      expect(o.run.githubRequests).toBe(0)
      const message = expectCleanFailure(o, [/oauth\/token|Login/, /401/, /client-id and client-secret/])
      // The outputs are set all the same; the one request made was the login.
      expect(o.run.outputs?.requests).toBe('1')
      return message
    }
  )

  report.test(
    'genesys',
    'The OAuth client lacks architect:flow:view (403 on GET /api/v2/flows)',
    `Failed step naming the endpoint, 403 and the permission to add; ${UNTOUCHED}; no GitHub write (the PR branch was only read, checked before the export)`,
    async () => {
      const o = await run({
        name: 'no-flow-view',
        stage: 'open',
        faults: { forbiddenEndpoints: ['GET /api/v2/flows'] }
      })
      expect(o.sim.faults.forbidden).toBeGreaterThan(0)
      expect(o.writes).toEqual([])
      return expectCleanFailure(o, [/GET \/api\/v2\/flows/, /403/, /architect:flow:view/])
    }
  )

  report.test(
    'genesys',
    'The OAuth client lacks architect:jobExport:create (403 on POST /api/v2/flows/export/jobs)',
    `Failed step naming the endpoint, 403 and the permission to add; ${UNTOUCHED}; no GitHub write (the PR branch was only read, checked before the export)`,
    async () => {
      const o = await run({
        name: 'no-export',
        stage: 'open',
        faults: { forbiddenEndpoints: ['POST /api/v2/flows/export/jobs'] }
      })
      expect(o.sim.faults.forbidden).toBeGreaterThan(0)
      expect(o.writes).toEqual([])
      return expectCleanFailure(o, [
        /POST \/api\/v2\/flows\/export\/jobs/,
        /403/,
        /architect:jobExport:create/
      ])
    }
  )

  report.test(
    'genesys',
    'The OAuth client lacks architect:dependencyTracking:view (403 on consumedresources)',
    `Failed step naming the endpoint, 403 and the permission to add; ${UNTOUCHED}; no GitHub write (the PR branch was only read, checked before the export)`,
    async () => {
      const o = await run({
        name: 'no-dependencies',
        stage: 'open',
        faults: { forbiddenEndpoints: ['GET /api/v2/architect/dependencytracking/consumedresources'] }
      })
      expect(o.writes).toEqual([])
      return expectCleanFailure(o, [/consumedresources/, /403/, /architect:dependencyTracking:view/])
    }
  )

  report.test(
    'genesys',
    'The OAuth client lacks integrations:action:view (403 missing.permissions on every data action)',
    `Failed step naming the endpoint, 403 and the permission to add, not a snapshot whose data actions are all "forbidden"; ${UNTOUCHED}; no GitHub write`,
    async () => {
      const o = await run({
        name: 'no-data-action-view',
        stage: 'open',
        faults: {
          forbiddenEndpoints: [
            'GET /api/v2/integrations/actions',
            'GET /api/v2/integrations/actions/{actionId}'
          ]
        }
      })
      expect(o.sim.faults.forbidden).toBeGreaterThan(0)
      expect(o.writes).toEqual([])
      return expectCleanFailure(o, [/integrations\/actions/, /403/, /integrations:action:view/])
    }
  )

  report.test(
    'genesys',
    'Every API request answers 5xx',
    `Failed step naming the endpoint, the status and "rerun later" after bounded retries; ${UNTOUCHED}`,
    async () => {
      const o = await run({ name: 'always-5xx', stage: 'open', faults: { errorRate: 1 } })
      expect(o.run.githubRequests).toBe(0)
      return expectCleanFailure(o, [/GET \/api\/v2\/organizations\/me/, /50[0234]/, /rerun later/i])
    }
  )

  report.test(
    'genesys',
    'Every API connection is reset',
    `Failed step naming the endpoint and the network failure, with what to check; ${UNTOUCHED}`,
    async () => {
      const o = await run({ name: 'always-reset', stage: 'open', faults: { resetRate: 1 } })
      expect(o.run.githubRequests).toBe(0)
      return expectCleanFailure(o, [
        /GET \/api\/v2\/organizations\/me/,
        /connection|reset|socket/i,
        /rerun later|check/i
      ])
    }
  )

  report.test(
    'genesys',
    'Every API response is slower than the timeout',
    `Failed step naming the endpoint and the timeout; ${UNTOUCHED}`,
    async () => {
      const o = await run({
        name: 'always-slow',
        stage: 'open',
        faults: { slowRate: 1, slowMs: 400 },
        client: { timeoutMs: 100, maxRetries: 2 }
      })
      return expectCleanFailure(o, [/GET \/api\/v2\/organizations\/me/, /within|time/i, /rerun later/i])
    }
  )

  report.test(
    'genesys',
    'Every API response is truncated JSON',
    `Failed step naming the endpoint and the malformed answers; ${UNTOUCHED}`,
    async () => {
      const o = await run({ name: 'always-malformed', stage: 'open', faults: { malformedRate: 1 } })
      return expectCleanFailure(o, [/GET \/api\/v2\/organizations\/me/, /malformed JSON/, /rerun later/i])
    }
  )

  report.test(
    'genesys',
    'Rate limited without end (every request 429, Retry-After: 60)',
    `Failed step naming the endpoint, 429 and the inputs to lower; ${UNTOUCHED}`,
    async () => {
      const o = await run({
        name: 'always-429',
        stage: 'open',
        faults: { forceRateLimit: { count: 1_000_000, retryAfterSeconds: 60 } }
      })
      return expectCleanFailure(o, [/GET \/api\/v2\/organizations\/me/, /429/, /requests-per-minute/])
    }
  )

  report.test(
    'genesys',
    'The API cannot be reached (connection refused)',
    `Failed step naming the host and saying to check region / api-url; ${UNTOUCHED}`,
    async () => {
      const o = await run({
        name: 'unreachable',
        stage: 'open',
        inputs: { 'api-url': 'http://127.0.0.1:9' },
        client: { maxRetries: 1 }
      })
      return expectCleanFailure(o, [/127\.0\.0\.1:9/, /refused/, /api-url/])
    }
  )

  report.test(
    'genesys',
    'An export job fails for one flow every time',
    `Failed step naming the flow and why it could not be exported; ${UNTOUCHED}; no GitHub write (the PR branch was only read, checked before the export)`,
    async () => {
      const o = await run({
        name: 'flow-never-exports',
        stage: 'open',
        prepareSim: sim => sim.setFaults({ failExportFlowIds: [exportedFlows(sim)[1].id] })
      })
      expect(o.sim.faults.failedFlow).toBeGreaterThan(0)
      expect(o.writes).toEqual([])
      const flow = exportedFlows(o.simOrg)[1]
      return expectCleanFailure(o, [new RegExp(flow.id), /Could not export/, /exit code 107/])
    }
  )

  report.test(
    'genesys',
    'Export jobs never finish (stuck in Started)',
    `Failed step naming the flows and the job timeout; ${UNTOUCHED}; no GitHub write (the PR branch was only read, checked before the export)`,
    async () => {
      const o = await run({ name: 'job-stuck', stage: 'open', faults: { stuckExportJobs: true } })
      expect(o.sim.faults.stuckPoll).toBeGreaterThan(0)
      expect(o.writes).toEqual([])
      return expectCleanFailure(o, [/Could not export/, /did not finish/])
    }
  )

  report.test(
    'genesys',
    'Every export download is refused (403)',
    `Failed step naming the flows and the refused download; ${UNTOUCHED}; no GitHub write (the PR branch was only read, checked before the export)`,
    async () => {
      const o = await run({ name: 'download-403', stage: 'open', faults: { downloadStatus: 403 } })
      expect(o.sim.faults.download403).toBeGreaterThan(0)
      expect(o.writes).toEqual([])
      return expectCleanFailure(o, [/Could not export/, /download/, /403/])
    }
  )
})

describe('dependency tracking refuses some flows', () => {
  report.test(
    'genesys',
    'Dependency tracking answers 400 "Invalid objectType" for every flow of one type',
    'Step succeeds with one warning per such flow; those flows keep the dependencies the committed snapshot lists and are marked dependenciesNotRead; every other file as a clean run leaves it',
    async () => {
      type Entry = {
        kind: string
        id: string
        type?: string
        dependsOn: string[]
        dependenciesNotRead?: string
      }
      type Manifest = { resources: Entry[] }
      // The manifests on main (committed) and on the PR branch once the run is done.
      const manifests = async (gh: GitHubStandIn) => ({
        committed: JSON.parse((await gh.readFile('main', 'genesys/manifest.json'))!) as Manifest,
        published: JSON.parse((await gh.readFile(BRANCH, 'genesys/manifest.json'))!) as Manifest
      })
      const reference = await run({ name: 'untracked-type-reference', stage: 'open', inspect: manifests })
      const { committed, published: fresh } = reference.inspected as Awaited<ReturnType<typeof manifests>>
      const before = new Map(committed.resources.map(r => [r.id, r]))
      // A type whose flows use what the committed snapshot says they use: kept, that is still right.
      const types = [...new Set(fresh.resources.filter(r => r.kind === 'flow').map(r => r.type!))].sort()
      const type = types.find(t =>
        fresh.resources
          .filter(r => r.type === t)
          .every(r => JSON.stringify(before.get(r.id)?.dependsOn) === JSON.stringify(r.dependsOn))
      )!
      expect(type).toBeDefined()
      const o = await run({
        name: 'untracked-type',
        stage: 'open',
        faults: { untrackedFlowTypes: [type] },
        inspect: manifests
      })
      expect(o.run.failure).toBeUndefined()
      const unread = fresh.resources.filter(r => r.type === type)
      expect(
        o.run.lines.filter(l => l.level === 'warning' && /^Could not read what flow/.test(l.message))
      ).toHaveLength(unread.length)
      const got = (o.inspected as Awaited<ReturnType<typeof manifests>>).published.resources
      expect(got).toEqual(
        fresh.resources.map(r =>
          r.type === type ? { ...r, dependenciesNotRead: 'dependency tracking answered 400' } : r
        )
      )
      const others = (tree: Record<string, string>) =>
        Object.fromEntries(Object.entries(tree).filter(([p]) => p !== 'genesys/manifest.json'))
      expect(others(o.after.tree)).toEqual(others(clean.after.tree))
      return `${unread.length} ${type} flows kept their committed dependencies; every other file as the clean run`
    }
  )
})

describe('the org changes during the run', () => {
  report.test(
    'genesys',
    'A flow is published again between the listing and its export',
    'The flow file and the manifest agree on the version: the snapshot equals a clean run made after the publish',
    async () => {
      let republished = ''
      const o = await run({
        name: 'published-during-export',
        stage: 'open',
        prepareSim: sim => {
          republished = exportedFlows(sim)[1].id
          sim.setFaults({ publishDuringExport: [republished] })
        }
      })
      expect(o.sim.faults.publishedDuringExport).toBe(1)
      expect(o.run.lines.some(l => /changed in Genesys Cloud[\s\S]*Exporting again/.test(l.message))).toBe(
        true
      )
      // What a clean run writes when the publish happened before it started.
      const after = await run({
        name: 'published-before',
        stage: 'open',
        prepareSim: sim => {
          sim.publishFlow(republished)
        }
      })
      expect(after.run.failure).toBeUndefined()
      if (o.run.failure !== undefined) throw new Error(`The run failed: ${o.run.failure}`)
      expect(o.after.tree).toEqual(after.after.tree)
      expect(o.after.branchTree).toBe(after.after.branchTree)
      return 'exported again: the new version, in the file and in the manifest'
    }
  )

  report.test(
    'genesys',
    'A flow is published again during every export attempt',
    'After 3 attempts, a failed step naming the flow, its versions and what to do; the workspace, every ref and every pull request exactly as before',
    async () => {
      let flowId = ''
      const o = await run({
        name: 'published-every-time',
        stage: 'open',
        prepareSim: sim => {
          flowId = exportedFlows(sim)[1].id
          // Someone publishes this flow again each time an export job is created.
          sim.onRequest(info => {
            if (info.key === 'POST /api/v2/flows/export/jobs')
              sim.setFaults({ publishDuringExport: [flowId] })
          })
        }
      })
      expect(o.sim.faults.publishedDuringExport).toBeGreaterThanOrEqual(3)
      expect(o.writes).toEqual([])
      return expectCleanFailure(o, [new RegExp(flowId), /published again/, /Rerun the workflow/])
    }
  )
})

describe('secrets', () => {
  report.test(
    'secrets',
    'Everything the in-process runs of the Genesys cases emitted',
    'No client secret, access token, GitHub token or seeded credential anywhere; the secret and every token registered as secrets before first use',
    async () => {
      expect(runs.length).toBeGreaterThan(20)
      for (const o of runs) {
        expect(o.run.unmaskedTokenUses).toBe(0)
        for (const token of o.run.tokens) expect(o.run.secrets).toContain(token)
      }
      const leaks = emissions.sweep(secrets)
      expect(leaks).toEqual([])
      expect(secrets.filter(s => s.label.startsWith('access token')).length).toBeGreaterThan(runs.length)
      return `${runs.length} runs swept; no leak`
    }
  )
})
