/**
 * The simulated Genesys Cloud org: a real HTTP server on 127.0.0.1 serving the login and API
 * endpoints the action uses, with a seeded org behind them. See test/sim/README.md.
 */
import { systemClock } from '../../src/common/clock.js'
import { TokenStore } from './auth.js'
import type { SimCore, SimSettings } from './core.js'
import { ExportJobs } from './export-jobs.js'
import { defaultCounts, generateOrg } from './generator.js'
import { dependencyRoutes } from './routes/dependencies.js'
import { downloadRoutes } from './routes/downloads.js'
import { flowRoutes } from './routes/flows.js'
import { integrationRoutes } from './routes/integrations.js'
import { oauthRoutes } from './routes/oauth.js'
import { organizationRoutes } from './routes/organization.js'
import { routingRoutes } from './routes/routing.js'
import { SimServer } from './server.js'
import {
  DEFAULT_FAULTS,
  SIM_FLOW_TYPES,
  type Faults,
  type SimFlowType,
  type SimOptions,
  type SimOrg
} from './types.js'

export * from './types.js'

export const DEFAULT_CLIENT_ID = 'sim-client'
export const DEFAULT_CLIENT_SECRET = 'sim-secret-7f3a9c2e41b86d05ea19c3f8b27d640e'

export async function startSimOrg(options: SimOptions = {}): Promise<SimOrg> {
  const seed = options.seed ?? 1
  const flows = options.flows ?? 40
  const counts = defaultCounts(flows)
  const flowTypes = (options.flowTypes ?? [...SIM_FLOW_TYPES]).map(t => t.toLowerCase())
  for (const t of flowTypes)
    if (!(SIM_FLOW_TYPES as readonly string[]).includes(t))
      throw new Error(`startSimOrg: unknown flow type '${t}'`)
  if (flowTypes.length === 0) throw new Error('startSimOrg: flowTypes is empty')
  const clock = options.clock ?? systemClock
  const settings: SimSettings = {
    seed,
    clientId: options.clientId ?? DEFAULT_CLIENT_ID,
    clientSecret: options.clientSecret ?? DEFAULT_CLIENT_SECRET,
    clock,
    rateLimitPerMinute: options.rateLimitPerMinute ?? 300,
    loginsPerMinute: options.loginsPerMinute ?? 20,
    tokenTtlSeconds: options.tokenTtlSeconds ?? 86_400,
    latencyMs: options.latencyMs ?? 0,
    exportJobPolls: options.exportJobPolls ?? 2,
    exportJobSeconds: options.exportJobSeconds ?? 0,
    maxFlowsPerExportJob: options.maxFlowsPerExportJob ?? 100,
    downloadUrlTtlSeconds: options.downloadUrlTtlSeconds ?? 600
  }
  const state = generateOrg({
    seed,
    flows,
    // Every org has at least one of each, so every flow template can be filled.
    queues: Math.max(1, options.queues ?? counts.queues),
    skills: Math.max(1, options.skills ?? counts.skills),
    dataActions: Math.max(1, options.dataActions ?? counts.dataActions),
    flowTypes: flowTypes as SimFlowType[],
    averageFlowBytes: options.averageFlowBytes ?? 6000,
    unpublishedFlows: options.unpublishedFlows ?? Math.round(flows * 0.05),
    awkwardNames: options.awkwardNames ?? true,
    clock
  })

  let faults: Faults = {
    ...DEFAULT_FAULTS,
    ...options.faults,
    publishDuringExport: [...(options.faults?.publishDuringExport ?? [])]
  }
  let url = ''
  const shifted = new Set<string>()
  const core: SimCore = {
    state,
    settings,
    faults: () => faults,
    jobs: new ExportJobs(
      state,
      clock,
      {
        polls: settings.exportJobPolls,
        seconds: settings.exportJobSeconds,
        maxFlows: settings.maxFlowsPerExportJob,
        downloadTtlSeconds: settings.downloadUrlTtlSeconds
      },
      () => faults,
      () => url
    ),
    tokens: new TokenStore(
      seed,
      clock,
      settings.tokenTtlSeconds,
      settings.rateLimitPerMinute,
      settings.loginsPerMinute
    ),
    shiftOnce: key => () => {
      if (!faults.pagingShift || shifted.has(key)) return false
      shifted.add(key)
      return true
    }
  }
  const server = new SimServer(core, [
    ...oauthRoutes,
    ...organizationRoutes,
    ...flowRoutes,
    ...dependencyRoutes,
    ...routingRoutes,
    ...integrationRoutes,
    ...downloadRoutes
  ])
  server.forceRateLimit(faults.forceRateLimit)
  url = await server.listen(options.port ?? 0)
  const view = state.view()

  return {
    url,
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    clock,
    stats: () => ({
      total: server.counters.total,
      byEndpoint: { ...server.counters.byEndpoint },
      rateLimited: server.counters.rateLimited,
      tokensIssued: core.tokens.tokensIssued,
      faults: sumCounts(server.counters.faults, core.jobs.injected, { pagingShift: shifted.size })
    }),
    resetStats: () => {
      server.resetCounters()
      core.jobs.injected = {}
    },
    setFaults(f) {
      // Lists are copied: the sim counts some faults down (failExportJobs, publishDuringExport...).
      faults = { ...faults, ...f }
      if (f.publishDuringExport) faults.publishDuringExport = [...f.publishDuringExport]
      if ('pagingShift' in f) shifted.clear()
      if ('forceRateLimit' in f) server.forceRateLimit(f.forceRateLimit ?? null)
    },
    setLatencyMs(ms) {
      settings.latencyMs = Math.max(0, ms)
    },
    onRequest: listener => server.onRequest(listener),
    issuedTokens: () => core.tokens.issuedTokens(),
    org: view,
    seededSecrets: () => [...new Set(state.dataActions.flatMap(a => a.secrets))],
    publishFlow: id => state.publishFlow(id),
    editQueue: (id, patch) => state.editQueue(id, patch),
    editSkill: (id, patch) => state.editSkill(id, patch),
    editDataAction: (id, patch) => state.editDataAction(id, patch),
    deleteFlow: id => state.deleteFlow(id),
    deleteQueue: id => state.deleteQueue(id),
    deleteSkill: id => state.deleteSkill(id),
    addFlow: spec => state.addFlow(spec),
    close: () => server.close()
  }
}

function sumCounts(...counts: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const c of counts) for (const [k, v] of Object.entries(c)) if (v > 0) out[k] = (out[k] ?? 0) + v
  return out
}
