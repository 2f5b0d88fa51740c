/**
 * Flow export jobs against the simulated org: zips of many flows, single-flow YAML, and every way a
 * batch can fail (Failure, stuck job, refused or expired download, corrupt zip, a flow missing from
 * the zip), each of which must end in the right bytes or a bounded, reported failure.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { VirtualClock } from '../src/common/clock.js'
import { memoryLog } from '../src/common/log.js'
import { GenesysApiError, GenesysClient, type GenesysClientOptions } from '../src/genesys/client.js'
import { exportFlows, FlowExportQueue, type FlowToExport } from '../src/genesys/export-jobs.js'
import { startSimOrg } from '../test/sim/index.js'
import type { SimOptions, SimOrg } from '../test/sim/types.js'

const sims: SimOrg[] = []
const clients: GenesysClient[] = []

afterEach(async () => {
  await Promise.all(clients.splice(0).map(c => c.close()))
  await Promise.all(sims.splice(0).map(s => s.close()))
})

async function setup(options: SimOptions = {}, overrides: Partial<GenesysClientOptions> = {}) {
  const clock = new VirtualClock()
  const org = await startSimOrg({ clock, flows: 24, ...options })
  sims.push(org)
  const log = memoryLog()
  const client = new GenesysClient({
    apiUrl: org.url,
    loginUrl: org.url,
    clientId: org.clientId,
    clientSecret: org.clientSecret,
    concurrency: 4,
    requestsPerMinute: 6000,
    clock,
    log,
    random: () => 0.5,
    ...overrides
  })
  clients.push(client)
  const flows: FlowToExport[] = org.org.flows
    .filter(f => f.publishedVersion && !f.deleted)
    .map(f => ({ id: f.id, version: f.publishedVersion!, name: f.name, type: f.type.toUpperCase() }))
  return { org, client, clock, log, flows }
}

/** Runs an export, collecting what onFlow received (and failing on a flow delivered twice). */
async function run(
  client: GenesysClient,
  flows: FlowToExport[],
  options: Partial<Parameters<typeof exportFlows>[2]> = {}
) {
  const got = new Map<string, Buffer>()
  const result = await exportFlows(client, flows, {
    onFlow: async (flow, yaml) => {
      if (got.has(flow.id)) throw new Error(`flow ${flow.id} delivered twice`)
      got.set(flow.id, yaml)
    },
    ...options
  })
  return { got, failed: result.failed }
}

const jobsCreated = (c: GenesysClient): number => c.stats().byEndpoint['POST /api/v2/flows/export/jobs'] ?? 0

function expectExact(org: SimOrg, got: Map<string, Buffer>, flows: FlowToExport[]): void {
  expect([...got.keys()].sort()).toEqual(flows.map(f => f.id).sort())
  for (const flow of flows) expect(got.get(flow.id)?.toString('utf8')).toBe(org.org.flowYaml(flow.id))
}

