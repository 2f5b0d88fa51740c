// Each fault switch of the simulated org, on its own.
import { afterAll, describe, expect, test } from '@jest/globals'
import { unzipSync } from 'fflate'
import { startSimOrg, type SimOrg } from '../test/sim/index.js'
import { apiClient, objectTypeOf, rawFetch } from '../test/sim/raw-client.js'

const started: SimOrg[] = []
async function sim(options: Parameters<typeof startSimOrg>[0] = {}): Promise<SimOrg> {
  const s = await startSimOrg({ seed: 21, flows: 30, ...options })
  started.push(s)
  return s
}
afterAll(async () => {
  await Promise.all(started.map(s => s.close()))
})

type Api = Awaited<ReturnType<typeof apiClient>>
const published = (s: SimOrg) => s.org.flows.filter(f => f.publishedVersion && !f.deleted)

async function finishedJob(api: Api, ids: { id: string; publishedVersion?: string }[]) {
  const posted = await api('/api/v2/flows/export/jobs', {
    method: 'POST',
    json: { flows: ids.map(f => ({ flow: { id: f.id, version: f.publishedVersion }, exportType: 'Yaml' })) }
  })
  const id = posted.json<{ id: string }>().id
  let state: { status: string; downloadUrl?: string; messages?: { type: string; text: string }[] } = {
    status: ''
  }
  for (let i = 0; i < 8; i++) {
    state = (await api(`/api/v2/flows/export/jobs/${id}?expand=messages`)).json()
    if (state.status === 'Success' || state.status === 'Failure') break
  }
  return state
}

describe('request faults', () => {
  test('errorRate: 5xx answers, JSON from the API tier or HTML from the load balancer', async () => {
    const s = await sim()
    const api = await apiClient(s)
    s.setFaults({ errorRate: 1 })
    const statuses = new Set<number>()
    for (let i = 0; i < 24; i++) {
      const res = await api('/api/v2/flows')
      expect([500, 502, 503, 504]).toContain(res.status)
      if (res.status === 502 || res.status === 504) expect(res.headers.get('content-type')).toBe('text/html')
      else expect(res.json()).toMatchObject({ status: res.status })
      statuses.add(res.status)
    }
    expect(statuses.size).toBeGreaterThan(1)
    s.setFaults({ errorRate: 0 })
    expect((await api('/api/v2/flows')).status).toBe(200)
  })

  test('faults are a function of seed and request order', async () => {
    const run = async (): Promise<number[]> => {
      const s = await sim({ faults: { errorRate: 0.5 } })
      const api = await apiClient(s)
      const out: number[] = []
      for (let i = 0; i < 20; i++) out.push((await api('/api/v2/flows')).status)
      return out
    }
    const [a, b] = [await run(), await run()]
    expect(a).toEqual(b)
    expect(a).toContain(200)
    expect(a.some(x => x >= 500)).toBe(true)
  })

  test('resetRate: the socket closes without an answer', async () => {
    const s = await sim()
    const api = await apiClient(s)
    s.setFaults({ resetRate: 1 })
    await expect(api('/api/v2/flows')).rejects.toThrow()
  })

  test('malformedRate: 200 with a body cut short', async () => {
    const s = await sim()
    const api = await apiClient(s)
    s.setFaults({ malformedRate: 1 })
    const res = await api('/api/v2/flows')
    expect(res.status).toBe(200)
    expect(() => JSON.parse(res.text)).toThrow()
    expect(res.text.startsWith('{"entities":[')).toBe(true)
  })

  test('slowRate and slowMs: real-time delay', async () => {
    const s = await sim()
    const api = await apiClient(s)
    s.setFaults({ slowRate: 1, slowMs: 150 })
    const t0 = Date.now()
    expect((await api('/api/v2/flows')).status).toBe(200)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140)
    s.setFaults({ slowRate: 0 })
    const t1 = Date.now()
    await api('/api/v2/flows')
    expect(Date.now() - t1).toBeLessThan(140)
  })

  test('forceRateLimit: the next requests get 429 with the given Retry-After, counted', async () => {
    const s = await sim()
    const api = await apiClient(s)
    s.setFaults({ forceRateLimit: { count: 2, retryAfterSeconds: 37 } })
    for (let i = 0; i < 2; i++) {
      const res = await api('/api/v2/routing/queues')
      expect(res.status).toBe(429)
      expect(res.headers.get('retry-after')).toBe('37')
      expect(res.json()).toMatchObject({
        code: 'too.many.requests.retry.after',
        message: expect.stringContaining('[37]')
      })
    }
    expect((await api('/api/v2/routing/queues')).status).toBe(200)
    expect(s.stats().rateLimited).toBe(2)
  })

  test('pagingShift: once per listing, a page repeats one entity and another is never served; totals stay right', async () => {
    const s = await sim({ flows: 30 })
    const api = await apiClient(s)
    s.setFaults({ pagingShift: true })
    const pages: { id: string }[][] = []
    for (let n = 1; n <= 3; n++) {
      const page = (await api(`/api/v2/flows?pageSize=10&pageNumber=${n}`)).json<{
        entities: { id: string }[]
        total: number
      }>()
      expect(page.total).toBe(30)
      pages.push(page.entities)
    }
    expect(pages[1][0].id).toBe(pages[0][9].id)
    const served = new Set(pages.flat().map(e => e.id))
    expect(served.size).toBe(29)
    // Only once: reading again is clean.
    const again: string[] = []
    for (let n = 1; n <= 3; n++)
      again.push(
        ...(await api(`/api/v2/flows?pageSize=10&pageNumber=${n}`))
          .json<{ entities: { id: string }[] }>()
          .entities.map(e => e.id)
      )
    expect(new Set(again).size).toBe(30)
  })
})

