// Issue 6, GitHub side: every fault of the GitHub stand-in, end to end through the whole pipeline
// (real client against the simulated org, real Octokit, one virtual clock). Transient faults must
// end in the snapshot a clean run publishes; permanent ones in a failure that says what to change,
// with the workspace, the PR branch and the pull requests as they were.
import { Emissions, git, type Secret } from '../test/support/reliability-emissions.js'
import {
  BRANCH,
  expectCleanFailure,
  expectSameAsClean,
  runCase,
  Scenario,
  type CaseOutcome,
  type CaseSpec
} from '../test/support/in-process.js'
import { ReliabilityReport } from '../test/support/reliability-report.js'

const report = new ReliabilityReport('reliability-github')
const emissions = new Emissions()
const secrets: Secret[] = []
const runs: CaseOutcome[] = []

let scenario: Scenario
/** Clean runs from each prepared state: 'open' updates PR #2, 'merged' creates PR #3. */
let cleanOpen: CaseOutcome
let cleanMerged: CaseOutcome

beforeAll(async () => {
  scenario = await Scenario.prepare()
  cleanOpen = await run({ name: 'clean-open', stage: 'open' })
  cleanMerged = await run({ name: 'clean-merged', stage: 'merged' })
  expect(cleanOpen.run.outputs?.['pull-request-operation']).toBe('updated')
  expect(cleanMerged.run.outputs?.['pull-request-operation']).toBe('created')
}, 60_000)

afterAll(async () => {
  await scenario?.close()
  await report.write()
})

async function run(spec: CaseSpec): Promise<CaseOutcome> {
  const outcome = await runCase(scenario, { ...spec, emissions, secrets })
  runs.push(outcome)
  return outcome
}

const SAME =
  'Same snapshot as a clean run: workspace files and the snapshot folder on the PR branch byte for byte, the same outputs and pull request'
const UNTOUCHED = 'the workspace, every ref and every pull request exactly as before'

function statuses(o: CaseOutcome, pattern: RegExp): number {
  return o.gh.requests().filter(r => pattern.test(String(r.status))).length
}

