/**
 * The HTTP front of the simulated org: routing, request counting, latency, authentication, the
 * per-token rate limit and the fault switches, in the order a request meets them on the real
 * service (gateway faults first, then authentication, then the rate limit, then the API).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Route, SimCore } from './core.js'
import { decideFault, gatewayError, isSlow } from './faults.js'
import { errorBody, HttpError, json, type SimRequest, type SimResponse } from './http.js'
import { Rng } from './random.js'
import type { SimRequestInfo } from './types.js'

export interface Counters {
  total: number
  byEndpoint: Record<string, number>
  rateLimited: number
  /** Faults injected, by kind: 'reset', '500', '502', '503', '504', 'malformed', 'slow', 'revoked', 'forbidden'. */
  faults: Record<string, number>
}

interface Match {
  route?: Route
  key: string
  params: Record<string, string>
  methodNotAllowed: boolean
}

const MAX_BODY = 10 * 1024 * 1024

export class SimServer {
  readonly counters: Counters = { total: 0, byEndpoint: {}, rateLimited: 0, faults: {} }
  private server?: Server
  private apiRequests = 0
  private requests = 0
  private forcedLeft = 0
  private forcedRetryAfter = 0
  private readonly listeners = new Set<(info: SimRequestInfo) => void>()

  constructor(
    private readonly core: SimCore,
    private readonly routes: Route[]
  ) {}

  /** Arms the forceRateLimit fault: the next `count` API requests get 429. */
  forceRateLimit(f: { count: number; retryAfterSeconds: number } | null): void {
    this.forcedLeft = f?.count ?? 0
    this.forcedRetryAfter = f?.retryAfterSeconds ?? 0
  }

