/**
 * Fitting a report under a size limit (GitHub's 65,536-character PR body, the 1 MiB job summary):
 * cut at a line boundary, say how much was left out and where the rest is, keep the footer.
 */

export interface FitOptions {
  limit: number
  /** Size of a text in the limit's unit; string length (UTF-16 code units) by default. */
  measure?: (text: string) => number
  /** The lines standing in for what was cut, given the number of body lines left out. */
  note: (omittedLines: number) => string[]
}

const defaultMeasure = (text: string): number => text.length

// A cut just after one of these would leave a heading or label with nothing under it.
const DANGLING = /^(#{1,6} |\*\*[^*]+\*\*:?$|\|)|^\s*$/

function hardCut(text: string, limit: number, measure: (t: string) => number): string {
  let end = Math.min(text.length, limit)
  while (end > 0 && measure(text.slice(0, end)) > limit) end--
  const code = text.charCodeAt(end - 1)
  if (end > 0 && code >= 0xd800 && code <= 0xdbff) end--
  return text.slice(0, end)
}

/** `body` then `footer`, joined by newlines, at most `limit` long; when cut, the note replaces the tail of the body. */
export function fitLines(body: string[], footer: string[], options: FitOptions): string {
  const measure = options.measure ?? defaultMeasure
  const { limit } = options
  const full = [...body, ...footer].join('\n')
  if (measure(full) <= limit) return full

  const footerSize = footer.length > 0 ? measure(footer.join('\n')) + 1 : 0
  // prefix[k]: size of the first k body lines, each followed by a newline.
  const prefix = [0]
  for (const line of body) prefix.push(prefix[prefix.length - 1] + measure(line) + 1)
  for (let k = body.length - 1; k >= 0; k--) {
    const note = options.note(body.length - k)
    const noteSize = measure(['', ...note].join('\n'))
    if (prefix[k] + noteSize + footerSize > limit) continue
    let keep = k
    while (keep > 0 && DANGLING.test(body[keep - 1])) keep--
    const text = [...body.slice(0, keep), '', ...options.note(body.length - keep), ...footer].join('\n')
    if (measure(text) <= limit) return text
  }
  // Not even the note and footer fit: the note alone, cut if need be.
  return hardCut(options.note(body.length).join('\n'), limit, measure)
}
