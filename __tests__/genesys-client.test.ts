/**
 * The Genesys client against the simulated org (a real HTTP server on loopback): login and renewal,
 * the shared budget and 429s on a virtual clock, retries, timeouts, paging, error messages, and the
 * rule that no secret, token or signed URL reaches a message or the log.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { VirtualClock } from '../src/common/clock.js'
import { memoryLog } from '../src/common/log.js'
import {
  consumedResources,
  dependencyIndexStatus,
  getDataActionsByIds,
  getQueuesByIds,
  getSkillsByIds,
  listFlows
} from '../src/genesys/api.js'
import { GenesysApiError, GenesysClient, type GenesysClientOptions } from '../src/genesys/client.js'
import { startSimOrg } from '../test/sim/index.js'
import type { SimOptions, SimOrg } from '../test/sim/types.js'

const sims: SimOrg[] = []
const clients: GenesysClient[] = []
const servers: http.Server[] = []

afterEach(async () => {
  await Promise.all(clients.splice(0).map(c => c.close()))
  await Promise.all(sims.splice(0).map(s => s.close()))
  await Promise.all(servers.splice(0).map(s => new Promise(resolve => s.close(resolve))))
})

async function sim(options: SimOptions = {}): Promise<SimOrg> {
  const org = await startSimOrg({ clock: options.clock ?? new VirtualClock(), ...options })
  sims.push(org)
  return org
}

function client(org: SimOrg, overrides: Partial<GenesysClientOptions> = {}): GenesysClient {
  const c = new GenesysClient({
    apiUrl: org.url,
    loginUrl: org.url,
    clientId: org.clientId,
    clientSecret: org.clientSecret,
    concurrency: 4,
    requestsPerMinute: 6000,
    clock: org.clock,
    random: () => 0.5,
    ...overrides
  })
  clients.push(c)
  return c
}

/** Every text a log saw. */
function logged(log: ReturnType<typeof memoryLog>): string[] {
  return log.lines.map(l => l.message)
}

/** Asserts no secret the client knows of (client secret, tokens, Basic value) is in any of the texts. */
function expectNoSecrets(texts: string[], log: ReturnType<typeof memoryLog>, org: SimOrg): void {
  const secrets = [org.clientSecret, ...log.secrets]
  expect(log.secrets.length).toBeGreaterThanOrEqual(2) // the client secret and at least one token
  for (const text of texts) {
    for (const secret of secrets) expect(text).not.toContain(secret)
    expect(text).not.toMatch(/Bearer\s+\S/i)
    expect(text).not.toMatch(/Signature=|X-Amz-/i)
  }
}

