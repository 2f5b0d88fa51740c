import { flowObjectType } from './api.js'

describe('flow object types', () => {
  it('adds FLOW to the type, except WORKFLOW', () => {
    expect(flowObjectType('INBOUNDCALL')).toBe('INBOUNDCALLFLOW')
    expect(flowObjectType('commonmodule')).toBe('COMMONMODULEFLOW')
    expect(flowObjectType('BOT')).toBe('BOTFLOW')
    expect(flowObjectType('WORKFLOW')).toBe('WORKFLOW')
    expect(flowObjectType('workflow')).toBe('WORKFLOW')
  })
})
