/** Flow selection by the `flow-types`, `include` and `exclude` inputs. */

/** A name glob: `*` any run of characters, `?` one character; whole-name, case-insensitive match. */
export function globToRegExp(glob: string): RegExp {
  let source = ''
  for (const ch of glob) {
    if (ch === '*') source += '.*'
    else if (ch === '?') source += '.'
    else source += ch.replace(/[.+^${}()|[\]\\/]/g, '\\$&')
  }
  return new RegExp(`^${source}$`, 'isu')
}

export interface FlowFilter {
  /** Lower-case flow types; empty means every type. */
  flowTypes: readonly string[]
  include: readonly string[]
  exclude: readonly string[]
}

/** Returns a predicate over (name, type) that says whether the filters pick a flow. */
export function flowMatcher(filter: FlowFilter): (flow: { name: string; type: string }) => boolean {
  const types = new Set(filter.flowTypes.map(t => t.toLowerCase()))
  const include = filter.include.map(globToRegExp)
  const exclude = filter.exclude.map(globToRegExp)
  return flow => {
    if (types.size > 0 && !types.has(flow.type.toLowerCase())) return false
    if (include.length > 0 && !include.some(re => re.test(flow.name))) return false
    return !exclude.some(re => re.test(flow.name))
  }
}
