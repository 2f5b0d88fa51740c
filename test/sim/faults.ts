/**
 * Fault decisions. Each API request gets a number in arrival order; whether it is reset, answered
 * with a 5xx, cut short or slowed is a pure function of the seed and that number, so a run with
 * the same requests meets the same faults.
 */
import { errorBody, json, type SimResponse } from './http.js'
import { unitFor } from './random.js'
import type { Faults } from './types.js'

export type FaultDecision = 'reset' | 'malformed' | 500 | 502 | 503 | 504 | null

const GATEWAY_STATUSES = [500, 502, 503, 504] as const

export function decideFault(seed: number, requestNumber: number, f: Faults): FaultDecision {
  const u = unitFor(seed, 'fault', requestNumber)
  if (u < f.resetRate) return 'reset'
  if (u < f.resetRate + f.errorRate)
    return GATEWAY_STATUSES[
      Math.floor(unitFor(seed, 'fault-status', requestNumber) * GATEWAY_STATUSES.length)
    ]
  if (u < f.resetRate + f.errorRate + f.malformedRate) return 'malformed'
  return null
}

export function isSlow(seed: number, requestNumber: number, f: Faults): boolean {
  return f.slowRate > 0 && f.slowMs > 0 && unitFor(seed, 'slow', requestNumber) < f.slowRate
}

/** What the edge answers: JSON from the API tier (500, 503), HTML from the load balancer (502, 504). */
export function gatewayError(status: 500 | 502 | 503 | 504, contextId: string): SimResponse {
  if (status === 500)
    return json(
      500,
      errorBody(500, 'internal.server.error', 'The server encountered an internal error.', contextId)
    )
  if (status === 503)
    return json(
      503,
      errorBody(503, 'service.unavailable', 'Service temporarily unavailable. Please try again.', contextId)
    )
  const title = status === 502 ? '502 Bad Gateway' : '504 Gateway Time-out'
  return {
    status,
    headers: { 'content-type': 'text/html' },
    body: `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n</body>\r\n</html>\r\n`
  }
}