describe('transient GitHub faults end in the clean snapshot', () => {
  report.test('github', '502 and 503 on a third of the requests', SAME, async () => {
    const o = await run({ name: '5xx', stage: 'open', ghFaults: { status5xxRate: 0.34 } })
    expect(statuses(o, /^50[23]$/)).toBeGreaterThan(0)
    expectSameAsClean(o, cleanOpen)
    return 'retried'
  })

  report.test(
    'github',
    'Primary rate limit: 403 with x-ratelimit-remaining: 0, reset in 60 s, on 3 requests in a row',
    SAME,
    async () => {
      const o = await run({
        name: 'primary-limit',
        stage: 'open',
        ghFaults: { rateLimitNext: { count: 3, kind: 'primary', retryAfter: 60 } }
      })
      expect(statuses(o, /^403$/)).toBe(3)
      expectSameAsClean(o, cleanOpen)
      return 'waited until the reset, then went on'
    }
  )

  report.test('github', 'Secondary rate limit: 403 with retry-after: 30, twice', SAME, async () => {
    const o = await run({
      name: 'secondary-403',
      stage: 'open',
      ghFaults: { rateLimitNext: { count: 2, kind: 'secondary', retryAfter: 30 } }
    })
    expect(statuses(o, /^403$/)).toBe(2)
    expectSameAsClean(o, cleanOpen)
    return 'waited the retry-after, then went on'
  })

  report.test('github', 'Secondary rate limit: 429 with retry-after: 45, twice', SAME, async () => {
    const o = await run({
      name: 'secondary-429',
      stage: 'open',
      ghFaults: { rateLimitNext: { count: 2, kind: 'secondary', retryAfter: 45, status: 429 } }
    })
    expect(statuses(o, /^429$/)).toBe(2)
    expectSameAsClean(o, cleanOpen)
    return 'waited the retry-after, then went on'
  })

  report.test(
    'github',
    'A concurrent run opens the same PR just before ours (422 "A pull request already exists")',
    "The snapshot folder on the branch as a clean run leaves it; the PR the other run opened is updated with this run's title and body; no second PR",
    async () => {
      const o = await run({
        name: 'concurrent-pr',
        stage: 'merged',
        ghFaults: { concurrentPrOnCreate: true }
      })
      expect(statuses(o, /^422$/)).toBe(1)
      expect(o.run.failure).toBeUndefined()
      expect(o.run.outputs?.['pull-request-operation']).toBe('updated')
      expect(o.after.tree).toEqual(cleanMerged.after.tree)
      expect(o.after.branchTree).toBe(cleanMerged.after.branchTree)
      const open = o.after.github.pulls.filter(p => p.state === 'open')
      expect(open).toHaveLength(1)
      expect(open[0].title).toBe(cleanMerged.after.github.pulls.find(p => p.state === 'open')!.title)
      expect(open[0].body).toContain('Genesys')
      return `PR #${open[0].number} (opened by the other run) updated`
    }
  )

  report.test(
    'github',
    'Our PR is created but the answer is lost (502), and the retried creation gets 422 "A pull request already exists"',
    'The snapshot folder on the branch as a clean run leaves it; one PR, found and updated, with the labels and review requests of the inputs; no second PR',
    async () => {
      const o = await run({
        name: 'lost-create-answer',
        stage: 'merged',
        ghFaults: { loseCreateResponse: true },
        inputs: { labels: 'genesys', reviewers: 'alice' }
      })
      expect(statuses(o, /^502$/)).toBe(1)
      expect(statuses(o, /^422$/)).toBe(1)
      expect(o.run.failure).toBeUndefined()
      expect(o.after.branchTree).toBe(cleanMerged.after.branchTree)
      const open = o.after.github.pulls.filter(p => p.state === 'open')
      expect(open).toHaveLength(1)
      expect(open[0]).toMatchObject({ labels: ['genesys'], requested_reviewers: ['alice'] })
      expect(o.run.outputs?.['pull-request-number']).toBe(String(open[0].number))
      return `PR #${open[0].number} found by the retry, labelled, review asked of alice`
    }
  )

  report.test(
    'github',
    'The PR branch moves under us: another snapshot run pushes while we update it (422 "Reference cannot be updated")',
    SAME,
    async () => {
      const o = await run({
        name: 'branch-moved',
        stage: 'open',
        ghFaults: { moveBranchOnUpdate: { path: 'genesys/queues/Concurrent.yaml' } }
      })
      expect(statuses(o, /^422$/)).toBe(1)
      expectSameAsClean(o, cleanOpen)
      return 'the branch read again and updated'
    }
  )

  report.test(
    'github',
    'The base branch moves between reading it and committing on it',
    'The snapshot is rebuilt on the new base: the snapshot folder on the branch as a clean run leaves it, the branch based on the new head of main, PR #2 updated',
    async () => {
      const o = await run({
        name: 'base-moved',
        stage: 'open',
        ghFaults: { moveBaseOnCommit: true },
        inspect: async gh => ({
          parents: (await git(gh.bareRepo, ['rev-parse', `${BRANCH}^@`])).trim().split('\n'),
          concurrentFile: await gh.readFile(BRANCH, 'CONCURRENT.md')
        })
      })
      expect(o.run.failure).toBeUndefined()
      expect(o.after.tree).toEqual(cleanOpen.after.tree)
      expect(o.after.branchTree).toBe(cleanOpen.after.branchTree)
      const main = o.after.github.refs['refs/heads/main']
      expect(main).not.toBe(o.before.github.refs['refs/heads/main'])
      // One commit on top of the new main, which holds the other push's file.
      expect(o.inspected.parents).toEqual([main])
      expect(o.inspected.concurrentFile).toContain('pushed by someone else')
      expect(o.run.outputs?.['pull-request-operation']).toBe('updated')
      return 'rebuilt on the new main'
    }
  )
})