describe('export and download faults', () => {
  test('failExportFlowIds: Failure with Archy exit code 107', async () => {
    const s = await sim()
    const api = await apiClient(s)
    const [a, b] = published(s)
    s.setFaults({ failExportFlowIds: [b.id] })
    const job = await finishedJob(api, [a, b])
    expect(job.status).toBe('Failure')
    expect(job.downloadUrl).toBeUndefined()
    expect(job.messages?.some(m => m.type === 'Error' && /could not find the flow.*107/.test(m.text))).toBe(
      true
    )
    expect((await finishedJob(api, [a])).status).toBe('Success')
  })

  test('stuckExportJobs: jobs stay Started', async () => {
    const s = await sim({ faults: { stuckExportJobs: true } })
    const api = await apiClient(s)
    const job = await finishedJob(api, [published(s)[0]])
    expect(job.status).toBe('Started')
  })

  test('downloadStatus, corruptZip, zipDropsFlowIds', async () => {
    const s = await sim()
    const api = await apiClient(s)
    const flows = published(s).slice(0, 3)
    const job = await finishedJob(api, flows)
    expect(job.status).toBe('Success')
    const url = job.downloadUrl!
    expect(Object.keys(unzipSync((await rawFetch(url)).bytes))).toHaveLength(3)
    s.setFaults({ downloadStatus: 404 })
    const missing = await rawFetch(url)
    expect(missing.status).toBe(404)
    expect(missing.text).toContain('<Code>NoSuchKey</Code>')
    s.setFaults({ downloadStatus: null, corruptZip: true })
    const corrupt = await rawFetch(url)
    expect(corrupt.status).toBe(200)
    expect(() => unzipSync(corrupt.bytes)).toThrow()
    s.setFaults({ corruptZip: false, zipDropsFlowIds: [flows[1].id] })
    const files = unzipSync((await rawFetch(url)).bytes)
    const contents = Object.values(files).map(b => new TextDecoder().decode(b))
    expect(contents).toHaveLength(2)
    expect(contents).not.toContain(s.org.flowYaml(flows[1].id))
  })
})

describe('org-level faults', () => {
  test('dependencyBuildStatus is reported', async () => {
    const s = await sim({ faults: { dependencyBuildStatus: 'OPERATIONALNEEDSREBUILD' } })
    const api = await apiClient(s)
    expect((await api('/api/v2/architect/dependencytracking/build')).json()).toMatchObject({
      status: 'OPERATIONALNEEDSREBUILD'
    })
  })

  test('unindexed and failed-index flows: consumedresources answers empty; failed ones are in failedObjects', async () => {
    const s = await sim()
    const api = await apiClient(s)
    const [unindexed, failed, other] = s.org.flows.filter(f => f.publishedVersion && f.deps.queues.length > 0)
    s.setFaults({ unindexedFlowIds: [unindexed.id], failedIndexFlowIds: [failed.id] })
    const depsOf = async (flow: typeof other) =>
      (
        await api(
          `/api/v2/architect/dependencytracking/consumedresources?id=${flow.id}&version=${flow.publishedVersion}&objectType=${objectTypeOf(flow.type)}&pageSize=100`
        )
      ).json<{ entities: unknown[]; total: number }>()
    expect(await depsOf(unindexed)).toMatchObject({ entities: [], total: 0 })
    expect(await depsOf(failed)).toMatchObject({ entities: [], total: 0 })
    expect((await depsOf(other)).total).toBeGreaterThan(0)
    expect((await api('/api/v2/architect/dependencytracking/build')).json()).toMatchObject({
      status: 'OPERATIONAL',
      failedObjects: [{ id: failed.id, version: failed.publishedVersion, errorCode: 'FLOW_PARSE_FAILED' }]
    })
  })

  test('forbidden queues, skills and data actions: 403 by id, absent from listings, still in dependency tracking', async () => {
    const s = await sim()
    const api = await apiClient(s)
    const flow = s.org.flows.find(f => f.publishedVersion && f.deps.queues.some(q => s.org.queue(q)))!
    const queue = flow.deps.queues.find(q => s.org.queue(q))!
    const skill = s.org.skills[0].id
    const action = s.org.dataActions[0].id
    s.setFaults({ forbiddenQueueIds: [queue], forbiddenSkillIds: [skill], forbiddenDataActionIds: [action] })
    const q = await api(`/api/v2/routing/queues/${queue}`)
    expect(q.status).toBe(403)
    expect(q.json()).toMatchObject({ status: 403, code: 'not.authorized' })
    expect((await api(`/api/v2/routing/skills/${skill}`)).status).toBe(403)
    expect((await api(`/api/v2/integrations/actions/${action}`)).status).toBe(403)
    expect((await api(`/api/v2/routing/queues?id=${queue}`)).json<{ total: number }>().total).toBe(0)
    expect((await api(`/api/v2/routing/skills?id=${skill}`)).json<{ total: number }>().total).toBe(0)
    expect((await api(`/api/v2/integrations/actions?ids=${action}`)).json<{ total: number }>().total).toBe(0)
    const deps = (
      await api(
        `/api/v2/architect/dependencytracking/consumedresources?id=${flow.id}&version=${flow.publishedVersion}&objectType=${objectTypeOf(flow.type)}&pageSize=100`
      )
    ).json<{ entities: { id: string }[] }>()
    expect(deps.entities.map(d => d.id)).toContain(queue)
  })
})
