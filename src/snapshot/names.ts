/**
 * File names for snapshot resources. A name comes from the resource's display name, made into one safe
 * path segment that reads well in a GitHub file list and in a shell, and is unique case-insensitively
 * within its folder. The whole assignment is a pure function of the folder's set of (id, name), so the
 * same org gives the same paths whatever order the API lists it in.
 *
 * Shape of a name: `<base><ext>` or, when it must be told apart, `<base>__<token><ext>`, where the token
 * is the start of the id (hex digits of its UUID when it has one). A base never contains `__` and never
 * ends in `_`, so a suffixed name can never equal another resource's plain name.
 */
import { createHash } from 'node:crypto'

/** Longest base, in UTF-8 bytes, before any suffix and the extension. */
export const MAX_BASE_BYTES = 100
/** Shortest id token used to tell names apart. */
const MIN_TOKEN_LENGTH = 8

// Windows refuses these as a name or as the part before the first dot ("nul.txt"), in any case, and
// treats the superscript digits ¹²³ as digits for COM/LPT.
const RESERVED_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$|clock\$)$/iu

// Kept as they are: letters and combining marks of any script, digits, and punctuation that needs no
// quoting in a shell and means nothing to a file system or a URL path.
const KEEP = /[\p{L}\p{M}\p{N}\-.+@,=_]/u
// Dropped without a trace: invisible characters (zero-width, bidi controls, BOM, variation selectors,
// Hangul fillers, soft hyphen). Turning them into `_` would make look-alike names look different.
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/gu

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' })

interface Sanitized {
  base: string
  /** The name was longer than MAX_BASE_BYTES and was cut: others may share the prefix. */
  cut: boolean
}

function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8')
}

/** Cuts `s` to at most `maxBytes` UTF-8 bytes, on a grapheme boundary when one fits, else a code point one. */
function cutToBytes(s: string, maxBytes: number): string {
  let out = ''
  let bytes = 0
  for (const { segment } of segmenter.segment(s)) {
    const n = utf8Length(segment)
    if (bytes + n > maxBytes) {
      if (out === '') {
        // A single grapheme longer than the limit (stacked combining marks): cut between code points.
        for (const cp of segment) {
          const m = utf8Length(cp)
          if (bytes + m > maxBytes) break
          out += cp
          bytes += m
        }
      }
      break
    }
    out += segment
    bytes += n
  }
  return out
}

/** Collapses runs, trims what may not start or end a name, and steps around reserved device names. */
function tidy(s: string): string {
  let t = s
    .replace(/_{2,}/g, '_')
    .replace(/\.{2,}/g, '.')
    .replace(/^[._-]+/, '')
    .replace(/[._]+$/, '')
  const stem = t.split('.')[0]
  if (RESERVED_DEVICE.test(stem)) t = stem + '_' + t.slice(stem.length)
  return t
}

function sanitize(name: string): Sanitized {
  let s = name.normalize('NFC').replace(INVISIBLE, '')
  let mapped = ''
  for (const ch of s) mapped += KEEP.test(ch) ? ch : '_'
  // Removing invisible characters can leave a mark next to a new base character: compose again.
  s = tidy(mapped.normalize('NFC'))
  let cut = false
  // Cutting can expose a trailing dot or a reserved stem, and tidying can only shorten: loop until stable.
  for (let i = 0; i < 4 && utf8Length(s) > MAX_BASE_BYTES; i++) {
    s = tidy(cutToBytes(s, MAX_BASE_BYTES).normalize('NFC'))
    cut = true
  }
  return { base: s, cut }
}

/**
 * One safe path segment from a display name (without extension): NFC, no separators, traversal,
 * control, bidi or other invisible characters, none of `<>:"|?*` or shell specials (they become `_`;
 * spaces too), no leading dot/dash/underscore, no trailing dot or underscore, no `__` and no reserved
 * Windows device name, at most MAX_BASE_BYTES UTF-8 bytes. Returns '' when nothing usable remains
 * (e.g. a name made only of emoji or punctuation); assignFileNames then falls back to the id.
 */
export function safeBaseName(name: string): string {
  return sanitize(name).base
}

/** Per-code-point case folding (no context rules such as the final sigma), then NFC. */
export function foldName(s: string): string {
  let out = ''
  for (const ch of s) out += ch.toUpperCase().toLowerCase()
  return out.normalize('NFC')
}

const UUID = /[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}/i

/**
 * Characters the suffix token is cut from: the id's UUID hex digits when it has one (data action ids
 * are `custom_-_<uuid>`), else its letters and digits; then the id's sha256, so two ids that differ
 * only in case or punctuation still get different tokens once the token is long enough.
 */
function tokenSource(id: string): string {
  const uuid = UUID.exec(id)
  const primary = uuid ? uuid[0].replace(/-/g, '').toLowerCase() : id.toLowerCase().replace(/[^a-z0-9]/g, '')
  return primary + createHash('sha256').update(id, 'utf8').digest('hex')
}

/** Shortest token length (≥ MIN_TOKEN_LENGTH) that tells every id of the group apart. */
function tokenLength(sources: string[]): number {
  const longest = Math.max(...sources.map(s => s.length))
  for (let len = MIN_TOKEN_LENGTH; len < longest; len++) {
    if (new Set(sources.map(s => s.slice(0, len))).size === sources.length) return len
  }
  return longest
}

/**
 * Assigns every resource of one folder a file name: made safe, unique case-insensitively, and a pure
 * function of the folder's set of (id, name), independent of input order.
 *
 * Every member of a group whose bases are equal after case folding gets an id suffix (all of them,
 * so the result does not depend on which came first), as does every name that had to be cut (two long
 * names may share their first 100 bytes, and a later one must not rename an earlier one). A name with
 * nothing usable falls back to the id itself, which is unique already.
 */
export function assignFileNames(
  entries: { id: string; name: string }[],
  extension = '.yaml'
): Map<string, string> {
  if (extension !== '' && !/^\.[A-Za-z0-9.]+$/.test(extension)) {
    throw new Error(`assignFileNames: extension '${extension}' must look like '.yaml'`)
  }
  const ids = new Set<string>()
  for (const e of entries) {
    if (ids.has(e.id)) throw new Error(`assignFileNames: id '${e.id}' appears twice in one folder`)
    ids.add(e.id)
  }

  const prepared = [...entries]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map(e => {
      const sanitized = sanitize(e.name)
      let base = sanitized.base
      let forced = sanitized.cut
      if (base === '') {
        const fromId = sanitize(e.id)
        base = fromId.base === '' ? 'unnamed' : fromId.base
        forced = fromId.cut || fromId.base === ''
      }
      return { id: e.id, base, forced, key: foldName(base) }
    })

  const groups = new Map<string, typeof prepared>()
  for (const p of prepared) {
    const group = groups.get(p.key)
    if (group) group.push(p)
    else groups.set(p.key, [p])
  }

  const result = new Map<string, string>()
  for (const group of groups.values()) {
    if (group.length === 1 && !group[0].forced) {
      result.set(group[0].id, group[0].base + extension)
      continue
    }
    // The whole group is suffixed, with a token length that depends on the group alone, so adding an
    // unrelated resource to the folder never renames these files.
    const sources = group.map(p => tokenSource(p.id))
    const len = tokenLength(sources)
    group.forEach((p, i) => result.set(p.id, `${p.base}__${sources[i].slice(0, len)}${extension}`))
  }

  // Insert in id order so the map's iteration order is stable too.
  return new Map([...result].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)))
}
