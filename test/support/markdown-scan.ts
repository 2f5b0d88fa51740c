/**
 * Test-only helpers that read markdown the way CommonMark's inline parser does for the two constructs
 * the report relies on: backslash escapes and code spans. Imported by the tests, never by the action.
 */

const ESCAPABLE = /[!-/:-@[-`{-~]/

export interface InlinePiece {
  kind: 'text' | 'escape' | 'code'
  /** For text: the raw text; for escape: the escaped character; for code: the span's content. */
  value: string
}

/** Splits one paragraph of markdown into text, backslash escapes and code spans. */
export function inlinePieces(md: string): InlinePiece[] {
  const pieces: InlinePiece[] = []
  let text = ''
  const flush = (): void => {
    if (text !== '') pieces.push({ kind: 'text', value: text })
    text = ''
  }
  let i = 0
  while (i < md.length) {
    const ch = md[i]
    if (ch === '\\' && i + 1 < md.length && ESCAPABLE.test(md[i + 1])) {
      flush()
      pieces.push({ kind: 'escape', value: md[i + 1] })
      i += 2
      continue
    }
    if (ch === '`') {
      let j = i
      while (md[j] === '`') j++
      const run = j - i
      let k = j
      let close = -1
      while (k < md.length) {
        if (md[k] !== '`') {
          k++
          continue
        }
        let e = k
        while (md[e] === '`') e++
        if (e - k === run) {
          close = k
          break
        }
        k = e
      }
      if (close < 0) {
        text += md.slice(i, j)
        i = j
        continue
      }
      flush()
      let content = md.slice(j, close).replace(/\n/g, ' ')
      if (content.length > 1 && content.startsWith(' ') && content.endsWith(' ') && content.trim() !== '') {
        content = content.slice(1, -1)
      }
      pieces.push({ kind: 'code', value: content })
      i = close + run
      continue
    }
    text += ch
    i++
  }
  flush()
  return pieces
}

/** The markdown with code spans blanked out and escapes kept as written (for "outside code spans" checks). */
export function outsideCodeSpans(md: string): string {
  return inlinePieces(md)
    .map(p => (p.kind === 'code' ? ' ' : p.kind === 'escape' ? `\\${p.value}` : p.value))
    .join('')
}

/** The text a reader sees, for text with no other markdown than escapes and code spans. */
export function renderedText(md: string): string {
  return inlinePieces(md)
    .map(p => p.value)
    .join('')
}

/** A GitHub @-mention that would notify someone: `@` after a non-word character, outside code spans. */
export const LIVE_MENTION = /(^|[^\w`])@[A-Za-z0-9]/m

export function hasLiveMention(md: string): boolean {
  return LIVE_MENTION.test(outsideCodeSpans(md))
}