describe('login', () => {
  it('verifies the credentials and names the org', async () => {
    const org = await sim()
    const c = client(org)
    const me = await c.verify()
    expect(me.orgId).toBe(org.org.orgId)
    expect(me.orgName).not.toBe('')
    expect(c.stats().logins).toBe(1)
    expect(c.stats().byEndpoint).toEqual({ 'POST /oauth/token': 1, 'GET /api/v2/organizations/me': 1 })
  })

  it('says the client id/secret is wrong for this region, naming the login host, without the secret', async () => {
    const org = await sim()
    const log = memoryLog()
    const wrong = 'definitely-not-the-secret-0123456789'
    const c = client(org, { clientSecret: wrong, log })
    const err = (await c.verify().catch(e => e)) as GenesysApiError
    expect(err).toBeInstanceOf(GenesysApiError)
    expect(err.status).toBe(401)
    expect(err.endpoint).toBe('POST /oauth/token')
    expect(err.message).toContain(new URL(org.url).host)
    expect(err.message).toMatch(/client id\/secret/)
    expect(err.message).toMatch(/region/)
    for (const text of [err.message, ...logged(log)]) {
      expect(text).not.toContain(wrong)
      expect(text).not.toContain(org.clientSecret)
    }
    expect(log.secrets).toContain(wrong)
  })

  it('renews the token before it expires, so no request meets a 401', async () => {
    const clock = new VirtualClock()
    const org = await sim({ clock, tokenTtlSeconds: 300 })
    const c = client(org)
    for (let i = 0; i < 8; i++) {
      await c.request('GET', '/api/v2/organizations/me')
      clock.advance(50_000) // 8 requests over 400 s of a 300 s token
    }
    expect(org.stats().tokensIssued).toBe(2)
    expect(c.stats().logins).toBe(2)
    expect(c.stats().retries).toBe(0)
  })

  it('takes the token when a request goes out, so a long queue never sends an expired one', async () => {
    // 600 requests at 60 a minute: the last waits 10 minutes in the queue, two lifetimes of a 300 s token.
    const clock = new VirtualClock()
    const org = await sim({ clock, tokenTtlSeconds: 300 })
    const c = client(org, { requestsPerMinute: 60 })
    const results = await Promise.allSettled(
      Array.from({ length: 600 }, () => c.request<{ id: string }>('GET', '/api/v2/organizations/me'))
    )
    expect(results.filter(r => r.status === 'rejected')).toEqual([])
    expect(c.stats().retries).toBe(0)
    expect(org.stats().total).toBeLessThanOrEqual(600 + c.stats().logins)
    expect(c.stats().logins).toBeLessThanOrEqual(4) // about one a 300 s token over 10 minutes
  })

  it('a 401 on a token another request already replaced does not use up a request’s re-login', async () => {
    // Every token dies after 12 requests; 40 requests wait in the queue holding the same token, so
    // all but one meet its 401 after someone else has logged in again.
    const org = await sim({ faults: { tokenRevokeAfter: 12 } })
    const c = client(org, { concurrency: 8 })
    const results = await Promise.all(
      Array.from({ length: 40 }, () => c.request<{ id: string }>('GET', '/api/v2/organizations/me'))
    )
    expect(results.every(r => typeof r.id === 'string')).toBe(true)
    expect(org.stats().faults.revoked).toBeGreaterThan(1)
    // One login per dead token, not one per request that held it.
    expect(c.stats().logins).toBe(org.stats().tokensIssued)
    expect(org.stats().tokensIssued).toBeLessThanOrEqual(org.stats().faults.revoked + 1)
  })

  it('logs in again once on a 401, and fails clearly when the new token is refused too', async () => {
    // The org's clock runs ahead of the client's, so the org sees the token expire unannounced.
    const orgClock = new VirtualClock()
    const org = await sim({ clock: orgClock, tokenTtlSeconds: 300 })
    const c = client(org, { clock: new VirtualClock() })
    await c.request('GET', '/api/v2/organizations/me')
    orgClock.advance(301_000)
    await c.request('GET', '/api/v2/organizations/me')
    expect(c.stats().logins).toBe(2)
    expect(org.stats().tokensIssued).toBe(2)

    // A server that refuses every token: one re-login, then a clear error.
    let logins = 0
    let apiCalls = 0
    const server = http.createServer((req, res) => {
      if (req.url === '/oauth/token') {
        logins++
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ access_token: `refused-token-${logins}-abcdef`, expires_in: 86400 }))
        return
      }
      apiCalls++
      res.writeHead(401, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ message: 'Invalid login credentials.', code: 'bad.credentials', status: 401 }))
    })
    servers.push(server)
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const log = memoryLog()
    const refused = new GenesysClient({
      apiUrl: url,
      loginUrl: url,
      clientId: 'id',
      clientSecret: 'secret-for-the-refusing-server',
      concurrency: 2,
      requestsPerMinute: 600,
      clock: new VirtualClock(),
      log
    })
    clients.push(refused)
    const err = (await refused.request('GET', '/api/v2/flows').catch(e => e)) as GenesysApiError
    expect(err).toBeInstanceOf(GenesysApiError)
    expect(err.status).toBe(401)
    expect(err.message).toContain('GET /api/v2/flows')
    expect(err.message).toMatch(/OAuth client/)
    expect(logins).toBe(2)
    expect(apiCalls).toBe(2)
    for (const text of [err.message, ...logged(log)]) expect(text).not.toMatch(/refused-token/)
  })

  it('waits when the token endpoint itself is rate limited', async () => {
    const clock = new VirtualClock()
    const org = await sim({ clock, loginsPerMinute: 2 })
    // Two other runs used the login budget a moment ago.
    for (let i = 0; i < 2; i++) await client(org).verify()
    const c = client(org)
    const t0 = clock.now()
    await c.verify()
    expect(clock.now() - t0).toBeGreaterThanOrEqual(5_000)
    expect(c.stats().byEndpoint['POST /oauth/token']).toBeGreaterThan(1)
    expect(c.stats().rateLimited).toBeGreaterThan(0)
  })
})

