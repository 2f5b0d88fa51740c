/**
 * Making user-controlled text (resource names, values, paths) safe to put into GitHub markdown: it
 * must not mention anyone, link anything, inject HTML or markdown, break a table, or hide what it
 * says behind bidi or invisible characters, and it should still read as the name it is.
 */

// Bidi embeddings/overrides/isolates, zero-width and other invisible format characters, soft
// hyphen, Mongolian vowel separator and Unicode tag characters (used to smuggle hidden text).
const INVISIBLE = /[\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u206F\uFEFF]|[\u{E0000}-\u{E007F}]/gu
const LINE_BREAKS = /\r\n|[\r\n\t\v\f\u0085\u2028\u2029]/g
// C0 and C1 controls and DEL (line breaks and tabs are handled above).
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001F\u007F-\u009F]/g

/** One line of plain text: line breaks and tabs become spaces; controls and invisible characters go. */
export function sanitizeText(text: string): string {
  return text.replace(LINE_BREAKS, ' ').replace(INVISIBLE, '').replace(CONTROLS, '')
}

/**
 * Pieces GitHub would turn into a notification or a link even after backslash escaping (its mention,
 * reference and autolink filters run on the rendered text): URLs, `@user`/`@org/team`/e-mail
 * addresses, `#12`/`GH-12` references and commit-like hex strings. They are put in code spans,
 * where GitHub does none of that. None of them can contain a backtick or `|` (see the classes).
 */
const HAZARDS =
  /(?:[A-Za-z][A-Za-z0-9+.-]*:\/\/|www\.)[^\s`|<>[\]()"']*|@[A-Za-z0-9][A-Za-z0-9_./-]*|(?:GH-|#)\d+|\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,40}\b/gi

// Inline markdown, HTML, entity, math, table and strikethrough syntax.
const PUNCTUATION = /[\\`*_{}[\]<>#!|~&$]/g

function escapePlain(text: string, atStart: boolean): string {
  let out = text.replace(PUNCTUATION, '\\$&')
  // Block syntax only matters at the start of a line: bullets and breaks (-, +), setext underlines (=),
  // ordered lists (`1. `; a version like 3.0 is left alone).
  if (atStart) out = out.replace(/^([-+=])/, '\\$1').replace(/^(\d{1,9})([.)])(?=\s|$)/, '$1\\$2')
  return out
}

/**
 * Escapes a name for GitHub markdown: it cannot mention (`@user`, `@org/team`), cannot link (`#123`,
 * URLs), cannot break tables or inject HTML/markdown, and bidi/control characters are neutralised.
 * Reads as the original text when rendered.
 */
export function escapeMarkdown(text: string): string {
  const clean = sanitizeText(text)
  let out = ''
  let last = 0
  let openHazard: string | undefined
  const flushHazard = (): void => {
    if (openHazard !== undefined) out += `\`${openHazard}\``
    openHazard = undefined
  }
  for (const match of clean.matchAll(HAZARDS)) {
    const start = match.index
    if (start > last) {
      flushHazard()
      out += escapePlain(clean.slice(last, start), last === 0)
    }
    // Adjacent hazards share one code span: two spans side by side would form a `` run.
    openHazard = (openHazard ?? '') + match[0]
    last = start + match[0].length
  }
  flushHazard()
  if (last < clean.length) out += escapePlain(clean.slice(last), last === 0)
  return out
}

/**
 * A code span holding `text` verbatim (on one line): the fence is longer than any backtick run inside
 * and padded when the text starts or ends with a backtick or a space, so nothing can break out. In a
 * table cell, `|` is escaped as GFM asks (inside code spans too). Empty text gives `(empty)`.
 */
export function codeSpan(text: string, options: { table?: boolean } = {}): string {
  let t = sanitizeText(text)
  if (t === '') return '(empty)'
  const longestRun = Math.max(0, ...Array.from(t.matchAll(/`+/g), m => m[0].length))
  const fence = '`'.repeat(longestRun + 1)
  const pad = /^[` ]|[` ]$/.test(t) && t.trim() !== '' ? ' ' : ''
  if (options.table) t = t.replace(/\|/g, '\\|')
  return `${fence}${pad}${t}${pad}${fence}`
}

/** Cuts `text` to at most `max` characters with an ellipsis, never inside a surrogate pair. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text
  let end = Math.max(0, max - 1)
  const code = text.charCodeAt(end - 1)
  if (code >= 0xd800 && code <= 0xdbff) end--
  return `${text.slice(0, end)}…`
}
