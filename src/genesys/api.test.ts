import { FLOW_TYPES } from '../inputs.js'
import { flowObjectType, flowTypeOfDependency } from './api.js'

describe('flow object types', () => {
  it('adds FLOW to the type, except WORKFLOW', () => {
    expect(flowObjectType('INBOUNDCALL')).toBe('INBOUNDCALLFLOW')
    expect(flowObjectType('commonmodule')).toBe('COMMONMODULEFLOW')
    expect(flowObjectType('BOT')).toBe('BOTFLOW')
    expect(flowObjectType('WORKFLOW')).toBe('WORKFLOW')
    expect(flowObjectType('workflow')).toBe('WORKFLOW')
  })

  it('inverts for every flow type and rejects other dependency types', () => {
    for (const type of FLOW_TYPES) expect(flowTypeOfDependency(flowObjectType(type))).toBe(type.toUpperCase())
    for (const other of ['QUEUE', 'ACDSKILL', 'DATAACTION', 'USERPROMPT', 'FLOW', 'XFLOW']) {
      expect(flowTypeOfDependency(other)).toBeUndefined()
    }
  })
})