describe('request budget and 429', () => {
  it('waits the full Retry-After on 429, without spending the retry count', async () => {
    const clock = new VirtualClock()
    const org = await sim({ clock })
    const log = memoryLog()
    const c = client(org, { log, maxRetries: 1 })
    await c.verify()
    org.setFaults({ forceRateLimit: { count: 3, retryAfterSeconds: 45 } })
    const t0 = clock.now()
    const me = await c.request<{ id: string }>('GET', '/api/v2/organizations/me')
    expect(me.id).toBe(org.org.orgId)
    expect(clock.now() - t0).toBeGreaterThanOrEqual(3 * 45_000)
    expect(clock.now() - t0).toBeLessThan(3 * 45_000 + 5_000)
    expect(c.stats().rateLimited).toBe(3)
    expect(c.stats().retries).toBe(0)
    expect(logged(log).some(l => /rate limit/i.test(l) && /45 s/.test(l))).toBe(true)
  })

  it('honours a Retry-After of more than 60 s in full', async () => {
    const clock = new VirtualClock()
    const org = await sim({ clock })
    const c = client(org)
    await c.verify()
    org.setFaults({ forceRateLimit: { count: 1, retryAfterSeconds: 90 } })
    const t0 = clock.now()
    await c.request('GET', '/api/v2/organizations/me')
    expect(clock.now() - t0).toBeGreaterThanOrEqual(90_000)
  })

  it('waits out a Retry-After on a download that answers 429 in full', async () => {
    // The signed download URL is served from another host, with a limit of its own.
    let served = 0
    const server = http.createServer((req, res) => {
      served++
      if (served <= 2) {
        res.writeHead(429, { 'retry-after': '45', 'content-type': 'text/plain' })
        res.end('slow down')
        return
      }
      res.writeHead(200, { 'content-type': 'application/x-yaml' })
      res.end('inboundCall:\n  name: Main\n')
    })
    servers.push(server)
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const clock = new VirtualClock()
    const org = await sim({ clock })
    const c = client(org, { maxRetries: 3 })
    const t0 = clock.now()
    const got = await c.download(`http://127.0.0.1:${(server.address() as AddressInfo).port}/file.yaml`)
    expect(got.body.toString()).toContain('name: Main')
    expect(served).toBe(3)
    expect(clock.now() - t0).toBeGreaterThanOrEqual(2 * 45_000)
    expect(c.stats().rateLimited).toBe(2)
  })

  it('pauses every worker while one is told to wait, so 429s do not pile up', async () => {
    const clock = new VirtualClock()
    // The org allows 60 a minute; the client is told 600, so it will run into the limit.
    const org = await sim({ clock, rateLimitPerMinute: 60 })
    const log = memoryLog()
    const c = client(org, { concurrency: 8, requestsPerMinute: 600, log })
    const t0 = clock.now()
    const results = await Promise.all(
      Array.from({ length: 150 }, () => c.request<{ id: string }>('GET', '/api/v2/organizations/me'))
    )
    expect(results.every(r => r.id === org.org.orgId)).toBe(true)
    // 150 requests at 60 a minute need at least two more windows after the first.
    expect(clock.now() - t0).toBeGreaterThanOrEqual(120_000)
    // Each window's overflow is bounded by what was already in flight, not by the requests waiting.
    expect(org.stats().rateLimited).toBeLessThanOrEqual(3 * 8)
    expect(c.stats().rateLimited).toBe(org.stats().rateLimited)
    // One log line per pause, not one per 429 that was already in flight.
    const pauses = logged(log).filter(l => /pausing requests/.test(l)).length
    expect(pauses).toBeGreaterThanOrEqual(2)
    expect(pauses).toBeLessThanOrEqual(4)
  })

  it('paces requests to the budget, so a client within the limit never sees a 429', async () => {
    const clock = new VirtualClock()
    const org = await sim({ clock, rateLimitPerMinute: 120 })
    const c = client(org, { concurrency: 4, requestsPerMinute: 100 })
    const t0 = clock.now()
    await Promise.all(Array.from({ length: 200 }, () => c.request('GET', '/api/v2/organizations/me')))
    expect(org.stats().rateLimited).toBe(0)
    // 200 requests (+ a login, which does not count) at 100 a minute: just under two minutes.
    expect(clock.now() - t0).toBeGreaterThanOrEqual(199 * 600)
    expect(c.stats().byEndpoint['GET /api/v2/organizations/me']).toBe(200)
  })
})

