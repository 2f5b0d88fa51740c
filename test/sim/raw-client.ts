/**
 * A bare HTTP client for tests of the sim itself: no retries, no paging help, so every status,
 * header and byte the sim sends is what the test sees.
 */
import type { SimOrg } from './types.js'

export interface RawResponse {
  status: number
  headers: Headers
  bytes: Uint8Array
  text: string
  json<T = Record<string, unknown>>(): T
}

export async function rawFetch(url: string, init: RequestInit = {}): Promise<RawResponse> {
  const res = await fetch(url, { ...init, signal: init.signal ?? AbortSignal.timeout(10_000) })
  const bytes = new Uint8Array(await res.arrayBuffer())
  const text = new TextDecoder().decode(bytes)
  return { status: res.status, headers: res.headers, bytes, text, json: <T>() => JSON.parse(text) as T }
}

export async function login(sim: SimOrg, id = sim.clientId, secret = sim.clientSecret): Promise<RawResponse> {
  return rawFetch(`${sim.url}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded'
    },
    body: 'grant_type=client_credentials'
  })
}

/** Logs in and returns a function that calls the API with the bearer token. */
export async function apiClient(
  sim: SimOrg
): Promise<(path: string, init?: RequestInit & { json?: unknown }) => Promise<RawResponse>> {
  const res = await login(sim)
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`)
  const token = res.json<{ access_token: string }>().access_token
  return (path, init = {}) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` }
    let body = init.body
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(init.json)
    }
    return rawFetch(`${sim.url}${path}`, {
      ...init,
      body,
      headers: { ...headers, ...(init.headers as object) }
    })
  }
}

/** `objectType` for dependency tracking: type + FLOW, except workflow. */
export function objectTypeOf(type: string): string {
  return type === 'workflow' ? 'WORKFLOW' : `${type.toUpperCase()}FLOW`
}
