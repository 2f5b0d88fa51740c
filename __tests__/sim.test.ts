// The simulated org itself: determinism, the generated YAML, the awkward names, listings and
// paging, login, token expiry, the rate limit, request counting and queue/skill/action shapes.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { parse } from 'yaml'
import { VirtualClock } from '../src/common/clock.js'
import { startSimOrg, SIM_FLOW_TYPES, type SimOrg } from '../test/sim/index.js'
import { AWKWARD_NAMES } from '../test/sim/names.js'
import { apiClient, login, objectTypeOf, rawFetch } from '../test/sim/raw-client.js'
import { ARCHY_KEYS } from '../test/sim/templates.js'

const started: SimOrg[] = []
async function sim(options: Parameters<typeof startSimOrg>[0] = {}): Promise<SimOrg> {
  const s = await startSimOrg(options)
  started.push(s)
  return s
}
afterAll(async () => {
  await Promise.all(started.map(s => s.close()))
})

type Listing<T = Record<string, unknown>> = {
  entities: T[]
  total: number
  pageSize: number
  pageNumber: number
  pageCount: number
  nextUri?: string
  previousUri?: string
  firstUri: string
  lastUri: string
  selfUri: string
}

describe('determinism', () => {
  test('two sims with the same seed serve the same bytes; another seed differs', async () => {
    const [a, b, c] = await Promise.all([
      sim({ seed: 5, flows: 30 }),
      sim({ seed: 5, flows: 30 }),
      sim({ seed: 6, flows: 30 })
    ])
    const read = async (s: SimOrg): Promise<string[]> => {
      const api = await apiClient(s)
      const paths = [
        '/api/v2/flows?pageSize=500',
        '/api/v2/routing/queues?pageSize=500',
        '/api/v2/routing/skills?pageSize=500',
        '/api/v2/integrations/actions?pageSize=100&includeConfig=true',
        '/api/v2/organizations/me'
      ]
      const out: string[] = []
      for (const p of paths) out.push((await api(p)).text)
      return out
    }
    const [ra, rb, rc] = [await read(a), await read(b), await read(c)]
    expect(ra).toEqual(rb)
    expect(ra[0]).not.toEqual(rc[0])
    for (const f of a.org.flows) {
      if (!f.publishedVersion) continue
      expect(a.org.flowYaml(f.id)).toBe(b.org.flowYaml(f.id))
    }
    expect(a.seededSecrets()).toEqual(b.seededSecrets())
    expect(a.seededSecrets()).not.toEqual(c.seededSecrets())
  })
})

/** Names a flow's YAML refers to, by kind, found by walking the parsed document. */
function referencedNames(doc: unknown): Record<'queues' | 'skills' | 'dataActions' | 'flows', Set<string>> {
  const out = {
    queues: new Set<string>(),
    skills: new Set<string>(),
    dataActions: new Set<string>(),
    flows: new Set<string>()
  }
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk)
    if (typeof node !== 'object' || node === null) return
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      const v = value as Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
      if (key === 'targetQueue' && typeof v?.lit?.name === 'string') out.queues.add(v.lit.name)
      if (key === 'findQueue' && typeof v?.findName?.lit === 'string') out.queues.add(v.findName.lit)
      if (key === 'acdSkill' && typeof v?.lit?.name === 'string') out.skills.add(v.lit.name)
      if (key === 'exp' && typeof value === 'string') {
        for (const m of value.matchAll(/FindSkill\("((?:[^"\\]|\\.)*)"\)/g))
          out.skills.add(m[1].replace(/\\(.)/g, '$1'))
      }
      if (key === 'category' && v && typeof v === 'object')
        for (const integration of Object.values(v))
          for (const name of Object.keys(integration?.dataAction ?? {})) out.dataActions.add(name)
      if (
        (key === 'commonModule' || key === 'botFlow') &&
        v &&
        typeof v === 'object' &&
        Object.values(v).every(x => typeof x === 'object' && x && 'ver_latestPublished' in x)
      )
        for (const name of Object.keys(v)) out.flows.add(name)
      if (key === 'overrideInQueueFlow' && typeof v?.name === 'string') out.flows.add(v.name)
      walk(value)
    }
  }
  walk(doc)
  return out
}

