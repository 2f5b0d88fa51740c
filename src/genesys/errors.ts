/**
 * Errors from the Genesys Cloud client. Every message names the method, the endpoint (as a template,
 * never a signed URL's query or a token) and what the user should check.
 */

export interface GenesysApiErrorDetails {
  method: string
  /** Endpoint template, e.g. 'GET /api/v2/routing/queues/{queueId}'. */
  endpoint: string
  status?: number
  /** Genesys's error code (`too.many.requests.retry.after`, `invalid_client`, ...) or a transport code (ECONNRESET). */
  code?: string
  /** Genesys's own explanation, already scrubbed. */
  genesysMessage?: string
  /** Genesys's correlation id, useful for a support case. */
  contextId?: string
  cause?: unknown
}

export class GenesysApiError extends Error {
  readonly method: string
  readonly endpoint: string
  readonly status?: number
  readonly code?: string
  readonly genesysMessage?: string
  readonly contextId?: string

  constructor(message: string, details: GenesysApiErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.name = 'GenesysApiError'
    this.method = details.method
    this.endpoint = details.endpoint
    this.status = details.status
    this.code = details.code
    this.genesysMessage = details.genesysMessage
    this.contextId = details.contextId
  }
}

/** Permission each endpoint family needs, checked in order (more specific first). */
const PERMISSIONS: readonly { method?: string; prefix: string; permission: string }[] = [
  { method: 'POST', prefix: '/api/v2/flows/export/jobs', permission: 'architect:jobExport:create' },
  { prefix: '/api/v2/flows/export/jobs', permission: 'architect:jobExport:view' },
  { prefix: '/api/v2/flows', permission: 'architect:flow:view' },
  { prefix: '/api/v2/architect/dependencytracking', permission: 'architect:dependencyTracking:view' },
  { prefix: '/api/v2/routing/queues', permission: 'routing:queue:view' },
  { prefix: '/api/v2/routing/skills', permission: 'routing:skill:view' },
  { prefix: '/api/v2/integrations/actions', permission: 'integrations:action:view' }
]

/** The permission a request needs, from its method and path (or endpoint template). */
export function permissionFor(method: string, path: string): string | undefined {
  const p = path.replace(/^[A-Z]+\s+/, '').split('?')[0]
  return PERMISSIONS.find(
    entry =>
      (!entry.method || entry.method === method) && (p === entry.prefix || p.startsWith(`${entry.prefix}/`))
  )?.permission
}

/** What to tell the user for a final HTTP failure of the API. */
export function hintForStatus(status: number, method: string, endpoint: string, apiHost: string): string {
  if (status === 400) return 'Genesys Cloud rejected the request as invalid.'
  if (status === 401) {
    return 'The access token was refused even after logging in again: check that the OAuth client is active and uses the Client Credentials grant.'
  }
  if (status === 403) {
    const permission = permissionFor(method, endpoint)
    return permission
      ? `The OAuth client lacks the permission ${permission}: add it to a role of the OAuth client (Admin > OAuth > your client > Roles), with the divisions that hold these objects.`
      : "The OAuth client is not allowed to do this: check the roles and divisions of the OAuth client's roles."
  }
  if (status === 404) {
    return `${apiHost} does not know this path or object: check that region (or api-url) names the org's region.`
  }
  if (status === 429) {
    return 'Genesys Cloud kept answering 429 (rate limited): lower requests-per-minute or concurrency, or ask Genesys support to raise the per-token limit.'
  }
  if (status >= 500) {
    return 'Genesys Cloud kept failing on its side; see https://status.mypurecloud.com and rerun later.'
  }
  return 'Check the request and the OAuth client.'
}

/** Drops the query and fragment of every URL in a text (signed download URLs carry credentials there). */
export function stripUrlQueries(text: string): string {
  return text.replace(/(https?:\/\/[^\s?#"'<>]+)[?#][^\s"'<>]*/gi, '$1?…')
}

/** A URL for messages: origin and path only. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url)
    return `${u.origin}${u.pathname}`
  } catch {
    return '(unparsable URL)'
  }
}

/**
 * Removes secrets from text bound for an error message or a log line: every registered secret and
 * the query of every URL.
 */
export class Scrubber {
  private readonly secrets = new Set<string>()

  add(value: string | undefined): void {
    // Very short values would blank out ordinary words; real secrets and tokens are long.
    if (value && value.length >= 6) this.secrets.add(value)
  }

  scrub(text: string): string {
    let out = stripUrlQueries(text)
    for (const secret of this.secrets) out = out.split(secret).join('***')
    return out
  }
}

/** Genesys's error body (API: {message, code, status, contextId}; OAuth: {error, description, error_description}). */
export interface GenesysErrorBody {
  message?: string
  code?: string
  contextId?: string
  error?: string
  description?: string
  error_description?: string
}

/** Reads Genesys's error body, whatever its shape; undefined when it is not JSON. */
export function parseErrorBody(body: Buffer): GenesysErrorBody | undefined {
  if (body.length === 0) return undefined
  try {
    const value: unknown = JSON.parse(body.toString('utf8'))
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const v = value as Record<string, unknown>
      const str = (k: string): string | undefined => (typeof v[k] === 'string' ? (v[k] as string) : undefined)
      return {
        message: str('message'),
        code: str('code'),
        contextId: str('contextId'),
        error: str('error'),
        description: str('description'),
        error_description: str('error_description')
      }
    }
  } catch {
    // not JSON: the caller falls back to the raw text
  }
  return undefined
}

/** A short, single-line excerpt of a non-JSON body for messages. */
export function bodyExcerpt(body: Buffer, max = 200): string {
  const text = body.toString('utf8').replace(/\s+/g, ' ').trim()
  return text.length > max ? `${text.slice(0, max)}…` : text
}
