import { assignFileNames } from '../snapshot/names.js'
import { KIND_FOLDERS, type Manifest, type ResourceKind } from '../snapshot/model.js'

/** File names by folder, then by resource id. */
export type FolderNames = ReadonlyMap<string, ReadonlyMap<string, string>>

/** The folder a resource's file goes in: flows/<type, lower case>, or its kind's folder. */
export function folderOf(kind: ResourceKind, flowType?: string): string {
  return kind === 'flow' ? `${KIND_FOLDERS.flow}/${(flowType ?? '').toLowerCase()}` : KIND_FOLDERS[kind]
}

/**
 * The file names the committed manifest gave, by folder and id: the names assignFileNames keeps
 * while they still fit. A resource recorded outside the folder its kind (and flow type) calls for is
 * left out, so it keeps nothing.
 */
export function committedFileNames(manifest: Manifest | undefined): FolderNames {
  const out = new Map<string, Map<string, string>>()
  for (const r of manifest?.resources ?? []) {
    if (r.kind === 'flow' && !r.type) continue
    const folder = folderOf(r.kind, r.type)
    const slash = r.path.lastIndexOf('/')
    if (slash < 0 || r.path.slice(0, slash) !== folder) continue
    const names = out.get(folder) ?? new Map<string, string>()
    names.set(r.id, r.path.slice(slash + 1))
    out.set(folder, names)
  }
  return out
}

/** What a flow's path is made of. */
export interface FlowLike {
  id: string
  name: string
  /** Any case: the folder is flows/<type, lower case>. */
  type: string
}

/**
 * Paths of flows that nothing found later can change, by flow id. With the committed names
 * (`previous`, see committedFileNames) fixed, whether a flow keeps its committed name does not depend
 * on the other flows of the folder; any other name depends only on the group of names in its folder
 * that fold to the same base and on the names kept (see assignFileNames), and can only go from plain
 * to suffixed, or to a longer token, as flows are added. The snapshot's flows lie between the roots
 * and every published flow, so a root whose name is the same in both of those folders has that name
 * in the snapshot too. Without filters every published flow is a root, and every path is settled.
 */
export function settledFlowPaths(
  roots: readonly FlowLike[],
  published: readonly FlowLike[],
  previous: FolderNames = new Map()
): Map<string, string> {
  const byFolder = (flows: readonly FlowLike[]): Map<string, { id: string; name: string }[]> => {
    const out = new Map<string, { id: string; name: string }[]>()
    for (const f of flows) {
      const folder = folderOf('flow', f.type)
      const list = out.get(folder) ?? []
      list.push({ id: f.id, name: f.name })
      out.set(folder, list)
    }
    return out
  }
  const all = byFolder(published)
  const settled = new Map<string, string>()
  for (const [folder, entries] of byFolder(roots)) {
    const least = assignFileNames(entries, '.yaml', previous.get(folder))
    const most = assignFileNames(all.get(folder) ?? entries, '.yaml', previous.get(folder))
    for (const { id } of entries) {
      const name = least.get(id)
      if (name !== undefined && name === most.get(id)) settled.set(id, `${folder}/${name}`)
    }
  }
  return settled
}