describe('retries', () => {
  it('rides through 5xx, resets and malformed JSON with bounded retries', async () => {
    const clean = await sim({ flows: 60 })
    const expected = (await listFlows(client(clean), {})).map(f => f.id).sort()

    const org = await sim({ flows: 60 })
    org.setFaults({ errorRate: 0.2, resetRate: 0.1, malformedRate: 0.1 })
    const log = memoryLog()
    const c = client(org, { log, maxRetries: 8 })
    const flows = await listFlows(c, {})
    expect(flows.map(f => f.id).sort()).toEqual(expected)
    const more = await Promise.all(
      Array.from({ length: 40 }, () => c.request<{ id: string }>('GET', '/api/v2/organizations/me'))
    )
    expect(more.every(m => m.id === org.org.orgId)).toBe(true)
    expect(c.stats().retries).toBeGreaterThan(0)
    expectNoSecrets(logged(log), log, org)
  })

  it('gives up after maxRetries with an error naming method, endpoint and status', async () => {
    const clock = new VirtualClock()
    const org = await sim({ clock })
    const c = client(org, { maxRetries: 2 })
    await c.verify()
    org.setFaults({ errorRate: 1 })
    const before = org.stats().total
    const err = (await c.request('GET', '/api/v2/organizations/me').catch(e => e)) as GenesysApiError
    expect(err).toBeInstanceOf(GenesysApiError)
    expect(err.method).toBe('GET')
    expect(err.endpoint).toBe('GET /api/v2/organizations/me')
    expect(err.status).toBeGreaterThanOrEqual(500)
    expect(err.message).toContain('GET /api/v2/organizations/me')
    expect(err.message).toContain(String(err.status))
    expect(err.message).toMatch(/3 attempts/)
    expect(org.stats().total - before).toBe(3)
  })

  it('times out a slow answer and retries it', async () => {
    const org = await sim()
    const c = client(org, { timeoutMs: 250, maxRetries: 6 })
    await c.verify()
    org.setFaults({ slowRate: 0.5, slowMs: 800 })
    const results = await Promise.all(
      Array.from({ length: 6 }, () => c.request<{ id: string }>('GET', '/api/v2/organizations/me'))
    )
    expect(results.every(r => r.id === org.org.orgId)).toBe(true)
    expect(c.stats().retries).toBeGreaterThan(0)

    org.setFaults({ slowRate: 1, slowMs: 800 })
    const strict = client(org, { timeoutMs: 200, maxRetries: 1 })
    const err = (await strict.request('GET', '/api/v2/organizations/me').catch(e => e)) as GenesysApiError
    expect(err).toBeInstanceOf(GenesysApiError)
    expect(err.message).toMatch(/in time|within/)
    expect(err.code).toBeDefined()
    // Let the org's slowed handlers finish, so no timer outlives the test.
    await new Promise(resolve => setTimeout(resolve, 850))
  })
})

describe('paging', () => {
  it('reads every flow over several pages, checked against total', async () => {
    const org = await sim({ flows: 120 })
    const c = client(org)
    const expected = org.org.flows
      .filter(f => !f.deleted)
      .map(f => f.id)
      .sort()
    const all = await c.getAllPages<{ id: string }>('/api/v2/flows', {}, { pageSize: 25 })
    expect(all.map(f => f.id).sort()).toEqual(expected)
    expect(c.stats().byEndpoint['GET /api/v2/flows']).toBe(Math.ceil(expected.length / 25))
  })

  it('loses nothing and repeats nothing when a page starts one entity early', async () => {
    const org = await sim({ flows: 120 })
    org.setFaults({ pagingShift: true })
    const c = client(org)
    const expected = org.org.flows
      .filter(f => !f.deleted)
      .map(f => f.id)
      .sort()
    const all = await c.getAllPages<{ id: string }>('/api/v2/flows', {}, { pageSize: 25 })
    expect(all.map(f => f.id).sort()).toEqual(expected)
    // The shifted read was noticed and read again.
    expect(c.stats().byEndpoint['GET /api/v2/flows']).toBeGreaterThan(Math.ceil(expected.length / 25))
  })

  it('lists flows of some types only', async () => {
    const org = await sim({ flows: 60 })
    const c = client(org)
    const flows = await listFlows(c, { types: ['INBOUNDCALL', 'workflow'] })
    const expected = org.org.flows.filter(
      f => !f.deleted && (f.type === 'inboundcall' || f.type === 'workflow')
    )
    expect(flows.map(f => f.id).sort()).toEqual(expected.map(f => f.id).sort())
  })
})

