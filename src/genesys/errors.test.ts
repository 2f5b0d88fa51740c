import {
  describeUrl,
  GenesysApiError,
  hintForStatus,
  parseErrorBody,
  permissionFor,
  Scrubber,
  stripUrlQueries
} from './errors.js'

describe('permissionFor', () => {
  it('names the permission of each endpoint family', () => {
    expect(permissionFor('GET', '/api/v2/flows')).toBe('architect:flow:view')
    expect(permissionFor('GET', 'GET /api/v2/flows/{flowId}')).toBe('architect:flow:view')
    expect(permissionFor('POST', 'POST /api/v2/flows/export/jobs')).toBe('architect:jobExport:create')
    expect(permissionFor('GET', '/api/v2/flows/export/jobs/abc')).toBe('architect:jobExport:view')
    expect(permissionFor('GET', '/api/v2/architect/dependencytracking/consumedresources')).toBe(
      'architect:dependencyTracking:view'
    )
    expect(permissionFor('GET', '/api/v2/routing/queues/{queueId}')).toBe('routing:queue:view')
    expect(permissionFor('GET', '/api/v2/routing/skills?id=1')).toBe('routing:skill:view')
    expect(permissionFor('GET', '/api/v2/integrations/actions/{actionId}')).toBe('integrations:action:view')
    expect(permissionFor('GET', '/api/v2/organizations/me')).toBeUndefined()
    expect(permissionFor('GET', '/api/v2/flowsX')).toBeUndefined()
  })
})

describe('hintForStatus', () => {
  it('403 names the permission and says to add it to the role', () => {
    const hint = hintForStatus(403, 'GET', 'GET /api/v2/routing/queues', 'api.example')
    expect(hint).toContain('routing:queue:view')
    expect(hint).toMatch(/role/)
  })
  it('404 points at region / api-url and names the host', () => {
    const hint = hintForStatus(404, 'GET', 'GET /api/v2/flows', 'api.mypurecloud.ie')
    expect(hint).toMatch(/region/)
    expect(hint).toContain('api-url')
    expect(hint).toContain('api.mypurecloud.ie')
  })
})

describe('scrubbing', () => {
  it('drops URL queries and registered secrets', () => {
    expect(stripUrlQueries('get https://s3.example/a/b.zip?X-Amz-Signature=abc&x=1 now')).toBe(
      'get https://s3.example/a/b.zip?… now'
    )
    const s = new Scrubber()
    s.add('supersecret-value')
    s.add('abc') // too short to be a secret: ignored
    expect(s.scrub('token supersecret-value and abc; https://h/p?sig=1')).toBe(
      'token *** and abc; https://h/p?…'
    )
    expect(describeUrl('https://h.example/p/q.zip?sig=1#x')).toBe('https://h.example/p/q.zip')
  })
})

describe('parseErrorBody', () => {
  it('reads API and OAuth error shapes, and nothing from non-JSON', () => {
    expect(
      parseErrorBody(Buffer.from('{"message":"m","code":"c","contextId":"x","status":400}'))
    ).toMatchObject({
      message: 'm',
      code: 'c',
      contextId: 'x'
    })
    expect(parseErrorBody(Buffer.from('{"error":"invalid_client","description":"d"}'))).toMatchObject({
      error: 'invalid_client',
      description: 'd'
    })
    expect(parseErrorBody(Buffer.from('<html>'))).toBeUndefined()
    expect(parseErrorBody(Buffer.from('[1]'))).toBeUndefined()
  })
})

describe('GenesysApiError', () => {
  it('carries method, endpoint, status and code', () => {
    const e = new GenesysApiError('msg', {
      method: 'GET',
      endpoint: 'GET /x',
      status: 403,
      code: 'forbidden'
    })
    expect(e).toBeInstanceOf(Error)
    expect(e.name).toBe('GenesysApiError')
    expect([e.method, e.endpoint, e.status, e.code]).toEqual(['GET', 'GET /x', 403, 'forbidden'])
  })
})
