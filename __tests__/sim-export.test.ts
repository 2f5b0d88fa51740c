// The simulated org's export jobs (lifecycle, downloads, zips, file names, failures, URL expiry)
// and its mutations (publish, edit, delete, add).
import { afterAll, describe, expect, test } from '@jest/globals'
import { unzipSync } from 'fflate'
import { parse } from 'yaml'
import { VirtualClock } from '../src/common/clock.js'
import { startSimOrg, type SimOrg } from '../test/sim/index.js'
import { apiClient, objectTypeOf, rawFetch, type RawResponse } from '../test/sim/raw-client.js'

const started: SimOrg[] = []
async function sim(options: Parameters<typeof startSimOrg>[0] = {}): Promise<SimOrg> {
  const s = await startSimOrg(options)
  started.push(s)
  return s
}
afterAll(async () => {
  await Promise.all(started.map(s => s.close()))
})

type Api = Awaited<ReturnType<typeof apiClient>>
interface JobState {
  id: string
  status: string
  command?: string
  downloadUrl?: string
  messages?: { dateTime: string; type: string; text: string }[]
}

async function runJob(
  api: Api,
  flows: unknown[],
  maxPolls = 10
): Promise<{ posted: RawResponse; states: JobState[] }> {
  const posted = await api('/api/v2/flows/export/jobs', { method: 'POST', json: { flows } })
  const states: JobState[] = []
  if (posted.status !== 202) return { posted, states }
  const id = posted.json<{ id: string }>().id
  for (let i = 0; i < maxPolls; i++) {
    const state = (await api(`/api/v2/flows/export/jobs/${id}?expand=messages`)).json<JobState>()
    states.push(state)
    if (state.status === 'Success' || state.status === 'Failure') break
  }
  return { posted, states }
}

const published = (s: SimOrg) => s.org.flows.filter(f => f.publishedVersion && !f.deleted)
const entry = (f: { id: string; publishedVersion?: string }, extra: Record<string, unknown> = {}) => ({
  flow: { id: f.id, version: f.publishedVersion },
  exportType: 'Yaml',
  ...extra
})