describe('error messages', () => {
  it('403 names the permission to add to the role', async () => {
    const org = await sim()
    const forbidden = org.org.queues[0].id
    org.setFaults({ forbiddenQueueIds: [forbidden] })
    const c = client(org)
    const err = (await c
      .request('GET', `/api/v2/routing/queues/${forbidden}`, {
        endpoint: 'GET /api/v2/routing/queues/{queueId}'
      })
      .catch(e => e)) as GenesysApiError
    expect(err).toBeInstanceOf(GenesysApiError)
    expect(err.status).toBe(403)
    expect(err.endpoint).toBe('GET /api/v2/routing/queues/{queueId}')
    expect(err.message).toContain('GET /api/v2/routing/queues/{queueId}')
    expect(err.message).toContain('routing:queue:view')
    expect(err.message).toMatch(/role/)
    expect(err.message).not.toContain(forbidden)
  })

  it('404 on an unknown path says to check region / api-url', async () => {
    const org = await sim()
    const c = client(org)
    const err = (await c.request('GET', '/api/v2/no/such/thing').catch(e => e)) as GenesysApiError
    expect(err).toBeInstanceOf(GenesysApiError)
    expect(err.status).toBe(404)
    expect(err.message).toMatch(/region/)
    expect(err.message).toContain('api-url')
  })

  it('400 carries Genesys’s own message', async () => {
    const org = await sim()
    const c = client(org)
    const err = (await c
      .request('GET', '/api/v2/flows', { query: { pageSize: 100000 } })
      .catch(e => e)) as GenesysApiError
    expect(err.status).toBe(400)
    expect(err.genesysMessage).toMatch(/pageSize/)
    expect(err.message).toContain(err.genesysMessage!)
  })

  it('an unreachable api-url fails with a message to check region / api-url', async () => {
    const server = http.createServer()
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as AddressInfo).port
    await new Promise(resolve => server.close(resolve))
    const org = await sim()
    const c = client(org, { apiUrl: `http://127.0.0.1:${port}`, maxRetries: 1 })
    const err = (await c.verify().catch(e => e)) as GenesysApiError
    expect(err).toBeInstanceOf(GenesysApiError)
    expect(err.message).toMatch(/api-url/)
    expect(err.code).toBe('ECONNREFUSED')
  })
})

describe('typed endpoints', () => {
  it('reads queues, skills and data actions by id, telling deleted (404) from forbidden (403)', async () => {
    const org = await sim({ flows: 80 })
    const c = client(org)
    const queues = org.org.queues.map(q => q.id)
    const forbidden = queues[1]
    const deleted = org.org.deletedQueues[0]?.id ?? 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee'
    org.setFaults({ forbiddenQueueIds: [forbidden] })
    const result = await getQueuesByIds(c, [...queues, deleted, queues[0]])
    expect(result.found.map(q => q.id).sort()).toEqual(queues.filter(id => id !== forbidden).sort())
    expect(result.missing).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: forbidden, status: 403 }),
        expect.objectContaining({ id: deleted, status: 404 })
      ])
    )
    expect(result.missing).toHaveLength(2)

    const skills = await getSkillsByIds(
      c,
      org.org.skills.map(s => s.id)
    )
    expect(skills.found).toHaveLength(org.org.skills.length)
    expect(skills.missing).toEqual([])

    const actions = await getDataActionsByIds(
      c,
      org.org.dataActions.map(a => a.id)
    )
    expect(actions.found.map(a => a.id).sort()).toEqual(org.org.dataActions.map(a => a.id).sort())
    expect(actions.found.every(a => a.contract && a.config)).toBe(true)
  })

  it('reads what a flow uses and the dependency index status', async () => {
    const org = await sim({ flows: 40 })
    const c = client(org)
    expect(await dependencyIndexStatus(c)).toEqual({ status: 'OPERATIONAL', failedObjects: [] })
    const flow = org.org.flows.find(f => f.publishedVersion && !f.deleted && f.deps.queues.length > 0)!
    const deps = await consumedResources(c, { id: flow.id, version: flow.publishedVersion!, type: flow.type })
    const queueIds = deps.filter(d => d.type === 'QUEUE').map(d => d.id)
    expect(queueIds.sort()).toEqual([...flow.deps.queues].sort())
  })
})
