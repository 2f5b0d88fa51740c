import { HIDDEN, formatValue, isCredentialPath, maskCredentials, pathKeys } from './values.js'

describe('values', () => {
  it('splits field paths into keys, quoted keys and labels included', () => {
    expect(pathKeys('config.request.headers["X-Api-Key"]')).toEqual([
      'config',
      'request',
      'headers',
      'X-Api-Key'
    ])
    expect(pathKeys('memberGroups[name="Sales team"].type')).toEqual(['memberGroups', 'Sales team', 'type'])
    expect(pathKeys('bullseye.rings[1].expansionTimeoutSeconds')).toEqual([
      'bullseye',
      'rings',
      'expansionTimeoutSeconds'
    ])
  })

  it('recognises credential-looking paths', () => {
    for (const p of [
      'config.request.headers.Authorization',
      'config.request.headers["X-Api-Key"]',
      'credentials.password',
      'oauth.clientSecret',
      'headers[name=Authorization].value',
      'accessToken'
    ]) {
      expect(isCredentialPath(p)).toBe(true)
    }
    for (const p of ['acwSettings.timeoutMs', 'name', 'bullseye.rings[0].expansionTimeoutSeconds']) {
      expect(isCredentialPath(p)).toBe(false)
    }
  })

  it('masks credential keys at any depth and bearer-looking strings', () => {
    expect(
      maskCredentials({
        headers: { Authorization: 'x', Accept: 'json' },
        list: [{ password: 'p' }],
        t: 'Bearer abcdefgh12345'
      })
    ).toEqual({ headers: { Authorization: HIDDEN, Accept: 'json' }, list: [{ password: HIDDEN }], t: HIDDEN })
  })

  it('formats values JSON-ish with sorted keys, cut with an ellipsis', () => {
    expect(formatValue(30000)).toBe('30000')
    expect(formatValue('GROUP')).toBe('"GROUP"')
    expect(formatValue(null)).toBe('null')
    expect(formatValue({ b: 1, a: [true] })).toBe('{"a":[true],"b":1}')
    const long = formatValue('x'.repeat(500), 40)
    expect(long).toHaveLength(40)
    expect(long.endsWith('…')).toBe(true)
  })

  it('never prints a credential inside a value', () => {
    const text = formatValue(
      { headers: { Authorization: 'Basic c2VjcmV0OnNlY3JldA==' }, url: 'https://x' },
      500
    )
    expect(text).not.toContain('c2VjcmV0')
    expect(text).toContain(HIDDEN)
    expect(formatValue('Bearer eyJhbGciOiJIUzI1NiJ9.payload')).toBe(HIDDEN)
  })

  it('shows bidi and control characters as escapes', () => {
    expect(formatValue('a\u202Eb\u200Bc')).toBe('"a\\u202eb\\u200bc"')
    expect(formatValue('line\nbreak')).toBe('"line\\nbreak"')
  })
})
