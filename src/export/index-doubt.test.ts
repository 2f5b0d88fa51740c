import { indexDoubt } from './index-doubt.js'

const flow = (id: string, version?: string) => ({
  id,
  name: id,
  type: 'INBOUNDCALL',
  ...(version !== undefined ? { publishedVersion: { id: version } } : {})
})

describe('indexDoubt', () => {
  test('an operational index with no failed objects is taken at its word', () => {
    for (const status of ['OPERATIONAL', 'OPERATIONALNEEDSREBUILD', 'operational'])
      expect(indexDoubt({ status, failedObjects: [] })(flow('a', '3.0'))).toBeUndefined()
  })

  test('any other index state, named in some SDK or not, or none, puts every flow in doubt, said once for the run', () => {
    for (const status of [
      'NOTBUILT',
      'BUILDINITIALIZING',
      'BUILDINPROGRESS',
      'BUILDINCOMPLETE',
      'REINDEXING',
      ''
    ])
      expect(indexDoubt({ status, failedObjects: [] })(flow('a', '3.0'))).toEqual({
        reason: 'the dependency index was not ready',
        warn: false
      })
  })

  test('a failed object is a doubt about that flow version alone, or every version when none is named', () => {
    const doubt = indexDoubt({
      status: 'OPERATIONAL',
      failedObjects: [
        { id: 'a', version: '2.0', errorCode: 'FLOW_PARSE_FAILED' },
        { id: 'a', version: '3.0' },
        { id: 'b' }
      ]
    })
    const reason = "dependency tracking's last build could not index it"
    expect(doubt(flow('a', '3.0'))).toEqual({ reason, warn: true })
    expect(doubt(flow('a', '2.0'))).toEqual({ reason, warn: true, errorCode: 'FLOW_PARSE_FAILED' })
    expect(doubt(flow('a', '4.0'))).toBeUndefined()
    expect(doubt(flow('b', '9.0'))).toEqual({ reason, warn: true })
    expect(doubt(flow('c', '1.0'))).toBeUndefined()
  })
})
