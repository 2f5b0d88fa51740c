/**
 * What a publish has to change, worked out offline: git blob ids of the new files, and the
 * difference between the base branch's snapshot folder and the new snapshot.
 */
import { createHash } from 'node:crypto'
import { MANIFEST_FILE, unlistedManagedFiles, type Manifest } from '../snapshot/model.js'
import type { TreeFile } from './git-read.js'

/** Git's object id of a blob: sha1 of `blob <size>\0<bytes>`. */
export function gitBlobSha(bytes: Uint8Array): string {
  return createHash('sha1').update(`blob ${bytes.byteLength}\0`).update(bytes).digest('hex')
}

/** A snapshot-relative path as the contract has it: forward slashes, no '.', '..' or empty segments. */
export function isSnapshotPath(p: string): boolean {
  if (p === '' || p.includes('\\') || p.includes('\0')) return false
  return p.split('/').every(s => s !== '' && s !== '.' && s !== '..')
}

export interface SnapshotPlan {
  added: string[]
  modified: string[]
  removed: string[]
  /** Every path whose content must change: its new blob sha, or null to delete it. Sorted by path. */
  changes: { path: string; sha: string | null }[]
}

/**
 * Compares the base folder with the new snapshot. Removed = files the base manifest lists and files
 * in the managed folders that the new snapshot lacks, as in the workspace (SnapshotStaging) and as
 * validate mode wants; nothing else is ever removed, so files people keep beside the snapshot survive.
 */
export function planSnapshot(
  base: ReadonlyMap<string, TreeFile>,
  baseManifest: Manifest | undefined,
  files: ReadonlyMap<string, string>
): SnapshotPlan {
  const added: string[] = []
  const modified: string[] = []
  const removed: string[] = []
  const changes: SnapshotPlan['changes'] = []
  for (const [path, sha] of files) {
    const before = base.get(path)
    if (before?.sha === sha) continue
    ;(before ? modified : added).push(path)
    changes.push({ path, sha })
  }
  const unlisted = unlistedManagedFiles(base.keys(), baseManifest)
  const owned = baseManifest
    ? [MANIFEST_FILE, ...baseManifest.resources.map(r => r.path), ...unlisted]
    : unlisted
  for (const path of new Set(owned)) {
    if (!files.has(path) && base.has(path)) {
      removed.push(path)
      changes.push({ path, sha: null })
    }
  }
  const byPath = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
  added.sort(byPath)
  modified.sort(byPath)
  removed.sort(byPath)
  changes.sort((a, b) => byPath(a.path, b.path))
  return { added, modified, removed, changes }
}

/** The folder as it must look after the plan: base plus changes (path → blob sha). */
export function plannedFolder(base: ReadonlyMap<string, TreeFile>, plan: SnapshotPlan): Map<string, string> {
  const result = new Map<string, string>()
  for (const [path, file] of base) result.set(path, file.sha)
  for (const change of plan.changes) {
    if (change.sha === null) result.delete(change.path)
    else result.set(change.path, change.sha)
  }
  return result
}

/** True when a folder's files (path → sha) are exactly `expected`. */
export function sameFiles(
  actual: ReadonlyMap<string, TreeFile>,
  expected: ReadonlyMap<string, string>
): boolean {
  if (actual.size !== expected.size) return false
  for (const [path, sha] of expected) if (actual.get(path)?.sha !== sha) return false
  return true
}