describe('export jobs', () => {
  test('one flow: Registered → Started → Success, the download is the YAML file itself', async () => {
    const s = await sim({ seed: 2, flows: 30 })
    const api = await apiClient(s)
    const f = published(s)[0]
    const { posted, states } = await runJob(api, [entry(f)])
    expect(posted.json()).toMatchObject({ id: expect.any(String), status: 'Registered', totalFlows: 1 })
    expect(states.map(x => x.status)).toEqual(['Started', 'Success'])
    const done = states[1]
    expect(done.command).toBe('Export')
    expect(done.downloadUrl).toMatch(new RegExp(`^${s.url}/sim/downloads/[0-9a-f]{48}\\?`))
    expect(done.messages?.length).toBeGreaterThan(0)
    const file = await rawFetch(done.downloadUrl!)
    expect(file.status).toBe(200)
    expect(file.headers.get('content-type')).toBe('application/octet-stream')
    expect(file.text).toBe(s.org.flowYaml(f.id))
    const disposition = file.headers.get('content-disposition') ?? ''
    expect(decodeURIComponent(disposition.split("filename*=UTF-8''")[1])).toBe(s.org.exportFileName(f.id))
    expect(s.org.exportFileName(f.id)).toMatch(/_v\d+-0\.yaml$/)
    // No messages unless expanded.
    const plain = (await api(`/api/v2/flows/export/jobs/${done.id}`)).json<JobState>()
    expect(plain.messages).toBeUndefined()
    expect(plain.status).toBe('Success')
  })

  test('several flows: a zip of their YAML files, names made unique, fileName honoured', async () => {
    const s = await sim({ seed: 4, flows: 40 })
    const api = await apiClient(s)
    const twins = s.org.flows.filter(f => f.name === 'Customer Care' && f.publishedVersion)
    expect(twins).toHaveLength(2)
    const traversal = s.org.flows.find(f => f.name === '../../etc/passwd' && f.publishedVersion)!
    const [named, plain] = published(s).filter(f => !twins.includes(f) && f !== traversal)
    const flows = [
      ...twins.map(t => entry(t)),
      entry(named, { fileName: 'by-id-' + named.id }),
      entry(traversal),
      entry(plain)
    ]
    const { states } = await runJob(api, flows)
    const done = states[states.length - 1]
    expect(done.status).toBe('Success')
    const zip = await rawFetch(done.downloadUrl!)
    expect(zip.headers.get('content-type')).toBe('application/zip')
    const files = unzipSync(zip.bytes)
    const names = Object.keys(files)
    expect(names).toHaveLength(5)
    expect(names).toContain(`by-id-${named.id}.yaml`)
    expect(new TextDecoder().decode(files[`by-id-${named.id}.yaml`])).toBe(s.org.flowYaml(named.id))
    // The two "Customer Care" flows (different types, same version or not) never overwrite each other.
    const contents = Object.values(files).map(b => new TextDecoder().decode(b))
    for (const t of twins) expect(contents).toContain(s.org.flowYaml(t.id))
    for (const n of names) expect(() => parse(new TextDecoder().decode(files[n]))).not.toThrow()
    // Archy-style names: flow name and version, no path separators left.
    expect(names).toContain(s.org.exportFileName(plain.id))
    expect(names).toContain(`.._.._etc_passwd_v${parseInt(traversal.publishedVersion!, 10)}-0.yaml`)
    expect(names.every(n => !n.includes('/') && !n.includes('\\'))).toBe(true)
  })

  test('validation: no flows, too many flows, bad exportType → 400; unknown job → 404', async () => {
    const s = await sim({ seed: 4, flows: 12, maxFlowsPerExportJob: 3 })
    const api = await apiClient(s)
    const flows = published(s)
    const empty = await api('/api/v2/flows/export/jobs', { method: 'POST', json: { flows: [] } })
    expect(empty.status).toBe(400)
    expect(empty.json()).toMatchObject({ code: 'bad.request', status: 400, message: expect.any(String) })
    const four = await api('/api/v2/flows/export/jobs', {
      method: 'POST',
      json: { flows: flows.slice(0, 4).map(f => entry(f)) }
    })
    expect(four.status).toBe(400)
    expect(four.json<{ message: string }>().message).toMatch(/limit of 3/)
    const badType = await api('/api/v2/flows/export/jobs', {
      method: 'POST',
      json: { flows: [entry(flows[0], { exportType: 'Pdf' })] }
    })
    expect(badType.status).toBe(400)
    const junk = await api('/api/v2/flows/export/jobs', {
      method: 'POST',
      body: '{not json',
      headers: { 'content-type': 'application/json' }
    })
    expect(junk.status).toBe(400)
    expect((await api('/api/v2/flows/export/jobs/00000000-0000-4000-8000-000000000000')).status).toBe(404)
  })

  test('a version other than the published one, an unpublished flow or a deleted flow fail the job', async () => {
    const s = await sim({ seed: 8, flows: 60 })
    const api = await apiClient(s)
    const f = published(s)[0]
    const wrong = await runJob(api, [{ flow: { id: f.id, version: '999.0' } }])
    const last = wrong.states[wrong.states.length - 1]
    expect(last.status).toBe('Failure')
    expect(last.downloadUrl).toBeUndefined()
    expect(last.messages?.some(m => m.type === 'Error' && m.text.includes('999.0'))).toBe(true)
    const never = s.org.flows.find(x => !x.publishedVersion)!
    const unpublished = await runJob(api, [{ flow: { id: never.id, version: '1.0' } }])
    expect(unpublished.states[unpublished.states.length - 1].status).toBe('Failure')
    const gone = published(s)[1]
    s.deleteFlow(gone.id)
    const deleted = await runJob(api, [entry(gone)])
    expect(deleted.states[deleted.states.length - 1].status).toBe('Failure')
  })

  test('naming flows without a version fails now and then, deterministically', async () => {
    const run = async (): Promise<string[]> => {
      const s = await sim({ seed: 8, flows: 30 })
      const api = await apiClient(s)
      const out: string[] = []
      for (const f of published(s).slice(0, 12)) {
        const { states } = await runJob(api, [{ flow: { id: f.id } }])
        out.push(states[states.length - 1].status)
      }
      return out
    }
    const [a, b] = [await run(), await run()]
    expect(a).toEqual(b)
    expect(a).toContain('Failure')
    expect(a).toContain('Success')
  })

  test('download URLs need no token and expire on the sim clock (403, S3-style XML)', async () => {
    const clock = new VirtualClock()
    const s = await sim({ seed: 2, flows: 10, clock, downloadUrlTtlSeconds: 120 })
    const api = await apiClient(s)
    const { states } = await runJob(api, [entry(published(s)[0])])
    const url = states[states.length - 1].downloadUrl!
    expect((await rawFetch(url)).status).toBe(200)
    expect((await rawFetch(url)).status).toBe(200)
    clock.advance(121_000)
    const expired = await rawFetch(url)
    expect(expired.status).toBe(403)
    expect(expired.headers.get('content-type')).toBe('application/xml')
    expect(expired.text).toContain('<Code>AccessDenied</Code>')
    expect((await rawFetch(`${s.url}/sim/downloads/${'0'.repeat(48)}`)).status).toBe(404)
    expect(s.stats().byEndpoint['GET /sim/downloads/{token}']).toBe(4)
  })

  test('exportJobPolls and exportJobSeconds set how long a job takes', async () => {
    const clock = new VirtualClock()
    const s = await sim({ seed: 2, flows: 10, clock, exportJobPolls: 4, exportJobSeconds: 30 })
    const api = await apiClient(s)
    const posted = await api('/api/v2/flows/export/jobs', {
      method: 'POST',
      json: { flows: [entry(published(s)[0])] }
    })
    const id = posted.json<{ id: string }>().id
    const poll = async (): Promise<string> =>
      (await api(`/api/v2/flows/export/jobs/${id}`)).json<JobState>().status
    for (let i = 0; i < 4; i++) expect(await poll()).toBe('Started')
    clock.advance(30_000)
    expect(await poll()).toBe('Success')
  })
})