describe('generated flows', () => {
  let s: SimOrg
  beforeAll(async () => {
    s = await sim({ seed: 3, flows: 120 })
  })

  test('every type is present, every YAML parses, with the camel-case type key and the flow header', () => {
    const types = new Set(s.org.flows.map(f => f.type))
    expect([...types].sort()).toEqual([...SIM_FLOW_TYPES].sort())
    for (const f of s.org.flows) {
      if (!f.publishedVersion) continue
      const yaml = s.org.flowYaml(f.id)
      const doc = parse(yaml) as Record<string, Record<string, unknown>>
      expect(Object.keys(doc)).toEqual([ARCHY_KEYS[f.type as keyof typeof ARCHY_KEYS]])
      const body = Object.values(doc)[0]
      expect(body.name).toBe(f.name)
      expect(body.description).toBe(f.description)
      expect(body.division).toBe(f.division)
    }
  })

  test('what a flow names in its YAML is exactly what dependency tracking says it uses', () => {
    const name = (id: string): string =>
      s.org.queue(id)?.name ??
      s.org.deletedQueues.find(q => q.id === id)?.name ??
      s.org.skills.find(x => x.id === id)?.name ??
      s.org.dataActions.find(x => x.id === id)?.name ??
      s.org.flow(id)?.name ??
      id
    for (const f of s.org.flows) {
      if (!f.publishedVersion) continue
      const refs = referencedNames(parse(s.org.flowYaml(f.id)))
      expect([...refs.queues].sort()).toEqual([...new Set(f.deps.queues.map(name))].sort())
      expect([...refs.skills].sort()).toEqual([...new Set(f.deps.skills.map(name))].sort())
      expect([...refs.dataActions].sort()).toEqual([...new Set(f.deps.dataActions.map(name))].sort())
      expect([...refs.flows].sort()).toEqual([...new Set(f.deps.flows.map(name))].sort())
    }
  })

  test('references have the documented density, some point at deleted queues, closures are transitive', () => {
    const flows = s.org.flows.filter(f => f.publishedVersion)
    const avg = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length
    expect(avg(flows.map(f => f.deps.queues.length))).toBeGreaterThan(1)
    expect(avg(flows.map(f => f.deps.dataActions.length))).toBeGreaterThan(0.5)
    const deleted = new Set(s.org.deletedQueues.map(q => q.id))
    expect(flows.some(f => f.deps.queues.some(q => deleted.has(q)))).toBe(true)
    const modules = new Set(flows.filter(f => f.type === 'commonmodule').map(f => f.id))
    const caller = flows.find(f => f.type !== 'commonmodule' && f.deps.flows.some(id => modules.has(id)))
    expect(caller).toBeDefined()
    const closure = s.org.closure([caller!.id])
    const module = s.org.flow(caller!.deps.flows.find(id => modules.has(id))!)!
    for (const q of module.deps.queues.filter(q => !deleted.has(q))) expect(closure.queues).toContain(q)
    const queueSkills = closure.queues.flatMap(q => s.org.queue(q)!.deps.skills)
    for (const sk of queueSkills) expect(closure.skills).toContain(sk)
    expect(queueSkills.length).toBeGreaterThan(0)
    expect(closure.flows).toContain(module.id)
  })

  test('sizes follow averageFlowBytes', async () => {
    const big = await sim({ seed: 3, flows: 25, averageFlowBytes: 50_000 })
    const sizes = big.org.flows
      .filter(f => f.publishedVersion)
      .map(f => Buffer.byteLength(big.org.flowYaml(f.id)))
    const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length
    expect(mean).toBeGreaterThan(35_000)
    expect(mean).toBeLessThan(70_000)
  })
})

