/** Flows and flow export jobs: /api/v2/flows, /api/v2/flows/lookup, /api/v2/flows/{flowId}, /api/v2/flows/export/jobs. */
import type { Route, SimCore } from '../core.js'
import { flowJson } from '../entities.js'
import {
  badRequest,
  boolParam,
  forbidden,
  json,
  listing,
  multiParam,
  nameMatcher,
  notFound,
  type SimRequest
} from '../http.js'
import type { FlowRecord } from '../state.js'
import { SIM_FLOW_TYPES } from '../types.js'

const SORT_KEYS: Record<string, (f: FlowRecord) => string> = {
  id: f => f.id,
  name: f => f.name.toLowerCase(),
  type: f => f.type,
  description: f => f.description.toLowerCase()
}

const sorted = new WeakMap<SimCore, { key: string; flows: FlowRecord[] }>()

/** The org's flows in the asked order (ties broken by id), cached until the org changes. */
function sortedFlows(core: SimCore, sortBy: string, desc: boolean): FlowRecord[] {
  const key = `${core.state.generation}|${sortBy}|${desc}`
  const cached = sorted.get(core)
  if (cached?.key === key) return cached.flows
  const by = SORT_KEYS[sortBy]
  const keyed = core.state.flows.map(f => ({ f, k: by(f), id: f.id }))
  keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  if (desc) keyed.reverse()
  const flows = keyed.map(x => x.f)
  sorted.set(core, { key, flows })
  return flows
}

function listFlows(core: SimCore, req: SimRequest) {
  const sortBy = req.query.get('sortBy') || 'id'
  if (!SORT_KEYS[sortBy])
    throw badRequest(
      req,
      `Invalid sortBy '${sortBy}'; valid values are ${Object.keys(SORT_KEYS).join(', ')}.`
    )
  const sortOrder = (req.query.get('sortOrder') || 'asc').toLowerCase()
  if (sortOrder !== 'asc' && sortOrder !== 'desc') throw badRequest(req, `Invalid sortOrder '${sortOrder}'.`)
  const types = multiParam(req, 'type').map(t => t.toLowerCase())
  for (const t of types)
    if (!(SIM_FLOW_TYPES as readonly string[]).includes(t)) throw badRequest(req, `Invalid flow type '${t}'.`)
  const includeDeleted = boolParam(req, 'deleted', false)
  const includeSchemas = boolParam(req, 'includeSchemas', false)
  const ids = new Set(multiParam(req, 'id'))
  const divisions = new Set(multiParam(req, 'divisionId'))
  const name = nameMatcher(req.query.get('name'))
  const hidden = new Set(core.faults().forbiddenFlowIds)
  const all = sortedFlows(core, sortBy, sortOrder === 'desc').filter(f => !hidden.has(f.id))
  // With ids, the real endpoint ignores every other filter.
  const matches =
    ids.size > 0
      ? all.filter(f => ids.has(f.id) && !f.deleted)
      : all.filter(
          f =>
            (includeDeleted || !f.deleted) &&
            (types.length === 0 || types.includes(f.type)) &&
            (divisions.size === 0 || divisions.has(f.division.id)) &&
            name(f.name)
        )
  const page = listing(req, matches, { maxPageSize: 500, shiftOnce: core.shiftOnce('GET /api/v2/flows') })
  page.entities = (page.entities as FlowRecord[]).map(f => flowJson(f, { includeSchemas }))
  return json(200, page)
}

/** GET /api/v2/flows/lookup: flows by id (`id` repeated, required), deleted ones left out. */
function lookupFlows(core: SimCore, req: SimRequest) {
  const ids = new Set(multiParam(req, 'id'))
  if (ids.size === 0) throw badRequest(req, "Missing the required parameter 'id'.")
  const hidden = new Set(core.faults().forbiddenFlowIds)
  const matches = sortedFlows(core, 'id', false).filter(f => ids.has(f.id) && !f.deleted && !hidden.has(f.id))
  const page = listing(req, matches, { maxPageSize: 100 })
  page.entities = (page.entities as FlowRecord[]).map(f => flowJson(f, { includeSchemas: false }))
  return json(200, page)
}

export const flowRoutes: Route[] = [
  { method: 'GET', template: '/api/v2/flows', kind: 'api', handle: listFlows },
  { method: 'GET', template: '/api/v2/flows/lookup', kind: 'api', handle: lookupFlows },
  {
    method: 'GET',
    template: '/api/v2/flows/{flowId}',
    kind: 'api',
    handle(core, req) {
      const f = core.state.flowById.get(req.params.flowId)
      if (!f || (f.deleted && !boolParam(req, 'deleted', false)))
        throw notFound(req, `Unable to find a flow with ID '${req.params.flowId}'.`)
      if (core.faults().forbiddenFlowIds.includes(f.id)) throw forbidden(req)
      return json(200, flowJson(f, { includeSchemas: true }))
    }
  },
  {
    method: 'POST',
    template: '/api/v2/flows/export/jobs',
    kind: 'api',
    handle: (core, req) => json(202, core.jobs.create(req))
  },
  {
    method: 'GET',
    template: '/api/v2/flows/export/jobs/{jobId}',
    kind: 'api',
    handle: (core, req) => json(200, core.jobs.poll(req, req.params.jobId))
  }
]
