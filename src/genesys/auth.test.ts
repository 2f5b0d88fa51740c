import { VirtualClock } from '../common/clock.js'
import { memoryLog } from '../common/log.js'
import { renewalDelayMs, TokenSource } from './auth.js'
import { GenesysApiError, Scrubber } from './errors.js'
import { TransportError, type HttpRequest, type HttpResponse } from './http.js'

const SECRET = 'the-client-secret-0123456789'

function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers, body: Buffer.from(JSON.stringify(body)) }
}

function setup(
  answers:
    ((n: number, req: HttpRequest) => HttpResponse | Promise<HttpResponse>)[] | ((n: number) => HttpResponse)
) {
  const clock = new VirtualClock()
  const log = memoryLog()
  const scrubber = new Scrubber()
  scrubber.add(SECRET)
  const requests: HttpRequest[] = []
  const retries: string[] = []
  let n = 0
  const source = new TokenSource({
    loginUrl: 'https://login.mypurecloud.ie',
    clientId: 'client-id',
    clientSecret: SECRET,
    clock,
    log,
    scrubber,
    maxRetries: 3,
    random: () => 0.5,
    send: async req => {
      requests.push(req)
      const i = n++
      if (typeof answers === 'function') return answers(i)
      const answer = answers[Math.min(i, answers.length - 1)]
      return answer(i, req)
    },
    onRetry: kind => retries.push(kind)
  })
  return { clock, log, source, requests, retries }
}

const ok =
  (token: string, expires = 86_400) =>
  () =>
    json(200, { access_token: token, token_type: 'bearer', expires_in: expires })

describe('renewalDelayMs', () => {
  it('renews 60 s or a tenth before expiry, never in the first half', () => {
    expect(renewalDelayMs(86_400_000)).toBe(86_400_000 - 8_640_000)
    expect(renewalDelayMs(300_000)).toBe(240_000)
    expect(renewalDelayMs(60_000)).toBe(30_000)
  })
})

describe('TokenSource', () => {
  it('logs in with Basic auth and the client-credentials form, once for concurrent callers', async () => {
    const { source, requests, log } = setup([ok('tok-aaaaaaaa')])
    const tokens = await Promise.all([source.token(), source.token(), source.token()])
    expect(tokens).toEqual(['tok-aaaaaaaa', 'tok-aaaaaaaa', 'tok-aaaaaaaa'])
    expect(requests).toHaveLength(1)
    const req = requests[0]
    expect(req.method).toBe('POST')
    expect(req.url.href).toBe('https://login.mypurecloud.ie/oauth/token')
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from(`client-id:${SECRET}`).toString('base64')}`)
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(req.body).toBe('grant_type=client_credentials')
    expect(log.secrets).toContain('tok-aaaaaaaa')
    expect(log.secrets).toContain(Buffer.from(`client-id:${SECRET}`).toString('base64'))
  })

  it('renews before the token runs out, and after a 401 invalidates it', async () => {
    const { source, requests, clock } = setup([
      ok('tok-first-1', 300),
      ok('tok-second', 300),
      ok('tok-third-3', 300)
    ])
    expect(await source.token()).toBe('tok-first-1')
    clock.advance(239_000)
    expect(await source.token()).toBe('tok-first-1')
    clock.advance(1_000)
    expect(await source.token()).toBe('tok-second')
    source.invalidate('tok-first-1') // stale: no effect
    expect(await source.token()).toBe('tok-second')
    source.invalidate('tok-second')
    expect(await source.token()).toBe('tok-third-3')
    expect(requests).toHaveLength(3)
  })

  it('says the client id/secret is wrong for the region, naming the login host, without the secret', async () => {
    for (const answer of [
      json(401, { error: 'invalid_client', description: 'authentication failed' }),
      json(400, { error: 'invalid_client', description: `bad ${SECRET}` })
    ]) {
      const { source } = setup([() => answer])
      const err = (await source.token().catch(e => e)) as GenesysApiError
      expect(err).toBeInstanceOf(GenesysApiError)
      expect(err.message).toContain('login.mypurecloud.ie')
      expect(err.message).toMatch(/client id\/secret/)
      expect(err.message).toMatch(/region/)
      expect(err.endpoint).toBe('POST /oauth/token')
      expect(err.status).toBe(answer.status)
      expect(`${err.message} ${err.genesysMessage}`).not.toContain(SECRET)
    }
  })

  it('waits out a rate-limited token endpoint and tries again', async () => {
    const limited = () =>
      json(
        400,
        { error: 'invalid_request', description: 'Rate limit exceeded the maximum allowed logins' },
        { 'retry-after': '30' }
      )
    const { source, clock, retries } = setup([limited, limited, ok('tok-after-wait')])
    const t0 = clock.now()
    expect(await source.token()).toBe('tok-after-wait')
    expect(clock.now() - t0).toBe(60_000)
    expect(retries).toEqual(['rateLimited', 'rateLimited'])
  })

  it('retries server errors, resets and malformed answers a bounded number of times', async () => {
    const { source, requests } = setup([
      () => json(503, {}),
      () => {
        throw new TransportError('reset', 'ECONNRESET', 'connection broken')
      },
      () => ({ status: 200, headers: {}, body: Buffer.from('{"access_tok') }),
      ok('tok-in-the-end')
    ])
    expect(await source.token()).toBe('tok-in-the-end')
    expect(requests).toHaveLength(4)

    const always = setup(() => json(502, { message: 'bad gateway' }))
    const err = (await always.source.token().catch(e => e)) as GenesysApiError
    expect(err).toBeInstanceOf(GenesysApiError)
    expect(err.status).toBe(502)
    expect(always.requests).toHaveLength(4) // 1 + maxRetries
  })

  it('names the login host when it is unreachable or has no token endpoint', async () => {
    const down = setup([
      () => {
        throw new TransportError('dns', 'ENOTFOUND', 'host name not found')
      }
    ])
    const err = (await down.source.token().catch(e => e)) as GenesysApiError
    expect(err.message).toContain('login.mypurecloud.ie')
    expect(err.message).toMatch(/region/)
    expect(down.requests).toHaveLength(1) // a missing host is not retried

    const notFound = setup([() => json(404, { message: 'not found' })])
    const err404 = (await notFound.source.token().catch(e => e)) as GenesysApiError
    expect(err404.status).toBe(404)
    expect(err404.message).toMatch(/login-url/)
  })
})
