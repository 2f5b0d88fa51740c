/** What every route handler can reach: the org, the settings, the fault switches, jobs and tokens. */
import type { Clock } from '../../src/common/clock.js'
import type { TokenStore } from './auth.js'
import type { ExportJobs } from './export-jobs.js'
import type { SimRequest, SimResponse } from './http.js'
import type { OrgState } from './state.js'
import type { Faults } from './types.js'

export interface SimSettings {
  seed: number
  clientId: string
  clientSecret: string
  clock: Clock
  rateLimitPerMinute: number
  loginsPerMinute: number
  tokenTtlSeconds: number
  latencyMs: number
  exportJobPolls: number
  exportJobSeconds: number
  maxFlowsPerExportJob: number
  downloadUrlTtlSeconds: number
}

export interface SimCore {
  state: OrgState
  settings: SimSettings
  faults(): Faults
  jobs: ExportJobs
  tokens: TokenStore
  /** For the pagingShift fault: true once per listing endpoint while the fault is on. */
  shiftOnce(endpointKey: string): () => boolean
}

/**
 * `api` routes need a bearer token and are subject to rate limits and faults; `login` is the token
 * endpoint; `open` routes (signed downloads) need nothing.
 */
export type RouteKind = 'api' | 'login' | 'open'

export interface Route {
  method: string
  /** Path template, e.g. /api/v2/flows/{flowId}. */
  template: string
  kind: RouteKind
  handle(core: SimCore, req: SimRequest): SimResponse | Promise<SimResponse>
}
