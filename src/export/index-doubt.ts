// When dependency tracking's answer about a flow cannot be taken as complete.
import type { DependencyIndexStatus } from '../genesys/api.js'
import type { Flow } from '../genesys/types.js'

/**
 * Index states whose answers are taken as complete. Any other state (NOTBUILT, BUILDINITIALIZING,
 * BUILDINPROGRESS, BUILDINCOMPLETE, one added later, or none given) may leave out what flows use:
 * the list of states grows between SDK versions, so readiness is what is known, not what is not.
 */
const READY_INDEX = new Set(['OPERATIONAL', 'OPERATIONALNEEDSREBUILD'])

export function indexReady(status: string): boolean {
  return READY_INDEX.has(status.toUpperCase())
}

/**
 * For a flow whose dependencies dependency tracking gave, why that answer may be incomplete (its
 * index is empty or half built, or its last build failed on this flow version), or undefined.
 * The reason goes into the manifest, so it is short and steady; `warn` when the run has not said it.
 */
export function indexDoubt(
  index: DependencyIndexStatus
): (flow: Flow) => { reason: string; warn: boolean; errorCode?: string } | undefined {
  const failed = new Map<string, DependencyIndexStatus['failedObjects']>()
  for (const o of index.failedObjects) failed.set(o.id, [...(failed.get(o.id) ?? []), o])
  return flow => {
    // One reason for both states: a rebuild starting must not change the manifest of every flow.
    if (!indexReady(index.status)) return { reason: 'the dependency index was not ready', warn: false }
    const version = flow.publishedVersion?.id
    const hit = failed.get(flow.id)?.find(o => o.version === undefined || o.version === version)
    if (hit === undefined) return undefined
    return {
      reason: "dependency tracking's last build could not index it",
      warn: true,
      ...(hit.errorCode !== undefined ? { errorCode: hit.errorCode } : {})
    }
  }
}
