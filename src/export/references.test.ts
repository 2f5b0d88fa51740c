import { flowObjectType } from '../genesys/api.js'
import { FLOW_TYPES } from '../inputs.js'
import { dependencyRef, flowTypeOfDependencyType, queueReferences } from './references.js'

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

  it('takes secure data actions (SECUREACTION) as data actions, like plain ones', () => {
    expect(dependencyRef({ id: 'custom_-_a1', type: 'DATAACTION' })).toBe('data-action:custom_-_a1')
    expect(dependencyRef({ id: 'custom_-_a2', type: 'SECUREACTION' })).toBe('data-action:custom_-_a2')
    expect(dependencyRef({ id: 'b1', type: 'BRIDGEACTION' })).toBeUndefined()
  })
})

describe('queueReferences', () => {
  it('follows every field of a queue that names a skill, flow or other queue, in field order, never itself', () => {
    const queue = {
      id: 'q0',
      name: 'Sales',
      bullseye: { rings: [{ actions: { skillsToRemove: [{ id: 's1', name: 'French' }] } }, {}] },
      queueFlow: { id: 'f1', name: 'In-queue' },
      emailInQueueFlow: { id: 'f2' },
      messageInQueueFlow: { id: 'f3' },
      mediaSettings: { callback: { liveVoiceFlow: { id: 'f4' }, answeringMachineFlow: { id: 'f5' } } },
      conditionalGroupRouting: {
        rules: [{ queue: { id: 'q0' } }, { queue: { id: 'q1', name: 'Overflow' } }]
      },
      conditionalGroupActivation: {
        pilotRule: { conditions: [{ simpleMetric: { metric: 'IdleAgentCount', queue: { id: 'q2' } } }] },
        rules: [
          { conditions: [{ simpleMetric: { metric: 'EstimatedWaitTime' } }] },
          {
            conditions: [{ simpleMetric: { metric: 'IdleAgentCount', queue: { id: 'q3', name: 'Support' } } }]
          }
        ]
      },
      directRouting: { backupQueueId: 'q4' },
      whisperPrompt: { id: 'p1' }
    }
    expect(queueReferences(queue)).toEqual([
      { ref: 'skill:s1', name: 'French' },
      { ref: 'flow:f1', name: 'In-queue' },
      { ref: 'flow:f2', name: undefined },
      { ref: 'flow:f3', name: undefined },
      { ref: 'flow:f4', name: undefined },
      { ref: 'flow:f5', name: undefined },
      { ref: 'queue:q1', name: 'Overflow' },
      { ref: 'queue:q2', name: undefined },
      { ref: 'queue:q3', name: 'Support' },
      { ref: 'queue:q4' }
    ])
  })

  it('takes a queue with none of these fields, or malformed ones, as pointing at nothing', () => {
    expect(queueReferences({ id: 'q0', name: 'Plain' })).toEqual([])
    expect(queueReferences(undefined)).toEqual([])
    expect(
      queueReferences({
        id: 'q0',
        queueFlow: 'not an object',
        conditionalGroupActivation: { pilotRule: { conditions: [{ simpleMetric: { queue: { id: '' } } }] } },
        directRouting: { backupQueueId: '' }
      })
    ).toEqual([])
  })
})