describe('awkward names', () => {
  test('each is present in the default org', async () => {
    const s = await sim()
    const names = {
      flow: s.org.flows.map(f => f.name),
      queue: s.org.queues.map(q => q.name),
      skill: s.org.skills.map(x => x.name),
      dataAction: s.org.dataActions.map(x => x.name)
    }
    for (const a of AWKWARD_NAMES) expect(names[a.kind]).toContain(a.name)
    const careCare = s.org.flows.filter(f => f.name === 'Customer Care')
    expect(new Set(careCare.map(f => f.type)).size).toBe(2)
    expect(names.flow).toContain('Café Support IVR'.normalize('NFD'))
    expect(names.flow).toContain('Café Support IVR'.normalize('NFC'))
    expect(names.flow.some(n => n.length === 1000)).toBe(true)
    // Case pair and NFC/NFD pair share a type, so they land in the same folder.
    const typeOf = (n: string): string | undefined => s.org.flows.find(f => f.name === n)?.type
    expect(typeOf('Billing IVR')).toBe(typeOf('billing ivr'))
    expect(typeOf('Café Support IVR'.normalize('NFC'))).toBe(typeOf('Café Support IVR'.normalize('NFD')))
  })

  test('can be turned off', async () => {
    const s = await sim({ awkwardNames: false, flows: 20 })
    const all = [...s.org.flows.map(f => f.name), ...s.org.queues.map(q => q.name)]
    for (const a of AWKWARD_NAMES) expect(all).not.toContain(a.name)
  })
})

