import type { ResourceRef } from '../snapshot/model.js'

/**
 * Dependency-tracking types that name a flow: every flow type + 'FLOW', and WORKFLOW as it is. Any
 * such type counts, also one newer than this action, so a flow of a new type is still followed.
 */
export function flowTypeOfDependencyType(type: string): string | undefined {
  const upper = type.toUpperCase()
  if (upper === 'WORKFLOW') return 'workflow'
  if (upper.endsWith('FLOW') && upper.length > 4) return upper.slice(0, -4).toLowerCase()
  return undefined
}

/** The snapshot reference for a dependency-tracking entry, or undefined for kinds we do not export. */
export function dependencyRef(dep: { id: string; type?: string }): ResourceRef | undefined {
  const type = (dep.type ?? '').toUpperCase()
  if (type === 'QUEUE') return `queue:${dep.id}`
  if (type === 'ACDSKILL') return `skill:${dep.id}`
  // Flows call secure data actions with their own action (callDataSecure), and dependency
  // tracking files them under SECUREACTION; they are data actions all the same.
  if (type === 'DATAACTION' || type === 'SECUREACTION') return `data-action:${dep.id}`
  if (flowTypeOfDependencyType(type)) return `flow:${dep.id}`
  return undefined
}

interface Named {
  id?: string
  name?: string
}

/**
 * What a queue object points at that the snapshot follows: skills (bullseye rings), in-queue and
 * callback flows, and other queues (conditional group routing, the queues whose metrics conditional
 * group activation watches, direct-routing backup).
 */
export function queueReferences(queue: unknown): { ref: ResourceRef; name?: string }[] {
  const q = (queue ?? {}) as Record<string, unknown>
  const out: { ref: ResourceRef; name?: string }[] = []
  const add = (kind: 'queue' | 'skill' | 'flow', value: unknown): void => {
    const named = value as Named | undefined
    if (named && typeof named === 'object' && typeof named.id === 'string' && named.id) {
      out.push({ ref: `${kind}:${named.id}`, name: named.name })
    }
  }
  const bullseye = q.bullseye as { rings?: { actions?: { skillsToRemove?: Named[] } }[] } | undefined
  for (const ring of bullseye?.rings ?? [])
    for (const skill of ring.actions?.skillsToRemove ?? []) add('skill', skill)
  add('flow', q.queueFlow)
  add('flow', q.emailInQueueFlow)
  add('flow', q.messageInQueueFlow)
  const callback = (q.mediaSettings as { callback?: Record<string, unknown> } | undefined)?.callback
  add('flow', callback?.liveVoiceFlow)
  add('flow', callback?.answeringMachineFlow)
  const rules = (q.conditionalGroupRouting as { rules?: { queue?: Named }[] } | undefined)?.rules
  for (const rule of rules ?? []) add('queue', rule.queue)
  // Activation conditions may watch another queue's metric (simpleMetric.queue); without it they watch this one.
  type Conditions = { conditions?: { simpleMetric?: { queue?: Named } }[] }
  const activation = q.conditionalGroupActivation as
    { pilotRule?: Conditions; rules?: Conditions[] } | undefined
  for (const rule of [activation?.pilotRule, ...(activation?.rules ?? [])])
    for (const condition of rule?.conditions ?? []) add('queue', condition.simpleMetric?.queue)
  const backup = (q.directRouting as { backupQueueId?: string } | undefined)?.backupQueueId
  if (typeof backup === 'string' && backup) out.push({ ref: `queue:${backup}` })
  const self = typeof q.id === 'string' ? `queue:${q.id}` : undefined
  return out.filter(r => r.ref !== self)
}
