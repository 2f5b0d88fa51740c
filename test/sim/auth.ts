/**
 * OAuth client credentials and the per-token rate limit. Tokens expire on the sim clock; each token
 * has its own budget of requests per 60 s window (fixed windows starting at the token's first
 * request in the window); the token endpoint itself refuses a client that logs in too often.
 */
import type { Clock } from '../../src/common/clock.js'
import { Rng } from './random.js'

interface TokenInfo {
  clientId: string
  expiresAt: number
  /** API requests served with it. */
  uses: number
  windowStart: number
  windowCount: number
}

export type TokenCheck =
  { ok: true; token: string } | { ok: false; reason: 'missing' | 'invalid' | 'expired' }

export class TokenStore {
  private readonly tokens = new Map<string, TokenInfo>()
  private readonly logins = new Map<string, number[]>()
  private readonly issuedList: string[] = []
  private issued = 0

  constructor(
    private readonly seed: number,
    private readonly clock: Clock,
    private readonly ttlSeconds: number,
    private readonly perMinute: number,
    private readonly loginsPerMinute: number
  ) {}

  get tokensIssued(): number {
    return this.issued
  }

  /** Every token issued so far, in order. */
  issuedTokens(): string[] {
    return [...this.issuedList]
  }

  /** Counts one more request served with `token`; returns how many it has served. */
  use(token: string): number {
    const info = this.tokens.get(token)
    if (!info) return 0
    info.uses += 1
    return info.uses
  }

  /** The token is refused from now on (as expired). */
  revoke(token: string): void {
    const info = this.tokens.get(token)
    if (info) info.expiresAt = Math.min(info.expiresAt, this.clock.now())
  }

  /** Counts a login attempt; false when the client has logged in too often in the last minute. */
  allowLogin(clientId: string): boolean {
    if (this.loginsPerMinute <= 0) return true
    const now = this.clock.now()
    const recent = (this.logins.get(clientId) ?? []).filter(t => now - t < 60_000)
    recent.push(now)
    this.logins.set(clientId, recent)
    return recent.length <= this.loginsPerMinute
  }

  issue(clientId: string): { token: string; expiresIn: number } {
    this.issued += 1
    const token = new Rng(this.seed, 'token', this.issued).hex(64)
    this.issuedList.push(token)
    this.tokens.set(token, {
      clientId,
      expiresAt: this.clock.now() + this.ttlSeconds * 1000,
      uses: 0,
      windowStart: 0,
      windowCount: 0
    })
    return { token, expiresIn: this.ttlSeconds }
  }

  check(authorization: string | undefined): TokenCheck {
    const m = /^bearer\s+(\S+)\s*$/i.exec(authorization ?? '')
    if (!m) return { ok: false, reason: 'missing' }
    const info = this.tokens.get(m[1])
    if (!info) return { ok: false, reason: 'invalid' }
    if (this.clock.now() >= info.expiresAt) return { ok: false, reason: 'expired' }
    return { ok: true, token: m[1] }
  }

  /** Takes one request from the token's budget, or says how many seconds until the window frees. */
  take(token: string): { ok: true } | { ok: false; retryAfterSeconds: number } {
    if (this.perMinute <= 0) return { ok: true }
    const info = this.tokens.get(token)
    if (!info) return { ok: true }
    const now = this.clock.now()
    if (now - info.windowStart >= 60_000) {
      info.windowStart = now
      info.windowCount = 0
    }
    if (info.windowCount >= this.perMinute) {
      return {
        ok: false,
        retryAfterSeconds: Math.max(1, Math.ceil((info.windowStart + 60_000 - now) / 1000))
      }
    }
    info.windowCount += 1
    return { ok: true }
  }
}