describe('listings', () => {
  let s: SimOrg
  let api: Awaited<ReturnType<typeof apiClient>>
  beforeAll(async () => {
    s = await sim({ seed: 9, flows: 53 })
    api = await apiClient(s)
  })

  test('flows page by pageNumber with a right total and URIs', async () => {
    const seen: string[] = []
    let page: Listing | undefined
    for (let n = 1; n <= 20; n++) {
      page = (await api(`/api/v2/flows?pageSize=7&pageNumber=${n}`)).json<Listing>()
      expect(page.total).toBe(53)
      expect(page.pageCount).toBe(8)
      seen.push(...page.entities.map(e => e.id as string))
      if (!page.nextUri) break
      expect(page.nextUri).toContain(`pageNumber=${n + 1}`)
    }
    expect(page?.pageNumber).toBe(8)
    expect(new Set(seen).size).toBe(53)
    expect(seen.sort()).toEqual(s.org.flows.map(f => f.id).sort())
    const beyond = (await api('/api/v2/flows?pageSize=7&pageNumber=9')).json<Listing>()
    expect(beyond.entities).toEqual([])
    expect(beyond.total).toBe(53)
  })

  test('page sizes beyond the limits are refused with a Genesys error body', async () => {
    const flows = await api('/api/v2/flows?pageSize=501')
    expect(flows.status).toBe(400)
    expect(flows.json()).toMatchObject({ code: 'bad.request', status: 400 })
    expect((await api('/api/v2/integrations/actions?pageSize=101')).status).toBe(400)
    expect((await api('/api/v2/flows?pageSize=abc')).status).toBe(400)
    expect((await api('/api/v2/flows?pageSize=500')).status).toBe(200)
  })

  test('type filter: repeated or comma-separated, upper-case types in the result, unknown types refused', async () => {
    const repeated = (await api('/api/v2/flows?type=inboundcall&type=workflow&pageSize=500')).json<Listing>()
    const comma = (await api('/api/v2/flows?type=inboundcall,workflow&pageSize=500')).json<Listing>()
    expect(comma.entities).toEqual(repeated.entities)
    const expected = s.org.flows.filter(f => ['inboundcall', 'workflow'].includes(f.type)).length
    expect(repeated.total).toBe(expected)
    expect(new Set(repeated.entities.map(e => e.type))).toEqual(new Set(['INBOUNDCALL', 'WORKFLOW']))
    expect((await api('/api/v2/flows?type=nonsense')).status).toBe(400)
  })

  test('flow objects: published ones carry publishedVersion, never-published ones do not', async () => {
    const all = (await api('/api/v2/flows?pageSize=500')).json<
      Listing<{ id: string; publishedVersion?: { id: string; type: string } }>
    >()
    const unpublished = s.org.flows.filter(f => !f.publishedVersion)
    expect(unpublished.length).toBeGreaterThan(0)
    for (const e of all.entities) {
      const f = s.org.flow(e.id)!
      if (f.publishedVersion)
        expect(e.publishedVersion).toMatchObject({ id: f.publishedVersion, type: 'PUBLISH' })
      else expect(e.publishedVersion).toBeUndefined()
    }
    const one = await api(`/api/v2/flows/${all.entities[0].id}`)
    expect(one.json()).toMatchObject({
      id: all.entities[0].id,
      selfUri: `/api/v2/flows/${all.entities[0].id}`
    })
    const missing = await api('/api/v2/flows/00000000-0000-4000-8000-000000000000')
    expect(missing.status).toBe(404)
    expect(missing.json()).toMatchObject({ code: 'not.found', status: 404 })
  })

  test('queues and skills by id (repeatable); queue member counts and array order vary between reads', async () => {
    const ids = s.org.queues.slice(0, 3).map(q => q.id)
    const byId = (await api(`/api/v2/routing/queues?${ids.map(i => `id=${i}`).join('&')}`)).json<Listing>()
    expect(byId.entities.map(e => e.id).sort()).toEqual([...ids].sort())
    const reads: string[] = []
    const withSkills = s.org.queues.find(q => q.deps.skills.length >= 2) ?? s.org.queues[0]
    for (let i = 0; i < 6; i++) reads.push((await api(`/api/v2/routing/queues/${withSkills.id}`)).text)
    expect(new Set(reads).size).toBeGreaterThan(1)
    const q = JSON.parse(reads[0]) as Record<string, unknown>
    expect(q).toMatchObject({ id: withSkills.id, name: withSkills.name })
    expect(typeof q.memberCount).toBe('number')
    const skillId = s.org.skills[0].id
    const skill = (await api(`/api/v2/routing/skills/${skillId}`)).json()
    expect(skill).toMatchObject({ id: skillId, state: 'active' })
    const skills = (await api(`/api/v2/routing/skills?id=${skillId}`)).json<Listing>()
    expect(skills.entities.map(e => e.id)).toEqual([skillId])
  })

  test('data actions: no contract in listings, config only when asked, contract with expand, at most 50 ids', async () => {
    const plain = (await api('/api/v2/integrations/actions?pageSize=100')).json<Listing>()
    expect(plain.total).toBe(s.org.dataActions.length)
    for (const e of plain.entities) {
      expect(e.contract).toBeUndefined()
      expect(e.config).toBeUndefined()
      expect(String(e.id)).toMatch(/^custom_-_[0-9a-f-]{36}$/)
    }
    const withConfig = (
      await api('/api/v2/integrations/actions?pageSize=100&includeConfig=true')
    ).json<Listing>()
    expect(withConfig.entities.every(e => e.config !== undefined && e.contract === undefined)).toBe(true)
    // Seeded credentials are really in the configs, so redaction has something to do.
    const text = JSON.stringify(withConfig.entities)
    for (const secret of s.seededSecrets()) expect(text).toContain(secret)
    const id = s.org.dataActions[0].id
    const full = (await api(`/api/v2/integrations/actions/${id}?expand=contract&includeConfig=true`)).json()
    expect(full).toMatchObject({
      id,
      contract: { input: { inputSchema: expect.any(Object) } },
      config: { request: expect.any(Object) }
    })
    const tooMany = Array.from({ length: 51 }, (_, i) => `custom_-_${i}`).join(',')
    expect((await api(`/api/v2/integrations/actions?ids=${tooMany}`)).status).toBe(400)
    const two = s.org.dataActions.slice(0, 2).map(a => a.id)
    const byIds = (await api(`/api/v2/integrations/actions?ids=${two.join(',')}`)).json<Listing>()
    expect(byIds.entities.map(e => e.id).sort()).toEqual([...two].sort())
  })

  test('unknown paths 404, wrong methods 405, the organization answers', async () => {
    expect((await api('/api/v2/nothing/here')).status).toBe(404)
    const wrong = await api('/api/v2/flows', { method: 'DELETE' })
    expect(wrong.status).toBe(405)
    expect(wrong.json()).toMatchObject({ status: 405 })
    expect((await api('/api/v2/organizations/me')).json()).toMatchObject({
      id: s.org.orgId,
      name: expect.any(String)
    })
  })

  test('dependency tracking and build status', async () => {
    const f = s.org.flows.find(x => x.publishedVersion && x.deps.queues.length > 0)!
    const res = await api(
      `/api/v2/architect/dependencytracking/consumedresources?id=${f.id}&version=${f.publishedVersion}&objectType=${objectTypeOf(f.type)}&pageSize=100`
    )
    const deps = res.json<Listing<{ id: string; type: string; deleted: boolean }>>()
    const expected = [
      ...f.deps.queues,
      ...f.deps.skills,
      ...f.deps.dataActions,
      ...f.deps.flows,
      ...f.deps.others.map(o => o.id)
    ]
    expect(deps.entities.map(d => d.id).sort()).toEqual([...new Set(expected)].sort())
    const onlyQueues = (
      await api(
        `/api/v2/architect/dependencytracking/consumedresources?id=${f.id}&version=${f.publishedVersion}&objectType=${objectTypeOf(f.type)}&resourceType=QUEUE`
      )
    ).json<Listing<{ type: string }>>()
    expect(onlyQueues.entities.every(d => d.type === 'QUEUE')).toBe(true)
    expect(onlyQueues.total).toBe(new Set(f.deps.queues).size)
    const base = `/api/v2/architect/dependencytracking/consumedresources?id=${f.id}`
    expect((await api(`${base}&version=99.0&objectType=${objectTypeOf(f.type)}`)).status).toBe(404)
    expect((await api(`${base}&version=${f.publishedVersion}&objectType=NOTATYPE`)).status).toBe(400)
    expect((await api(`${base}&version=${f.publishedVersion}&objectType=QUEUE`)).status).toBe(400)
    const otherType = f.type === 'workflow' ? 'INBOUNDCALLFLOW' : 'WORKFLOW'
    expect((await api(`${base}&version=${f.publishedVersion}&objectType=${otherType}`)).status).toBe(404)
    const unpublished = s.org.flows.find(x => !x.publishedVersion)!
    expect(
      (
        await api(
          `/api/v2/architect/dependencytracking/consumedresources?id=${unpublished.id}&version=1.0&objectType=${objectTypeOf(unpublished.type)}`
        )
      ).status
    ).toBe(404)
    expect((await api('/api/v2/architect/dependencytracking/build')).json()).toMatchObject({
      status: 'OPERATIONAL'
    })
  })
})

