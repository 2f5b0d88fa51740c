import { assignFileNames } from '../snapshot/names.js'
import { KIND_FOLDERS } from '../snapshot/model.js'

/** What a flow's path is made of. */
export interface FlowLike {
  id: string
  name: string
  /** Any case: the folder is flows/<type, lower case>. */
  type: string
}

/**
 * Paths of flows that nothing found later can change, by flow id. A file name depends only on the
 * group of names in its folder that fold to the same base (see assignFileNames); the snapshot's
 * flows lie between the roots and every published flow, so a root whose name is the same in both
 * of those folders has that name in the snapshot too (the id suffix only grows with the group).
 * Without filters every published flow is a root, and every path is settled.
 */
export function settledFlowPaths(
  roots: readonly FlowLike[],
  published: readonly FlowLike[]
): Map<string, string> {
  const byFolder = (flows: readonly FlowLike[]): Map<string, { id: string; name: string }[]> => {
    const out = new Map<string, { id: string; name: string }[]>()
    for (const f of flows) {
      const folder = `${KIND_FOLDERS.flow}/${f.type.toLowerCase()}`
      const list = out.get(folder) ?? []
      list.push({ id: f.id, name: f.name })
      out.set(folder, list)
    }
    return out
  }
  const all = byFolder(published)
  const settled = new Map<string, string>()
  for (const [folder, entries] of byFolder(roots)) {
    const least = assignFileNames(entries, '.yaml')
    const most = assignFileNames(all.get(folder) ?? entries, '.yaml')
    for (const { id } of entries) {
      const name = least.get(id)
      if (name !== undefined && name === most.get(id)) settled.set(id, `${folder}/${name}`)
    }
  }
  return settled
}