describe('exportFlows', () => {
  it('exports every flow byte for byte through zips of several flows', async () => {
    const { org, client, flows } = await setup()
    expect(flows.length).toBeGreaterThan(15)
    const { got, failed } = await run(client, flows, { batchSize: 8 })
    expect(failed).toEqual([])
    expectExact(org, got, flows)
    expect(jobsCreated(client)).toBe(Math.ceil(flows.length / 8))
    expect(client.stats().byEndpoint['GET (export download URL)']).toBe(Math.ceil(flows.length / 8))
    // Every request is counted, login and downloads included, as the org counted them.
    expect(client.stats().total).toBe(org.stats().total)
    expect(client.stats().byEndpoint['POST /oauth/token']).toBe(org.stats().byEndpoint['POST /oauth/token'])
  })

  it('exports a single flow from its plain YAML download', async () => {
    const { org, client, flows } = await setup()
    const { got, failed } = await run(client, flows.slice(0, 1))
    expect(failed).toEqual([])
    expectExact(org, got, flows.slice(0, 1))
  })

  it('splits a failed batch down to the flow that fails, and reports only that one', async () => {
    const { org, client, flows } = await setup()
    const bad = flows[5]
    org.setFaults({ failExportFlowIds: [bad.id] })
    const { got, failed } = await run(client, flows, { batchSize: 12, singleFlowAttempts: 2 })
    expect(failed.map(f => f.flow.id)).toEqual([bad.id])
    expect(failed[0].reason).toMatch(/could not find the flow/)
    expectExact(
      org,
      got,
      flows.filter(f => f.id !== bad.id)
    )
    // Halving 12 down to 1 takes a handful of jobs, not one per flow.
    expect(jobsCreated(client)).toBeLessThanOrEqual(
      Math.ceil(flows.length / 12) + 2 * Math.ceil(Math.log2(12)) + 2
    )
  })

  it('retries a flow Archy could not find (its rate limiting) after a growing wait, and then gets it', async () => {
    const { org, client, clock, log, flows } = await setup()
    const flow = flows[2]
    org.setFaults({ failExportFlowIds: [flow.id] })
    // The fault clears once the client has said it will try again.
    const watcher = (async () => {
      for (let i = 0; i < 10_000 && !log.lines.some(l => /trying again/.test(l.message)); i++) {
        await new Promise(resolve => setTimeout(resolve, 1))
      }
      org.setFaults({ failExportFlowIds: [] })
    })()
    const t0 = clock.now()
    const { got, failed } = await run(client, [flow], { log, retryDelayMs: 4_000 })
    await watcher
    expect(failed).toEqual([])
    expectExact(org, got, [flow])
    // Archy's "could not find the flow" waits three times the base delay.
    expect(clock.now() - t0).toBeGreaterThanOrEqual(12_000)
    expect(jobsCreated(client)).toBe(2)
  })

  it('gives up on a stuck job after jobTimeoutMs, bounded, on the virtual clock', async () => {
    const { org, client, clock, flows } = await setup()
    org.setFaults({ stuckExportJobs: true })
    const some = flows.slice(0, 4)
    const t0 = clock.now()
    const { got, failed } = await run(client, some, { jobTimeoutMs: 60_000, singleFlowAttempts: 1 })
    expect(got.size).toBe(0)
    expect(failed.map(f => f.flow.id).sort()).toEqual(some.map(f => f.id).sort())
    for (const f of failed) expect(f.reason).toMatch(/did not finish within 60 s/)
    // 4 → 2+2 → 1+1+1+1: seven jobs, each abandoned after a minute of virtual polling.
    expect(jobsCreated(client)).toBe(7)
    expect(clock.now() - t0).toBeGreaterThanOrEqual(3 * 60_000)
    // Polls back off to 5 s: about 12 a minute per job, not one per millisecond.
    expect(client.stats().byEndpoint['GET /api/v2/flows/export/jobs/{jobId}']).toBeLessThanOrEqual(7 * 20)
  })

  it('re-runs a job whose download URL is refused (expired) and then succeeds', async () => {
    const { org, client, flows } = await setup()
    // The first download is refused as expired, the next ones are not.
    org.setFaults({ expireDownloads: 1 })
    const some = flows.slice(0, 6)
    const { got, failed } = await run(client, some, { batchSize: 6 })
    expect(org.stats().byEndpoint['GET /sim/downloads/{token}']).toBe(2)
    expect(failed).toEqual([])
    expectExact(org, got, some)
    expect(jobsCreated(client)).toBe(2)
  })

  it('reports flows whose downloads are always refused, without a word of the signed URL', async () => {
    const { org, client, log, flows } = await setup()
    org.setFaults({ downloadStatus: 403 })
    const some = flows.slice(0, 3)
    const { got, failed } = await run(client, some, { singleFlowAttempts: 2, log })
    expect(got.size).toBe(0)
    expect(failed).toHaveLength(3)
    for (const f of failed) expect(f.reason).toMatch(/refused \(403\)/)
    // Per job: one run + 2 re-runs; 3 → 2+1 → 1+1 → each single tried twice: bounded.
    expect(jobsCreated(client)).toBeLessThanOrEqual(3 * (1 + 2 + 3 + 3))
    for (const text of [...failed.map(f => f.reason), ...log.lines.map(l => l.message)]) {
      expect(text).not.toMatch(/Signature=|X-Amz-|\/sim\/downloads\//)
      expect(text).not.toContain(org.clientSecret)
    }
  })

  it('splits a batch whose zip is corrupt until single-flow downloads come through', async () => {
    const { org, client, flows } = await setup()
    org.setFaults({ corruptZip: true })
    const some = flows.slice(0, 5)
    const { got, failed } = await run(client, some, { batchSize: 5 })
    expect(failed).toEqual([])
    expectExact(org, got, some)
    expect(jobsCreated(client)).toBeGreaterThan(1)
  })

  it('exports a flow the zip left out on its own, keeping the rest of the zip', async () => {
    const { org, client, flows } = await setup()
    const some = flows.slice(0, 10)
    const dropped = [some[2].id, some[7].id]
    org.setFaults({ zipDropsFlowIds: dropped })
    const { got, failed } = await run(client, some, { batchSize: 10 })
    expect(failed).toEqual([])
    expectExact(org, got, some)
    // One job for the batch, then one single-flow job for each dropped flow.
    expect(jobsCreated(client)).toBe(3)
  })

  it('stops at once when the OAuth client may not create export jobs, naming the permission', async () => {
    let posts = 0
    const server = http.createServer((req, res) => {
      if (req.url === '/oauth/token') {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ access_token: 'token-of-a-client-without-roles', expires_in: 86400 }))
        return
      }
      if (req.method === 'POST') posts++
      res.writeHead(403, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({
          message: 'You are not authorized to perform the requested action.',
          code: 'not.authorized',
          status: 403
        })
      )
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      const client = new GenesysClient({
        apiUrl: url,
        loginUrl: url,
        clientId: 'id',
        clientSecret: 'a-secret-nobody-should-see',
        concurrency: 2,
        requestsPerMinute: 600,
        clock: new VirtualClock()
      })
      clients.push(client)
      const flows = Array.from({ length: 20 }, (_, i) => ({
        id: `f${i}`,
        version: '1.0',
        name: `F${i}`,
        type: 'INBOUNDCALL'
      }))
      const err = await run(client, flows, { batchSize: 5, concurrentJobs: 1 }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(GenesysApiError)
      expect((err as GenesysApiError).status).toBe(403)
      expect((err as GenesysApiError).message).toContain('architect:jobExport:create')
      // No splitting or retrying a permission problem: one job attempt, not one per flow.
      expect(posts).toBe(1)
    } finally {
      await new Promise(resolve => server.close(resolve))
    }
  })

  it('keeps every secret, token and signed URL out of results, errors and the log under every fault', async () => {
    const { org, client, log, flows } = await setup({ tokenTtlSeconds: 300 }, { maxRetries: 8 })
    org.setFaults({
      errorRate: 0.1,
      resetRate: 0.05,
      malformedRate: 0.05,
      failExportFlowIds: [flows[0].id],
      zipDropsFlowIds: [flows[3].id],
      downloadStatus: 403
    })
    const texts: string[] = []
    const first = await run(client, flows.slice(0, 8), { batchSize: 4, singleFlowAttempts: 1, log })
    texts.push(...first.failed.map(f => f.reason))
    org.setFaults({ downloadStatus: null })
    const second = await run(client, flows.slice(0, 8), { batchSize: 4, singleFlowAttempts: 2, log })
    texts.push(...second.failed.map(f => f.reason))
    expect(second.failed.map(f => f.flow.id)).toEqual([flows[0].id])
    for (const path of ['/api/v2/no/such/thing', '/api/v2/routing/queues/x']) {
      const err = await client.request('GET', path).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(GenesysApiError)
      texts.push((err as GenesysApiError).message)
    }
    texts.push(...log.lines.map(l => l.message))
    expect(log.lines.length).toBeGreaterThan(0)
    const secrets = [org.clientSecret, ...log.secrets]
    expect(log.secrets.length).toBeGreaterThanOrEqual(3) // secret, Basic value, a token
    for (const text of texts) {
      for (const secret of secrets) expect(text).not.toContain(secret)
      expect(text).not.toMatch(/Bearer\s+\S|Basic\s+\S/i)
      expect(text).not.toMatch(/Signature=|X-Amz-|\/sim\/downloads\/[0-9a-f]/i)
    }
  })
})