describe('login, tokens and the rate limit', () => {
  test('client credentials: token shape, wrong secret 401, bad grant 400, missing bearer 401', async () => {
    const s = await sim({ flows: 5 })
    const ok = await login(s)
    expect(ok.status).toBe(200)
    expect(ok.json()).toMatchObject({
      access_token: expect.stringMatching(/^[0-9a-f]{64}$/),
      token_type: 'bearer',
      expires_in: 86400
    })
    const second = await login(s)
    expect(second.json().access_token).not.toBe(ok.json().access_token)
    const bad = await login(s, s.clientId, 'wrong')
    expect(bad.status).toBe(401)
    expect(bad.json()).toMatchObject({
      error: 'invalid_client',
      error_description: expect.any(String),
      description: expect.any(String)
    })
    const grant = await rawFetch(`${s.url}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${s.clientId}:${s.clientSecret}`).toString('base64')}`
      },
      body: 'grant_type=password'
    })
    expect(grant.status).toBe(400)
    const noBearer = await rawFetch(`${s.url}/api/v2/flows`)
    expect(noBearer.status).toBe(401)
    const junk = await rawFetch(`${s.url}/api/v2/flows`, { headers: { authorization: 'Bearer nope' } })
    expect(junk.status).toBe(401)
    expect(junk.json()).toMatchObject({ code: 'bad.credentials', status: 401 })
    expect(s.stats().tokensIssued).toBe(2)
  })

  test('tokens expire on the sim clock', async () => {
    const clock = new VirtualClock()
    const s = await sim({ flows: 5, clock, tokenTtlSeconds: 300 })
    const api = await apiClient(s)
    expect((await api('/api/v2/flows')).status).toBe(200)
    clock.advance(299_000)
    expect((await api('/api/v2/flows')).status).toBe(200)
    clock.advance(2_000)
    const expired = await api('/api/v2/flows')
    expect(expired.status).toBe(401)
    expect(expired.json()).toMatchObject({ code: 'bad.credentials' })
  })

  test('per-token limit: 429 with Retry-After and the Genesys body, free again after the wait; per token', async () => {
    const clock = new VirtualClock()
    const s = await sim({ flows: 5, clock, rateLimitPerMinute: 5 })
    const api = await apiClient(s)
    for (let i = 0; i < 5; i++) expect((await api('/api/v2/flows')).status).toBe(200)
    clock.advance(20_000)
    const limited = await api('/api/v2/flows')
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('40')
    expect(limited.json()).toMatchObject({
      message: 'Rate limit exceeded the maximum. Retry the request in [40] seconds',
      code: 'too.many.requests.retry.after',
      status: 429,
      contextId: expect.any(String)
    })
    const other = await apiClient(s)
    expect((await other('/api/v2/flows')).status).toBe(200)
    await clock.sleep(40_000)
    expect((await api('/api/v2/flows')).status).toBe(200)
    expect(s.stats().rateLimited).toBe(1)
  })

  test('the token endpoint refuses a client that logs in too often', async () => {
    const clock = new VirtualClock()
    const s = await sim({ flows: 5, clock, loginsPerMinute: 3 })
    for (let i = 0; i < 3; i++) expect((await login(s)).status).toBe(200)
    const refused = await login(s)
    expect(refused.status).toBe(400)
    expect(refused.json()).toMatchObject({ error: 'invalid_request' })
    expect(refused.json<{ error_description: string }>().error_description).toMatch(/rate limit/i)
    clock.advance(61_000)
    expect((await login(s)).status).toBe(200)
  })
})

describe('latency', () => {
  test('latencyMs is spent on the sim clock for every response', async () => {
    const clock = new VirtualClock()
    const s = await sim({ flows: 5, clock, latencyMs: 250 })
    const t0 = clock.now()
    const api = await apiClient(s)
    await api('/api/v2/organizations/me')
    expect(clock.now() - t0).toBeGreaterThanOrEqual(500)
  })
})

describe('request counting', () => {
  test('counts by endpoint template, total, reset', async () => {
    const s = await sim({ flows: 5 })
    const api = await apiClient(s)
    const f = s.org.flows[0]
    await api('/api/v2/flows')
    await api(`/api/v2/flows/${f.id}`)
    await api(`/api/v2/flows/${s.org.flows[1].id}`)
    await api(`/api/v2/routing/queues/${s.org.queues[0].id}`)
    const stats = s.stats()
    expect(stats.byEndpoint).toEqual({
      'POST /oauth/token': 1,
      'GET /api/v2/flows': 1,
      'GET /api/v2/flows/{flowId}': 2,
      'GET /api/v2/routing/queues/{queueId}': 1
    })
    expect(stats.total).toBe(5)
    s.resetStats()
    expect(s.stats()).toMatchObject({ total: 0, byEndpoint: {}, rateLimited: 0 })
  })
})