describe('permanent GitHub faults fail clearly and change nothing', () => {
  report.test(
    'github',
    'The token lacks contents: write (403 "Resource not accessible by integration" on git writes)',
    `Failed step saying which permissions: entry to add, before the export spends the org's requests; ${UNTOUCHED}`,
    async () => {
      const o = await run({ name: 'no-contents', stage: 'open', ghFaults: { forbidWrites: 'contents' } })
      const message = expectCleanFailure(o, [/403/, /contents: write/, /permissions:/])
      // Refused before the export: only the login and the organization check were spent.
      expect(o.run.outputs?.requests).toBe(String(o.run.genesysRequests))
      expect(o.run.genesysRequests).toBe(2)
      return message
    }
  )

  report.test(
    'github',
    'The token lacks pull-requests: write (403 on updating the PR)',
    `Failed step saying which permissions: entry to add; ${UNTOUCHED} (the branch is put back)`,
    async () => {
      const o = await run({ name: 'no-pulls', stage: 'open', ghFaults: { forbidWrites: 'pull-requests' } })
      return expectCleanFailure(o, [/403/, /pull-requests: write/, /permissions:/])
    }
  )

  report.test(
    'github',
    'The token lacks pull-requests: write when a new PR is to be opened',
    `Failed step saying which permissions: entry to add; ${UNTOUCHED} (the branch is put back)`,
    async () => {
      const o = await run({
        name: 'no-pulls-create',
        stage: 'merged',
        ghFaults: { forbidWrites: 'pull-requests' }
      })
      return expectCleanFailure(o, [/403/, /pull-requests: write/, /create and approve pull requests/])
    }
  )

  report.test(
    'github',
    'Someone pushed their own work onto the PR branch (a commit outside the snapshot folder)',
    `Failed step before the export, naming the branch, the file and the branch's head commit, and what to set; ${UNTOUCHED}`,
    async () => {
      const o = await run({
        name: 'foreign-commit',
        stage: 'open',
        prepareGitHub: async gh => {
          await gh.commitFiles(BRANCH, { 'docs/runbook.md': '# Runbook\n' }, 'Runbook')
        }
      })
      expect(o.sim.byEndpoint['POST /api/v2/flows/export/jobs'] ?? 0).toBe(0)
      return expectCleanFailure(o, [
        new RegExp(
          `Branch '${BRANCH}' holds changes to docs/ outside genesys/ that the base branch does not have \\(head commit [0-9a-f]{7}\\)`
        ),
        /branch input/
      ])
    }
  )

  report.test(
    'github',
    'The branch input names someone\u2019s branch (branch: develop, one commit of work on it)',
    `Failed step before the export, naming the branch and the file, and what to set; ${UNTOUCHED}`,
    async () => {
      const o = await run({
        name: 'foreign-branch',
        stage: 'merged',
        inputs: { branch: 'develop' },
        prepareGitHub: async gh => {
          await gh.commitFiles('develop', { 'src/app.ts': 'export {}\n' }, 'Feature work')
        }
      })
      expect(o.sim.byEndpoint['POST /api/v2/flows/export/jobs'] ?? 0).toBe(0)
      return expectCleanFailure(o, [
        /Branch 'develop' holds changes to src\/ outside genesys\/ that the base branch does not have/,
        /branch input/
      ])
    }
  )

  report.test(
    'github',
    'Every GitHub request answers 502 or 503',
    `Failed step naming the request, the status and to rerun later; ${UNTOUCHED}`,
    async () => {
      const o = await run({ name: 'always-502', stage: 'open', ghFaults: { status5xxRate: 1 } })
      return expectCleanFailure(o, [/GitHub/, /50[23]/, /rerun/i])
    }
  )

  report.test(
    'github',
    'Updating the PR keeps failing with 502 after the branch was updated',
    `Failed step naming the PR update and the status; ${UNTOUCHED} (the branch is put back)`,
    async () => {
      const o = await run({
        name: 'pr-update-502',
        stage: 'open',
        ghFaults: { failOperations: { 'pulls/update': 502 } }
      })
      return expectCleanFailure(o, [/pull request #2/, /502/])
    }
  )

  report.test(
    'github',
    'Primary rate limit that resets only in an hour',
    `Failed step saying the rate limit stopped it and to rerun later; ${UNTOUCHED}`,
    async () => {
      const o = await run({
        name: 'primary-limit-hour',
        stage: 'open',
        ghFaults: { rateLimitNext: { count: 100, kind: 'primary', retryAfter: 3600 } }
      })
      return expectCleanFailure(o, [/rate limit/i, /403/, /rerun/i])
    }
  )
})

describe('a failure after publishing', () => {
  test('the PR stays published, and the outputs and the message say so', async () => {
    const o = await run({
      name: 'summary-fails',
      stage: 'merged',
      summaryError: 'ENOSPC: no space left on device'
    })
    expect(o.run.failure).toMatch(/ENOSPC/)
    const pr = o.after.github.pulls.find(p => p.state === 'open')!
    expect(pr).toBeDefined()
    expect(o.run.outputs).toMatchObject({
      'pull-request-operation': 'created',
      'pull-request-number': String(pr.number)
    })
    expect(o.run.outputs!['pull-request-url']).toMatch(new RegExp(`/pull/${pr.number}$`))
    expect(o.run.failure).toContain(
      `The pull request was created before this failure: ${o.run.outputs!['pull-request-url']}`
    )
  })
})

describe('secrets', () => {
  report.test(
    'secrets',
    'Everything the in-process runs of the GitHub cases emitted',
    'No client secret, access token, GitHub token or seeded credential anywhere; every token registered as a secret before first use',
    async () => {
      expect(runs.length).toBeGreaterThan(10)
      for (const o of runs) {
        expect(o.run.unmaskedTokenUses).toBe(0)
        for (const token of o.run.tokens) expect(o.run.secrets).toContain(token)
        expect(o.run.secrets).toContain(o.gh.token)
      }
      expect(emissions.sweep(secrets)).toEqual([])
      return `${runs.length} runs swept; no leak`
    }
  )
})
