import fc from 'fast-check'
import { countLineChanges, splitLines } from './line-diff.js'

/** Reference: removed = n - LCS, added = m - LCS by dynamic programming. */
function reference(a: string[], b: string[]): { added: number; removed: number } {
  const dp = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0))
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      dp[i][j] = a[i] === b[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1])
    }
  }
  return { added: b.length - dp[0][0], removed: a.length - dp[0][0] }
}

describe('countLineChanges', () => {
  it('counts a changed, an added and a removed line', () => {
    expect(countLineChanges('a\nb\nc\n', 'a\nB\nc\nd\n')).toEqual({ added: 2, removed: 1 })
    expect(countLineChanges('a\nb\n', 'a\nb\n')).toEqual({ added: 0, removed: 0 })
    expect(countLineChanges('', 'x\ny\n')).toEqual({ added: 2, removed: 0 })
    expect(countLineChanges('x\r\ny\r\n', 'x\ny\n')).toEqual({ added: 0, removed: 0 })
  })

  it('matches a longest-common-subsequence count (property)', () => {
    const lines = fc.array(fc.constantFrom('a', 'b', 'c', 'd', ''), { maxLength: 25 })
    fc.assert(
      fc.property(lines, lines, (a, b) => {
        const text = (l: string[]): string => l.map(x => `${x}\n`).join('')
        expect(countLineChanges(text(a), text(b))).toEqual(reference(a, b))
      }),
      { numRuns: 500 }
    )
  })

  it('stays bounded past maxEdits and keeps added - removed exact', () => {
    const before = Array.from({ length: 3000 }, (_, i) => `line ${i}`).join('\n')
    const after = Array.from({ length: 2500 }, (_, i) => `other ${i}`).join('\n')
    const counts = countLineChanges(before, after, 100)
    expect(counts).toEqual({ added: 2500, removed: 3000 })
  })

  it('splits lines without a phantom last line', () => {
    expect(splitLines('a\nb\n')).toEqual(['a', 'b'])
    expect(splitLines('a\nb')).toEqual(['a', 'b'])
    expect(splitLines('')).toEqual([])
  })
})
