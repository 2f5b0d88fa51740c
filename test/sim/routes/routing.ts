/** Queues and skills: /api/v2/routing/queues[/{queueId}], /api/v2/routing/skills[/{skillId}]. */
import type { Route } from '../core.js'
import { queueJson, skillJson } from '../entities.js'
import {
  badRequest,
  forbidden,
  json,
  listing,
  multiParam,
  nameMatcher,
  notFound,
  type SimRequest
} from '../http.js'

/** Sorted by name (case-insensitively), then id; the queue listing is documented as sorted by name. */
function byName<T>(items: T[], name: (t: T) => string, id: (t: T) => string, desc = false): T[] {
  const keyed = items.map(t => ({ t, k: name(t).toLowerCase(), id: id(t) }))
  keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  if (desc) keyed.reverse()
  return keyed.map(x => x.t)
}

function sortOrder(req: SimRequest): boolean {
  const order = (req.query.get('sortOrder') || 'asc').toLowerCase()
  if (order !== 'asc' && order !== 'desc') throw badRequest(req, `Invalid sortOrder '${order}'.`)
  return order === 'desc'
}

export const routingRoutes: Route[] = [
  {
    method: 'GET',
    template: '/api/v2/routing/queues',
    kind: 'api',
    handle(core, req) {
      const desc = sortOrder(req)
      const ids = new Set(multiParam(req, 'id'))
      const divisions = new Set(multiParam(req, 'divisionId'))
      const name = nameMatcher(req.query.get('name'))
      const hidden = new Set(core.faults().forbiddenQueueIds)
      const matches = core.state.queues.filter(
        q =>
          !q.deleted &&
          !hidden.has(q.id) &&
          (ids.size === 0 || ids.has(q.id)) &&
          (divisions.size === 0 || divisions.has((q.body.division as { id: string }).id)) &&
          name(q.body.name as string)
      )
      const sorted = byName(
        matches,
        q => q.body.name as string,
        q => q.id,
        desc
      )
      const page = listing(req, sorted, {
        maxPageSize: 500,
        shiftOnce: core.shiftOnce('GET /api/v2/routing/queues')
      })
      page.entities = (page.entities as typeof sorted).map(q => queueJson(core.state, q))
      return json(200, page)
    }
  },
  {
    method: 'GET',
    template: '/api/v2/routing/queues/{queueId}',
    kind: 'api',
    handle(core, req) {
      const q = core.state.queueById.get(req.params.queueId)
      if (q && !q.deleted && core.faults().forbiddenQueueIds.includes(q.id)) throw forbidden(req)
      if (!q || q.deleted) throw notFound(req, `Queue ${req.params.queueId} not found.`)
      return json(200, queueJson(core.state, q))
    }
  },
  {
    method: 'GET',
    template: '/api/v2/routing/skills',
    kind: 'api',
    handle(core, req) {
      const ids = new Set(multiParam(req, 'id'))
      const prefix = (req.query.get('name') ?? '').toLowerCase()
      const hidden = new Set(core.faults().forbiddenSkillIds)
      const matches = core.state.skills.filter(
        s =>
          !hidden.has(s.id) &&
          (ids.size === 0 || ids.has(s.id)) &&
          (s.body.name as string).toLowerCase().startsWith(prefix)
      )
      const sorted = byName(
        matches,
        s => s.body.name as string,
        s => s.id
      )
      const page = listing(req, sorted, {
        maxPageSize: 500,
        shiftOnce: core.shiftOnce('GET /api/v2/routing/skills')
      })
      page.entities = (page.entities as typeof sorted).map(s => skillJson(s))
      return json(200, page)
    }
  },
  {
    method: 'GET',
    template: '/api/v2/routing/skills/{skillId}',
    kind: 'api',
    handle(core, req) {
      const s = core.state.skillById.get(req.params.skillId)
      if (s && core.faults().forbiddenSkillIds.includes(s.id)) throw forbidden(req)
      if (!s) throw notFound(req, `Skill ${req.params.skillId} not found.`)
      return json(200, skillJson(s))
    }
  }
]
