/** GET /api/v2/organizations/me. */
import type { Route } from '../core.js'
import { organizationJson } from '../entities.js'
import { json } from '../http.js'

export const organizationRoutes: Route[] = [
  {
    method: 'GET',
    template: '/api/v2/organizations/me',
    kind: 'api',
    handle: core => json(200, organizationJson(core.state))
  }
]