describe('FlowExportQueue', () => {
  it('takes flows while other work goes on: full batches start at once, flush starts the rest', async () => {
    const { org, client, flows } = await setup()
    const got = new Map<string, Buffer>()
    const queue = new FlowExportQueue(client, {
      batchSize: 5,
      onFlow: async (flow, yaml) => {
        if (got.has(flow.id)) throw new Error(`flow ${flow.id} delivered twice`)
        got.set(flow.id, yaml)
      }
    })
    queue.add(flows.slice(0, 7)) // one full batch starts, two flows wait
    expect(jobsCreated(client)).toBe(0) // started, not yet sent: the request is on its way
    await new Promise(resolve => setTimeout(resolve, 50))
    expect(jobsCreated(client)).toBe(1)
    queue.add([...flows.slice(5, 12), flows[0]]) // flows already taken are not taken twice
    queue.flush()
    const { failed } = await queue.finish()
    expect(failed).toEqual([])
    expectExact(org, got, flows.slice(0, 12))
    // 5 (full) + 5 (full) + 2 (flushed)
    expect(jobsCreated(client)).toBe(3)
    expect(() => queue.add(flows.slice(12, 13))).toThrow(/after finish/)
  })

  it('splits batches the API refuses as too large, and sizes the rest to what it took', async () => {
    const { org, client, flows } = await setup({ flows: 60, maxFlowsPerExportJob: 10 })
    const some = flows.slice(0, 48)
    const { got, failed } = await run(client, some, { batchSize: 24, concurrentJobs: 1 })
    expect(failed).toEqual([])
    expectExact(org, got, some)
    // Eight jobs of 6 did the work. The API refused both batches of 24 and the four halves of 12, each
    // asked before a job of 6 had shown the limit (the cost of not taking one refusal as a limit).
    expect(client.stats().byEndpoint['POST /api/v2/flows/export/jobs']).toBe(8 + 6)
  })

  it('a flow the API refuses at job creation is split out without shrinking the other jobs', async () => {
    const { org, client, flows } = await setup({ flows: 60 })
    const some = flows.slice(0, 48)
    const bad = some[3]
    org.setFaults({ rejectExportFlowIds: [bad.id] })
    const { got, failed } = await run(client, some, {
      batchSize: 12,
      concurrentJobs: 1,
      singleFlowAttempts: 1
    })
    expect(failed.map(f => f.flow.id)).toEqual([bad.id])
    expect(failed[0].reason).toMatch(/cannot be exported/)
    expectExact(
      org,
      got,
      some.filter(f => f.id !== bad.id)
    )
    // The first batch is halved down to the bad flow (12 → 6 → 3 → 2 → 1: five refusals, four
    // accepted halves); the three batches after it go out whole once the halves showed a flow at fault.
    expect(jobsCreated(client)).toBeLessThanOrEqual(3 + 4 + 4 + 3)
  })

  it('stops its jobs when aborted, and finish throws the reason', async () => {
    const { org, client, flows } = await setup()
    org.setFaults({ stuckExportJobs: true })
    const queue = new FlowExportQueue(client, { batchSize: 4, onFlow: async () => {} })
    queue.add(flows.slice(0, 8))
    queue.flush()
    const polls = (): number => org.stats().byEndpoint['GET /api/v2/flows/export/jobs/{jobId}'] ?? 0
    for (let i = 0; i < 1000 && polls() < 4; i++) await new Promise(resolve => setTimeout(resolve, 1))
    const reason = new Error('the closure failed')
    queue.abort(reason)
    const atAbort = polls()
    await expect(queue.finish()).rejects.toBe(reason)
    // Each of the two jobs stops at its next step (one poll in flight at most) instead of polling
    // on for the ten minutes a stuck job is given.
    expect(polls() - atAbort).toBeLessThanOrEqual(2)
    expect(jobsCreated(client)).toBe(2)
  })
})
