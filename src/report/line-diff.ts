/**
 * Lines added and removed between two texts, as `git diff --stat` would count them (shortest edit
 * script, Myers' O(ND) algorithm, counts only). Flow YAML is Architect's, so for flows the report says
 * how much changed rather than which fields.
 */

export interface LineCounts {
  added: number
  removed: number
}

export function splitLines(text: string): string[] {
  if (text === '') return []
  const lines = text.split(/\r\n|\n|\r/)
  if (lines[lines.length - 1] === '') lines.pop()
  return lines
}

/** Counts by multiset difference: exact for pure additions/removals, a lower bound otherwise. */
function roughCounts(a: Int32Array, b: Int32Array): LineCounts {
  const counts = new Map<number, number>()
  for (const x of a) counts.set(x, (counts.get(x) ?? 0) + 1)
  let added = 0
  for (const y of b) {
    const n = counts.get(y) ?? 0
    if (n > 0) counts.set(y, n - 1)
    else added++
  }
  let removed = 0
  for (const n of counts.values()) removed += n
  return { added, removed }
}

/**
 * Lines added and removed from `before` to `after`. Past `maxEdits` differences (whole-file rewrites of
 * huge flows) the count falls back to a multiset comparison, so the cost stays bounded.
 */
export function countLineChanges(before: string, after: string, maxEdits = 4000): LineCounts {
  const ids = new Map<string, number>()
  const intern = (lines: string[]): Int32Array =>
    Int32Array.from(lines, line => {
      let id = ids.get(line)
      if (id === undefined) ids.set(line, (id = ids.size))
      return id
    })
  let a = intern(splitLines(before))
  let b = intern(splitLines(after))

  let start = 0
  while (start < a.length && start < b.length && a[start] === b[start]) start++
  let endA = a.length
  let endB = b.length
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--
    endB--
  }
  a = a.subarray(start, endA)
  b = b.subarray(start, endB)
  const n = a.length
  const m = b.length
  if (n === 0 || m === 0) return { added: m, removed: n }

  const limit = Math.min(n + m, maxEdits)
  const offset = limit + 1
  const v = new Int32Array(2 * limit + 3)
  for (let d = 0; d <= limit; d++) {
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1])
          ? v[offset + k + 1]
          : v[offset + k - 1] + 1
      let y = x - k
      while (x < n && y < m && a[x] === b[y]) {
        x++
        y++
      }
      v[offset + k] = x
      // d = removed + added and added - removed = m - n.
      if (x >= n && y >= m) return { added: (d + m - n) / 2, removed: (d - m + n) / 2 }
    }
  }
  return roughCounts(a, b)
}
