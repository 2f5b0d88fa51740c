import { flowObjectType } from '../genesys/api.js'
import { FLOW_TYPES } from '../inputs.js'
import { dependencyRef, flowTypeOfDependencyType } from './references.js'

describe('dependency types', () => {
  it('inverts for every flow type, takes a newer *FLOW type as a flow, and rejects other dependency types', () => {
    for (const type of FLOW_TYPES) {
      expect(flowTypeOfDependencyType(flowObjectType(type))).toBe(type)
      expect(dependencyRef({ id: 'f1', type: flowObjectType(type) })).toBe('flow:f1')
    }
    expect(flowTypeOfDependencyType('FUTURETYPEFLOW')).toBe('futuretype')
    for (const other of ['QUEUE', 'ACDSKILL', 'DATAACTION', 'USERPROMPT', 'DIALOGFLOWAGENT', 'FLOW']) {
      expect(flowTypeOfDependencyType(other)).toBeUndefined()
    }
    expect(dependencyRef({ id: 'q1', type: 'QUEUE' })).toBe('queue:q1')
    expect(dependencyRef({ id: 'u1', type: 'USERPROMPT' })).toBeUndefined()
  })
})
