/**
 * Request/response plumbing shared by the routes: Genesys-shaped error bodies, query parsing with
 * the real API's validation, and entity listings with paging.
 */
import type { IncomingHttpHeaders } from 'node:http'

export interface SimRequest {
  method: string
  path: string
  query: URLSearchParams
  headers: IncomingHttpHeaders
  body: Buffer
  /** Path parameters by template name ({flowId} → params.flowId). */
  params: Record<string, string>
  /** A unique id per request, echoed in error bodies as Genesys does. */
  contextId: string
}

export interface SimResponse {
  status: number
  headers?: Record<string, string>
  body?: string | Uint8Array
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): SimResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=UTF-8', ...headers },
    body: JSON.stringify(value)
  }
}

/** The error body every Genesys API answers with. */
export function errorBody(
  status: number,
  code: string,
  message: string,
  contextId: string
): Record<string, unknown> {
  return { message, code, status, messageParams: {}, contextId, details: [], errors: [] }
}

/** Thrown by handlers; the server answers with its response. */
export class HttpError extends Error {
  constructor(readonly response: SimResponse) {
    super(`HTTP ${response.status}`)
  }
}

export function apiError(req: SimRequest, status: number, code: string, message: string): HttpError {
  return new HttpError(json(status, errorBody(status, code, message, req.contextId)))
}

export const badRequest = (req: SimRequest, message: string): HttpError =>
  apiError(req, 400, 'bad.request', message)
export const notFound = (req: SimRequest, message = 'The requested resource was not found.'): HttpError =>
  apiError(req, 404, 'not.found', message)
export const forbidden = (req: SimRequest): HttpError =>
  apiError(req, 403, 'not.authorized', 'You are not authorized to perform the requested action.')

/** An integer query parameter, checked like the real API (400 on junk or out of range). */
export function intParam(req: SimRequest, name: string, fallback: number, min: number, max: number): number {
  const raw = req.query.get(name)
  if (raw === null || raw === '') return fallback
  if (!/^-?\d+$/.test(raw)) throw badRequest(req, `Invalid value for ${name}: '${raw}' is not a number.`)
  const n = Number(raw)
  if (n < min || n > max)
    throw badRequest(
      req,
      `Value [${n}] for field '${name}' is out of range; it must be from ${min} to ${max}.`
    )
  return n
}

export function boolParam(req: SimRequest, name: string, fallback: boolean): boolean {
  const raw = req.query.get(name)
  if (raw === null || raw === '') return fallback
  if (raw.toLowerCase() === 'true') return true
  if (raw.toLowerCase() === 'false') return false
  throw badRequest(req, `Invalid value for ${name}: '${raw}' is not a boolean.`)
}

/**
 * A repeatable query parameter. The API takes both `type=a&type=b` and `type=a,b`; the official
 * SDK sends the second form.
 */
export function multiParam(req: SimRequest, name: string): string[] {
  return req.query
    .getAll(name)
    .flatMap(v => v.split(','))
    .map(v => v.trim())
    .filter(v => v !== '')
}

/** Case-insensitive name match; `*` is a wildcard, as in the routing and flow name filters. */
export function nameMatcher(pattern: string | null): (name: string) => boolean {
  if (pattern === null || pattern === '') return () => true
  const p = pattern.toLowerCase()
  if (!p.includes('*')) return name => name.toLowerCase() === p
  const re = new RegExp('^' + p.split('*').map(escapeRegExp).join('.*') + '$', 's')
  return name => re.test(name.toLowerCase())
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

export interface ListingOptions {
  /** Largest pageSize accepted; more → 400. */
  maxPageSize: number
  defaultPageSize?: number
  /** When set, one page of this listing starts one entity early (the pagingShift fault). */
  shiftOnce?: () => boolean
}

/** An *EntityListing page with the real field set and relative URIs. */
export function listing<T>(
  req: SimRequest,
  items: readonly T[],
  opts: ListingOptions
): Record<string, unknown> {
  const pageSize = intParam(req, 'pageSize', opts.defaultPageSize ?? 25, 1, opts.maxPageSize)
  const pageNumber = intParam(req, 'pageNumber', 1, 1, 1_000_000)
  const total = items.length
  const pageCount = Math.ceil(total / pageSize)
  let start = (pageNumber - 1) * pageSize
  // The fault: an entity "moved" between pages, so this page repeats the previous page's last
  // item and the item that would have ended this page is never served. Totals stay right.
  if (pageNumber > 1 && start < total && opts.shiftOnce?.()) start -= 1
  const entities = items.slice(start, start + pageSize)
  const uri = (n: number): string => {
    const q = new URLSearchParams()
    q.set('pageSize', String(pageSize))
    q.set('pageNumber', String(n))
    for (const [k, v] of req.query) if (k !== 'pageSize' && k !== 'pageNumber') q.append(k, v)
    return `${req.path}?${q.toString()}`
  }
  const page: Record<string, unknown> = {
    entities,
    pageSize,
    pageNumber,
    total,
    firstUri: uri(1),
    selfUri: uri(pageNumber),
    lastUri: uri(Math.max(1, pageCount))
  }
  if (pageNumber < pageCount) page.nextUri = uri(pageNumber + 1)
  if (pageNumber > 1) page.previousUri = uri(pageNumber - 1)
  page.pageCount = pageCount
  return page
}
