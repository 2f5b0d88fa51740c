import { FLOW_TYPES } from '../inputs.js'
import { dependencyTrackingDocumented, flowObjectType, getSkillsByIds } from './api.js'
import type { GenesysClient } from './client.js'
import type { Skill } from './types.js'

describe('flow object types', () => {
  it('adds FLOW to the type, except WORKFLOW', () => {
    expect(flowObjectType('INBOUNDCALL')).toBe('INBOUNDCALLFLOW')
    expect(flowObjectType('commonmodule')).toBe('COMMONMODULEFLOW')
    expect(flowObjectType('BOT')).toBe('BOTFLOW')
    expect(flowObjectType('WORKFLOW')).toBe('WORKFLOW')
    expect(flowObjectType('workflow')).toBe('WORKFLOW')
  })

  it('knows which flow types the SDK documents dependency tracking for: all but speech and emailsend', () => {
    expect(FLOW_TYPES.filter(t => !dependencyTrackingDocumented(t))).toEqual(['emailsend', 'speech'])
    expect(dependencyTrackingDocumented('INBOUNDCALL')).toBe(true)
  })
})

describe('skills by id', () => {
  it('takes a skill whose state is "deleted", listed or read by id, as missing: 404, deleted', async () => {
    const listed: Skill[] = [
      { id: 'live', name: 'Live', state: 'active' },
      { id: 'plain', name: 'No state' },
      { id: 'listed-deleted', name: 'Gone', state: 'Deleted' }
    ]
    const byId: Record<string, Skill | { status: number }> = {
      'probed-deleted': { id: 'probed-deleted', name: 'Gone too', state: 'deleted' },
      'probed-live': { id: 'probed-live', name: 'Hidden from the listing', state: 'inactive' },
      absent: { status: 404 }
    }
    const probed: string[] = []
    const client = {
      getAllPages: async () => listed,
      request: async (_method: string, path: string) => {
        const id = decodeURIComponent(path.split('/').pop()!)
        probed.push(id)
        return byId[id]
      }
    } as unknown as GenesysClient
    const ids = ['live', 'listed-deleted', 'probed-deleted', 'plain', 'absent', 'probed-live']
    const result = await getSkillsByIds(client, ids)
    expect(result.found.map(s => s.id)).toEqual(['live', 'plain', 'probed-live'])
    expect(result.missing).toEqual([
      { id: 'listed-deleted', status: 404, reason: 'deleted' },
      { id: 'probed-deleted', status: 404, reason: 'deleted' },
      { id: 'absent', status: 404, reason: 'not found (404)' }
    ])
    // What the listing returned, deleted or not, needs no GET of its own.
    expect(probed.sort()).toEqual(['absent', 'probed-deleted', 'probed-live'])
  })
})
