// The official Genesys Cloud JavaScript SDK, pointed at the simulated org through its gateway
// setting, does everything the action does: if the SDK can talk to the sim, the sim speaks the real
// API's paths, parameters and shapes (as far as the SDK checks them).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { unzipSync } from 'fflate'
import platformClient from 'purecloud-platform-client-v2'
import type { Models } from 'purecloud-platform-client-v2'
import { startSimOrg, type SimOrg } from '../test/sim/index.js'
import { objectTypeOf, rawFetch } from '../test/sim/raw-client.js'

let sim: SimOrg

beforeAll(async () => {
  sim = await startSimOrg({ seed: 31, flows: 40 })
  const client = platformClient.ApiClient.instance
  const port = Number(new URL(sim.url).port)
  client.setGateway({ host: '127.0.0.1', protocol: 'http', port, path_params_login: '', path_params_api: '' })
  await client.loginClientCredentialsGrant(sim.clientId, sim.clientSecret)
})

afterAll(async () => {
  await sim?.close()
})

describe('official SDK against the simulated org', () => {
  test('lists flows by type with paging', async () => {
    const architect = new platformClient.ArchitectApi()
    const page = await architect.getFlows({ type: ['inboundcall', 'workflow'], pageSize: 5, pageNumber: 1 })
    const expected = sim.org.flows.filter(f => ['inboundcall', 'workflow'].includes(f.type)).length
    expect(page.total).toBe(expected)
    expect(page.entities).toHaveLength(5)
    expect(page.pageCount).toBe(Math.ceil(expected / 5))
    for (const f of page.entities ?? []) expect(['INBOUNDCALL', 'WORKFLOW']).toContain(f.type)
    const one = await architect.getFlow(page.entities![0].id!)
    expect(one.name).toBe(page.entities![0].name)
  })

  test('runs an export job and downloads the result', async () => {
    const architect = new platformClient.ArchitectApi()
    const flows = sim.org.flows.filter(f => f.publishedVersion).slice(0, 3)
    const body: Models.RegisterArchitectExportJob = {
      flows: flows.map(f => ({ flow: { id: f.id, version: f.publishedVersion }, exportType: 'Yaml' }))
    }
    const registered = await architect.postFlowsExportJobs(body)
    expect(registered).toMatchObject({ status: 'Registered', totalFlows: 3 })
    let state: Models.ArchitectExportJobStateResponse = {}
    for (let i = 0; i < 10 && state.status !== 'Success'; i++)
      state = await architect.getFlowsExportJob(registered.id!, { expand: ['messages'] })
    expect(state.status).toBe('Success')
    expect(state.messages?.length).toBeGreaterThan(0)
    const zip = await rawFetch(state.downloadUrl!)
    const contents = Object.values(unzipSync(zip.bytes)).map(b => new TextDecoder().decode(b))
    expect(contents.sort()).toEqual(flows.map(f => sim.org.flowYaml(f.id)).sort())
  })

  test('reads consumed resources and the dependency tracking build status', async () => {
    const architect = new platformClient.ArchitectApi()
    const f = sim.org.flows.find(
      x => x.publishedVersion && x.deps.queues.length > 0 && x.deps.dataActions.length > 0
    )!
    const deps = await architect.getArchitectDependencytrackingConsumedresources(
      f.id,
      f.publishedVersion!,
      objectTypeOf(f.type),
      {
        resourceType: ['QUEUE', 'DATAACTION'],
        pageSize: 100
      }
    )
    expect(deps.entities?.map(d => d.id).sort()).toEqual(
      [...new Set([...f.deps.queues, ...f.deps.dataActions])].sort()
    )
    const build = await architect.getArchitectDependencytrackingBuild()
    expect(build.status).toBe('OPERATIONAL')
  })

  test('reads queues (listing and by id) and skills', async () => {
    const routing = new platformClient.RoutingApi()
    const ids = sim.org.queues.slice(0, 2).map(q => q.id)
    const queues = await routing.getRoutingQueues({ id: ids, pageSize: 25 })
    expect(queues.entities?.map(q => q.id).sort()).toEqual([...ids].sort())
    const queue = await routing.getRoutingQueue(ids[0])
    expect(queue.name).toBe(sim.org.queue(ids[0])!.name)
    expect(queue.bullseye?.rings?.length).toBeGreaterThan(0)
    const skills = await routing.getRoutingSkills({ pageSize: 100 })
    expect(skills.total).toBe(sim.org.skills.length)
  })

  test('reads data actions by ids, and one with its contract and config', async () => {
    const integrations = new platformClient.IntegrationsApi()
    const ids = sim.org.dataActions.slice(0, 3).map(a => a.id)
    const listed = await integrations.getIntegrationsActions({ ids: ids.join(','), pageSize: 100 })
    expect(listed.entities?.map(a => a.id).sort()).toEqual([...ids].sort())
    expect(listed.entities?.every(a => a.contract === undefined)).toBe(true)
    const action = await integrations.getIntegrationsAction(ids[0], {
      expand: 'contract',
      includeConfig: true
    })
    expect(action.contract?.input?.inputSchema).toBeDefined()
    expect(action.config?.request?.requestUrlTemplate).toEqual(expect.any(String))
  })

  test('reads the organization', async () => {
    const org = await new platformClient.OrganizationApi().getOrganizationsMe()
    expect(org.id).toBe(sim.org.orgId)
  })

  test('the SDK sees the same counts the sim recorded', () => {
    const stats = sim.stats()
    expect(stats.byEndpoint['POST /oauth/token']).toBe(1)
    expect(stats.byEndpoint['GET /api/v2/flows']).toBe(1)
    expect(stats.byEndpoint['GET /api/v2/flows/export/jobs/{jobId}']).toBeGreaterThanOrEqual(2)
  })
})