  /** Tells `listener` about each request as it is counted; returns the unsubscribe. */
  onRequest(listener: (info: SimRequestInfo) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  resetCounters(): void {
    this.counters.total = 0
    this.counters.byEndpoint = {}
    this.counters.rateLimited = 0
    this.counters.faults = {}
  }

  private injected(kind: string): void {
    this.counters.faults[kind] = (this.counters.faults[kind] ?? 0) + 1
  }

  listen(port: number): Promise<string> {
    const server = createServer({ keepAlive: true }, (req, res) => {
      this.handle(req, res).catch(err => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' })
          res.end(JSON.stringify(errorBody(500, 'internal.server.error', String(err), 'sim')))
        } else res.destroy()
      })
    })
    this.server = server
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        const { port: actual } = server.address() as AddressInfo
        resolve(`http://127.0.0.1:${actual}`)
      })
    })
  }

  close(): Promise<void> {
    const server = this.server
    if (!server) return Promise.resolve()
    return new Promise(resolve => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  }

  private match(method: string, path: string): Match {
    const segments = path.split('/')
    let best: { route: Route; params: Record<string, string>; literals: number } | undefined
    let pathMatched: Route | undefined
    for (const route of this.routes) {
      const parts = route.template.split('/')
      if (parts.length !== segments.length) continue
      const params: Record<string, string> = {}
      let literals = 0
      let ok = true
      for (let i = 0; i < parts.length && ok; i++) {
        const m = /^\{(\w+)\}$/.exec(parts[i])
        if (m) {
          if (segments[i] === '') ok = false
          else params[m[1]] = safeDecode(segments[i])
        } else if (parts[i] === segments[i]) literals++
        else ok = false
      }
      if (!ok) continue
      if (route.method !== method) {
        pathMatched ??= route
        continue
      }
      if (!best || literals > best.literals) best = { route, params, literals }
    }
    if (best)
      return {
        route: best.route,
        key: `${method} ${best.route.template}`,
        params: best.params,
        methodNotAllowed: false
      }
    if (pathMatched) return { key: `${method} ${pathMatched.template}`, params: {}, methodNotAllowed: true }
    return { key: `${method} ${path}`, params: {}, methodNotAllowed: false }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req)
    const url = new URL(req.url ?? '/', 'http://sim')
    const method = (req.method ?? 'GET').toUpperCase()
    // Path parameters are decoded one by one when matched.
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname
    const match = this.match(method, path)
    this.counters.total += 1
    this.counters.byEndpoint[match.key] = (this.counters.byEndpoint[match.key] ?? 0) + 1
    this.requests += 1
    for (const listener of this.listeners)
      listener({
        key: match.key,
        count: this.counters.byEndpoint[match.key],
        authorization: req.headers.authorization
      })
    const contextId = new Rng(this.core.settings.seed, 'context', this.requests).uuid()
    const request: SimRequest = {
      method,
      path,
      query: url.searchParams,
      headers: req.headers,
      body,
      params: match.params,
      contextId
    }

    const { latencyMs, clock } = this.core.settings
    if (latencyMs > 0) await clock.sleep(latencyMs)

    if (!match.route) {
      const response = match.methodNotAllowed
        ? json(
            405,
            errorBody(
              405,
              'method.not.allowed',
              `HTTP method ${method} is not supported by this URL.`,
              contextId
            )
          )
        : json(404, errorBody(404, 'not.found', `No resource found at ${path}.`, contextId))
      return send(res, response)
    }
    const route = match.route
    if (route.kind !== 'api') return send(res, await this.run(route, request))

    // Gateway level: forced 429s, resets, 5xx, slowness; before authentication, as a proxy would.
    if (this.forcedLeft > 0) {
      this.forcedLeft -= 1
      return send(res, this.tooMany(request, this.forcedRetryAfter))
    }
    this.apiRequests += 1
    const faults = this.core.faults()
    const fault = decideFault(this.core.settings.seed, this.apiRequests, faults)
    if (fault === 'reset') {
      this.injected('reset')
      req.socket.destroy()
      return
    }
    if (typeof fault === 'number') {
      this.injected(String(fault))
      return send(res, gatewayError(fault, contextId))
    }
    if (isSlow(this.core.settings.seed, this.apiRequests, faults)) {
      this.injected('slow')
      await new Promise(resolve => setTimeout(resolve, faults.slowMs))
    }

    const auth = this.core.tokens.check(req.headers.authorization)
    if (!auth.ok) {
      const response =
        auth.reason === 'missing'
          ? json(
              401,
              errorBody(
                401,
                'authentication.required',
                'No authentication bearer token specified in authorization header.',
                contextId
              )
            )
          : json(401, errorBody(401, 'bad.credentials', 'Invalid login credentials.', contextId))
      return send(res, response)
    }
    const uses = this.core.tokens.use(auth.token)
    if (faults.tokenRevokeAfter > 0 && uses > faults.tokenRevokeAfter) {
      // The token dies under the client (revoked, or expired earlier than it was told).
      this.core.tokens.revoke(auth.token)
      this.injected('revoked')
      return send(res, json(401, errorBody(401, 'bad.credentials', 'Invalid login credentials.', contextId)))
    }
    const budget = this.core.tokens.take(auth.token)
    if (!budget.ok) return send(res, this.tooMany(request, budget.retryAfterSeconds))
    if (faults.forbiddenEndpoints.includes(match.key)) {
      const permission = requiredPermission(match.key)
      this.injected('forbidden')
      return send(
        res,
        json(
          403,
          errorBody(
            403,
            'missing.permissions',
            `Unable to perform the requested action. You are missing the following permission(s): [${permission}]`,
            contextId
          )
        )
      )
    }

    const response = await this.run(route, request)
    if (fault === 'malformed' && response.status === 200 && typeof response.body === 'string') {
      // The request took effect; the answer was cut short on the way back.
      const cut = response.body.slice(0, Math.max(1, Math.floor(response.body.length / 2)))
      this.injected('malformed')
      return send(res, { ...response, body: cut })
    }
    return send(res, response)
  }

  private async run(route: Route, req: SimRequest): Promise<SimResponse> {
    try {
      return await route.handle(this.core, req)
    } catch (err) {
      if (err instanceof HttpError) return err.response
      return json(
        500,
        errorBody(500, 'internal.server.error', `The sim failed: ${String(err)}`, req.contextId)
      )
    }
  }

  private tooMany(req: SimRequest, seconds: number): SimResponse {
    this.counters.rateLimited += 1
    return json(
      429,
      {
        message: `Rate limit exceeded the maximum. Retry the request in [${seconds}] seconds`,
        code: 'too.many.requests.retry.after',
        status: 429,
        messageParams: {},
        contextId: req.contextId,
        details: [],
        errors: []
      },
      { 'retry-after': String(seconds) }
    )
  }
}

/** The permission Genesys names in a 403 for an endpoint (for the forbiddenEndpoints fault). */
function requiredPermission(key: string): string {
  const [method, path] = key.split(' ')
  if (path.startsWith('/api/v2/flows/export/jobs'))
    return method === 'POST' ? 'architect:jobExport:create' : 'architect:jobExport:view'
  if (path.startsWith('/api/v2/flows')) return 'architect:flow:view'
  if (path.startsWith('/api/v2/architect/dependencytracking')) return 'architect:dependencyTracking:view'
  if (path.startsWith('/api/v2/routing/queues')) return 'routing:queue:view'
  if (path.startsWith('/api/v2/routing/skills')) return 'routing:skill:view'
  if (path.startsWith('/api/v2/integrations/actions')) return 'integrations:action:view'
  return 'directory:organization:view'
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY) {
        reject(new Error('request body too large'))
        req.destroy()
      } else chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

function send(res: ServerResponse, response: SimResponse): void {
  const body = response.body ?? ''
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body
  res.writeHead(response.status, {
    ...response.headers,
    'content-length': String(bytes.length),
    'inin-correlation-id': 'sim'
  })
  res.end(bytes)
}
