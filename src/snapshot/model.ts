/**
 * The snapshot's data model: what manifest.json holds (see the contract) and what the export hands
 * to the snapshot writer. Every stage speaks these types.
 */

export type ResourceKind = 'flow' | 'queue' | 'skill' | 'data-action'

/** `kind:id`, the form used in `dependsOn` (e.g. "queue:3f1…", "data-action:custom_-_…"). */
export type ResourceRef = `${ResourceKind}:${string}`

export interface ManifestResource {
  kind: ResourceKind
  id: string
  name: string
  /** Relative to the snapshot folder, forward slashes. */
  path: string
  /** Hex sha256 of the file's bytes. */
  sha256: string
  /** Sorted, unique. */
  dependsOn: ResourceRef[]
  /** Flows only: flow type in lower case (inboundcall, ...). */
  type?: string
  /** Flows only: the published version id that was exported (e.g. "3.0"); drives incremental reruns. */
  version?: string
  /**
   * Flows only: why dependency tracking could not say what this flow uses. `dependsOn` then holds
   * what the snapshot before recorded for it, and the next run asks again instead of reusing it.
   */
  dependenciesNotRead?: string
}

export interface UnresolvedReference {
  /** The resource that refers to the missing one. */
  from: ResourceRef
  kind: ResourceKind
  id: string
  name?: string
  /** Why it is not in the snapshot: "deleted", "not found (404)", "forbidden (403)", ... */
  reason: string
}

export interface Manifest {
  schemaVersion: 1
  /** Sorted by kind, then id. */
  resources: ManifestResource[]
  /** Sorted by from, kind, id. */
  unresolved: UnresolvedReference[]
  /**
   * The `dependencies` input the snapshot was made with (sorted), written after `unresolved`.
   * Incremental reruns reuse a flow's recorded `dependsOn` only when it matches the current input.
   */
  dependencies?: string[]
}

/** Folder under the snapshot root for each kind (flows add `<type>/`). */
export const KIND_FOLDERS: Readonly<Record<ResourceKind, string>> = {
  flow: 'flows',
  queue: 'queues',
  skill: 'skills',
  'data-action': 'data-actions'
}

export const MANIFEST_FILE = 'manifest.json'

/** Folders whose files belong to the action even when no manifest lists them. */
export const MANAGED_FOLDERS: readonly string[] = Object.values(KIND_FOLDERS)

/** True for a snapshot-relative path inside one of the managed folders. */
export function inManagedFolder(p: string): boolean {
  return MANAGED_FOLDERS.some(folder => p.startsWith(`${folder}/`))
}

/**
 * The files among `paths` (snapshot-relative) that sit in a managed folder without `manifest`
 * listing them; without a manifest, every file there. A snapshot run deletes each one the new
 * snapshot does not write: the pull request's plan and the change report both go by this list.
 */
export function unlistedManagedFiles(paths: Iterable<string>, manifest: Manifest | undefined): string[] {
  const listed = new Set((manifest?.resources ?? []).map(r => r.path))
  return [...paths].filter(p => inManagedFolder(p) && !listed.has(p)).sort()
}
