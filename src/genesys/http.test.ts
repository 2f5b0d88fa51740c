import { classifyTransportError } from './http.js'

const withCode = (code: string, nested = false): Error => {
  const inner = Object.assign(new Error('inner'), { code })
  return nested ? Object.assign(new Error('outer'), { cause: inner }) : inner
}

describe('classifyTransportError', () => {
  it('sorts failures into retryable and not', () => {
    const cases: [Error, string, boolean][] = [
      [withCode('UND_ERR_HEADERS_TIMEOUT'), 'timeout', true],
      [withCode('UND_ERR_BODY_TIMEOUT'), 'timeout', true],
      [withCode('ECONNRESET', true), 'reset', true],
      [withCode('UND_ERR_SOCKET'), 'reset', true],
      [withCode('ECONNREFUSED'), 'refused', true],
      [withCode('ENOTFOUND'), 'dns', false],
      [withCode('EAI_AGAIN'), 'dns', true],
      [withCode('ERR_TLS_CERT_ALTNAME_INVALID'), 'tls', false],
      [new Error('weird'), 'other', false]
    ]
    for (const [err, kind, retryable] of cases) {
      const t = classifyTransportError(err, false, 60_000)
      expect([t.kind, t.retryable]).toEqual([kind, retryable])
    }
  })

  it('calls an aborted exchange a timeout when our deadline fired', () => {
    const aborted = Object.assign(new Error('This operation was aborted'), {
      name: 'AbortError',
      code: 'ABORT_ERR'
    })
    const t = classifyTransportError(aborted, true, 2_000)
    expect(t.kind).toBe('timeout')
    expect(t.message).toContain('2 s')
    // A timeout under a second is not rounded down to "0 s".
    expect(classifyTransportError(aborted, true, 250).message).toContain('within 250 ms')
  })
})
