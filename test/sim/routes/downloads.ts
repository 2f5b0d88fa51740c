/** GET /sim/downloads/{token}: the signed URL of a finished export job (no bearer token). */
import type { Route } from '../core.js'

export const downloadRoutes: Route[] = [
  {
    method: 'GET',
    template: '/sim/downloads/{token}',
    kind: 'open',
    handle: (core, req) => core.jobs.download(req.params.token)
  }
]
