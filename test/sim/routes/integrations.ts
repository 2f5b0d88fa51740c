/** Data actions: /api/v2/integrations/actions[/{actionId}]. */
import type { Route } from '../core.js'
import { actionJson } from '../entities.js'
import { badRequest, boolParam, forbidden, json, listing, notFound } from '../http.js'

const MAX_IDS = 50

export const integrationRoutes: Route[] = [
  {
    method: 'GET',
    template: '/api/v2/integrations/actions',
    kind: 'api',
    handle(core, req) {
      const ids = (req.query.get('ids') ?? '')
        .split(',')
        .map(s => s.trim())
        .filter(Boolean)
      if (ids.length > MAX_IDS) throw badRequest(req, `Too many ids: ${ids.length}; the limit is ${MAX_IDS}.`)
      const includeConfig = boolParam(req, 'includeConfig', false)
      const category = req.query.get('category')
      const name = (req.query.get('name') ?? '').toLowerCase()
      const secure = req.query.get('secure')
      const sortBy = req.query.get('sortBy') || 'name'
      if (!['name', 'id', 'category'].includes(sortBy)) throw badRequest(req, `Invalid sortBy '${sortBy}'.`)
      const desc = (req.query.get('sortOrder') || 'asc').toLowerCase() === 'desc'
      const hidden = new Set(core.faults().forbiddenDataActionIds)
      const wanted = new Set(ids)
      const matches = core.state.dataActions.filter(a => {
        const b = a.body
        return (
          !hidden.has(a.id) &&
          (wanted.size === 0 || wanted.has(a.id)) &&
          (category === null || category === '' || b.category === category) &&
          (b.name as string).toLowerCase().includes(name) &&
          (secure === null || secure === '' || String(b.secure) === secure.toLowerCase())
        )
      })
      const key = (a: (typeof matches)[number]): string => String(a.body[sortBy] ?? '').toLowerCase()
      const sorted = matches
        .map(a => ({ a, k: key(a) }))
        .sort((x, y) => (x.k < y.k ? -1 : x.k > y.k ? 1 : x.a.id < y.a.id ? -1 : 1))
        .map(x => x.a)
      if (desc) sorted.reverse()
      // The listing never carries contracts; config only when asked for.
      const page = listing(req, sorted, {
        maxPageSize: 100,
        shiftOnce: core.shiftOnce('GET /api/v2/integrations/actions')
      })
      page.entities = (page.entities as typeof sorted).map(a =>
        actionJson(a, { contract: false, config: includeConfig })
      )
      return json(200, page)
    }
  },
  {
    method: 'GET',
    template: '/api/v2/integrations/actions/{actionId}',
    kind: 'api',
    handle(core, req) {
      const a = core.state.actionById.get(req.params.actionId)
      if (a && core.faults().forbiddenDataActionIds.includes(a.id)) throw forbidden(req)
      if (!a) throw notFound(req, `Action ${req.params.actionId} not found.`)
      const expand = (req.query.get('expand') ?? '').split(',').map(s => s.trim())
      return json(
        200,
        actionJson(a, {
          contract: expand.includes('contract'),
          config: boolParam(req, 'includeConfig', false)
        })
      )
    }
  }
]