describe('mutations', () => {
  test('publishFlow: a new version, visibly different content, old version no longer exportable', async () => {
    const s = await sim({ seed: 12, flows: 30 })
    const api = await apiClient(s)
    const f = published(s)[0]
    const before = s.org.flowYaml(f.id)
    const next = s.publishFlow(f.id)
    expect(next).toBe(`${parseInt(f.publishedVersion!, 10) + 1}.0`)
    const after = s.org.flowYaml(f.id)
    expect(after).not.toBe(before)
    expect(after).toContain(`(revision ${parseInt(next, 10)})`)
    // Only the versioned prompt changes.
    const diff = before.split('\n').filter((line, i) => line !== after.split('\n')[i])
    expect(diff.length).toBeLessThanOrEqual(2)
    const listed = (await api(`/api/v2/flows/${f.id}`)).json<{ publishedVersion: { id: string } }>()
    expect(listed.publishedVersion.id).toBe(next)
    const old = await runJob(api, [entry(f)])
    expect(old.states[old.states.length - 1].status).toBe('Failure')
    const fresh = await runJob(api, [{ flow: { id: f.id, version: next } }])
    const file = await rawFetch(fresh.states[fresh.states.length - 1].downloadUrl!)
    expect(file.text).toBe(after)
  })

  test('editQueue deep-merges; editSkill and editDataAction show up in reads', async () => {
    const s = await sim({ seed: 12, flows: 20 })
    const api = await apiClient(s)
    const q = s.org.queues[0]
    const before = (await api(`/api/v2/routing/queues/${q.id}`)).json<{
      acwSettings: { wrapupPrompt: string; timeoutMs: number }
    }>()
    s.editQueue(q.id, { acwSettings: { timeoutMs: 987654 }, description: 'edited' })
    const after = (await api(`/api/v2/routing/queues/${q.id}`)).json<{
      acwSettings: { wrapupPrompt: string; timeoutMs: number }
      description: string
    }>()
    expect(after.acwSettings).toEqual({ wrapupPrompt: before.acwSettings.wrapupPrompt, timeoutMs: 987654 })
    expect(after.description).toBe('edited')
    const skill = s.org.skills[0]
    s.editSkill(skill.id, { name: 'Renamed Skill' })
    expect((await api(`/api/v2/routing/skills/${skill.id}`)).json()).toMatchObject({ name: 'Renamed Skill' })
    const action = s.org.dataActions[0]
    s.editDataAction(action.id, { config: { request: { requestType: 'PATCH' } } })
    const read = (await api(`/api/v2/integrations/actions/${action.id}?includeConfig=true`)).json<{
      config: { request: { requestType: string; requestUrlTemplate: string } }
    }>()
    expect(read.config.request.requestType).toBe('PATCH')
    expect(read.config.request.requestUrlTemplate).toEqual(expect.any(String))
  })

  test('deleteFlow and deleteQueue: 404, gone from listings, flagged deleted where still referenced', async () => {
    const s = await sim({ seed: 14, flows: 60 })
    const api = await apiClient(s)
    const module = published(s).find(
      m => m.type === 'commonmodule' && s.org.flows.some(f => f.deps.flows.includes(m.id))
    )!
    const caller = s.org.flows.find(f => f.publishedVersion && f.deps.flows.includes(module.id))!
    const queueId = caller.deps.queues.find(q => s.org.queue(q))!
    s.deleteFlow(module.id)
    s.deleteQueue(queueId)
    expect((await api(`/api/v2/flows/${module.id}`)).status).toBe(404)
    expect((await api(`/api/v2/flows/${module.id}?deleted=true`)).status).toBe(200)
    expect((await api(`/api/v2/routing/queues/${queueId}`)).status).toBe(404)
    const flows = (await api('/api/v2/flows?pageSize=500')).json<{
      entities: { id: string }[]
      total: number
    }>()
    expect(flows.entities.map(e => e.id)).not.toContain(module.id)
    expect(flows.total).toBe(59)
    const queues = (await api('/api/v2/routing/queues?pageSize=500')).json<{ entities: { id: string }[] }>()
    expect(queues.entities.map(e => e.id)).not.toContain(queueId)
    const deps = (
      await api(
        `/api/v2/architect/dependencytracking/consumedresources?id=${caller.id}&version=${caller.publishedVersion}&objectType=${objectTypeOf(caller.type)}&pageSize=100`
      )
    ).json<{ entities: { id: string; deleted: boolean }[] }>()
    expect(deps.entities.find(d => d.id === module.id)?.deleted).toBe(true)
    expect(deps.entities.find(d => d.id === queueId)?.deleted).toBe(true)
    expect(s.org.deletedQueues.map(q => q.id)).toContain(queueId)
  })

  test('addFlow: listed, published as 1.0, its YAML and dependency tracking name exactly what it depends on', async () => {
    const s = await sim({ seed: 14, flows: 20 })
    const api = await apiClient(s)
    const q = s.org.queues[1]
    const sk = s.org.skills[2]
    const da = s.org.dataActions[3]
    const id = s.addFlow({ name: 'Brand New IVR', type: 'inboundcall', dependsOn: [q.id, sk.id, da.id] })
    const flow = (await api(`/api/v2/flows/${id}`)).json<{
      name: string
      type: string
      publishedVersion: { id: string }
    }>()
    expect(flow).toMatchObject({
      name: 'Brand New IVR',
      type: 'INBOUNDCALL',
      publishedVersion: { id: '1.0' }
    })
    const yaml = s.org.flowYaml(id)
    expect(yaml.startsWith('inboundCall:\n  name: Brand New IVR\n')).toBe(true)
    for (const name of [q.name, sk.name, da.name])
      expect(JSON.stringify(parse(yaml))).toContain(JSON.stringify(name).slice(1, -1))
    const deps = (
      await api(
        `/api/v2/architect/dependencytracking/consumedresources?id=${id}&version=1.0&objectType=INBOUNDCALLFLOW`
      )
    ).json<{ entities: { id: string }[] }>()
    expect(deps.entities.map(d => d.id).sort()).toEqual([q.id, sk.id, da.id].sort())
    expect(() => s.addFlow({ name: 'x', type: 'inboundcall', dependsOn: ['nope'] })).toThrow()
  })
})
