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

export interface FilterReview {
  /** How many of the listed flows are of the picked types (all, without `flow-types`). */
  ofTypes: number
  /** How many of the listed flows the filters pick (published or not). */
  picked: number
  /** `include` globs that match no flow of the picked types: most likely typos. */
  unmatchedIncludes: string[]
}

/** What the filters make of the org's listing, to catch a filter that silently picks nothing. */
export function reviewFilters(
  filter: FlowFilter,
  flows: readonly { name: string; type: string }[]
): FilterReview {
  const matches = flowMatcher(filter)
  const ofTypes = flowMatcher({ flowTypes: filter.flowTypes, include: [], exclude: [] })
  const typed = flows.filter(ofTypes)
  return {
    ofTypes: typed.length,
    picked: flows.filter(matches).length,
    unmatchedIncludes: filter.include.filter(glob => {
      const re = globToRegExp(glob)
      return !typed.some(f => re.test(f.name))
    })
  }
}

/** The filter inputs that are set, for messages: `include: 'Main*'; exclude: 'Test*'`. */
export function describeFilters(filter: FlowFilter): string {
  const parts: string[] = []
  if (filter.flowTypes.length > 0) parts.push(`flow-types: '${filter.flowTypes.join(', ')}'`)
  if (filter.include.length > 0) parts.push(`include: '${filter.include.join(', ')}'`)
  if (filter.exclude.length > 0) parts.push(`exclude: '${filter.exclude.join(', ')}'`)
  return parts.join('; ')
}
