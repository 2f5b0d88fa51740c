/**
 * File names for snapshot resources. A name comes from the resource's display name, made into one safe
 * path segment that reads well in a GitHub file list and in a shell, and is unique case-insensitively
 * within its folder. The whole assignment is a pure function of the folder's set of (id, name) and of
 * the names the committed snapshot gave (see assignFileNames), so the same org and the same committed
 * snapshot give the same paths whatever order the API lists them in.
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

/**
 * Per-code-point case folding (no context rules such as the final sigma), then NFC. Lower case
 * first, so capital sharp s (ẞ) folds as ß does, to ss: upper-then-lower alone kept ẞ apart from ß.
 */
export function foldName(s: string): string {
  let out = ''
  for (const ch of s) out += ch.toLowerCase().toUpperCase().toLowerCase()
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

interface Prepared {
  id: string
  base: string
  /** Must carry a suffix even alone: the name was cut, or there was no usable name or id. */
  forced: boolean
  /** foldName(base): names whose keys are equal collide. */
  key: string
  /** What the suffix token is cut from (tokenSource). */
  source: string
}

const byId = (a: { id: string }, b: { id: string }): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

const suffixed = (p: Prepared, len: number, extension: string): string =>
  `${p.base}__${p.source.slice(0, len)}${extension}`

/**
 * Shortest token length (≥ MIN_TOKEN_LENGTH) that tells every member of the group apart and gives
 * none of them a name `taken` holds (folded).
 */
function tokenLength(group: Prepared[], extension: string, taken: ReadonlySet<string>): number {
  const longest = Math.max(...group.map(p => p.source.length))
  for (let len = MIN_TOKEN_LENGTH; len <= longest; len++) {
    const tokens = new Set(group.map(p => p.source.slice(0, len)))
    if (tokens.size !== group.length) continue
    if (taken.size === 0 || group.every(p => !taken.has(foldName(suffixed(p, len, extension))))) return len
  }
  // Sources end in the id's sha256: a whole one that is the start of another id's token cannot happen.
  throw new Error(`assignFileNames: no token tells '${group[0].base}' apart from the names kept`)
}

function prepare(e: { id: string; name: string }): Prepared {
  const sanitized = sanitize(e.name)
  let base = sanitized.base
  let forced = sanitized.cut
  if (base === '') {
    const fromId = sanitize(e.id)
    base = fromId.base === '' ? 'unnamed' : fromId.base
    forced = fromId.cut || fromId.base === ''
  }
  return { id: e.id, base, forced, key: foldName(base), source: tokenSource(e.id) }
}

/**
 * Whether `fileName` is a name assignFileNames gives this resource (for validate mode): the safe
 * base of its name, plain or with a token cut from its id. A hand-made name (`CON.yaml`,
 * `.hidden.yaml`, `a b.yaml`, another extension) or one left behind by a hand-edited name is not.
 */
export function fileNameFits(
  entry: { id: string; name: string },
  fileName: string,
  extension = '.yaml'
): boolean {
  return stillFits(prepare(entry), fileName, extension)
}

/**
 * Whether `fileName` (the name the committed snapshot gave this resource) is still right for it:
 * the base of its current name, plain (unless the name must carry a suffix) or with a token cut from
 * its own id. Anything else (a renamed resource, a hand-edited manifest) is not.
 */
function stillFits(p: Prepared, fileName: string, extension: string): boolean {
  if (!fileName.endsWith(extension)) return false
  const stem = fileName.slice(0, fileName.length - extension.length)
  if (stem === p.base) return !p.forced
  const prefix = p.base + '__'
  if (!stem.startsWith(prefix)) return false
  const token = stem.slice(prefix.length)
  return token.length >= MIN_TOKEN_LENGTH && p.source.startsWith(token)
}

/**
 * Assigns every resource of one folder a file name: made safe, unique case-insensitively, and a pure
 * function of the folder's set of (id, name) and of `previous`, independent of input order.
 *
 * `previous` holds, by id, the file names the committed snapshot gave the resources of this folder
 * (all of them, whether they are still there or not). A resource keeps its previous name as long as
 * that name still fits its current name (see stillFits) and no other resource of `previous` held the
 * same name case-insensitively; so a second resource of the same name, or the going of one, never
 * renames a file. A renamed resource gets a new name.
 *
 * The others get names as if alone with each other: every member of a group whose bases are equal
 * after case folding gets an id suffix (all of them, so the result does not depend on which came
 * first), as does every name that had to be cut (two long names may share their first 100 bytes, and
 * a later one must not rename an earlier one) and every name a kept one holds; a token is never one
 * that would give a name a kept one holds. A name with nothing usable falls back to the id itself,
 * which is unique already.
 */
export function assignFileNames(
  entries: { id: string; name: string }[],
  extension = '.yaml',
  previous: ReadonlyMap<string, string> = new Map()
): Map<string, string> {
  if (extension !== '' && !/^\.[A-Za-z0-9.]+$/.test(extension)) {
    throw new Error(`assignFileNames: extension '${extension}' must look like '.yaml'`)
  }
  const ids = new Set<string>()
  for (const e of entries) {
    if (ids.has(e.id)) throw new Error(`assignFileNames: id '${e.id}' appears twice in one folder`)
    ids.add(e.id)
  }

  const prepared: Prepared[] = [...entries].sort(byId).map(prepare)

  // A previous name two resources held (a manifest edited by hand) is nobody's to keep. Counted over
  // all of `previous`, not just the resources here, so whether a resource keeps its name does not
  // depend on which others are in the folder (settledFlowPaths relies on that).
  const holders = new Map<string, number>()
  for (const name of previous.values()) {
    const folded = foldName(name)
    holders.set(folded, (holders.get(folded) ?? 0) + 1)
  }

  const result = new Map<string, string>()
  /** Folded names the kept resources hold. */
  const taken = new Set<string>()
  const groups = new Map<string, Prepared[]>()
  for (const p of prepared) {
    const before = previous.get(p.id)
    if (before !== undefined && holders.get(foldName(before)) === 1 && stillFits(p, before, extension)) {
      result.set(p.id, before)
      taken.add(foldName(before))
      continue
    }
    const group = groups.get(p.key)
    if (group) group.push(p)
    else groups.set(p.key, [p])
  }

  for (const group of groups.values()) {
    const [first] = group
    const plain = first.base + extension
    if (group.length === 1 && !first.forced && !taken.has(foldName(plain))) {
      result.set(first.id, plain)
      continue
    }
    // The whole group is suffixed, with a token length that depends on the group and the kept names
    // alone, so adding an unrelated resource to the folder never renames these files.
    const len = tokenLength(group, extension, taken)
    for (const p of group) result.set(p.id, suffixed(p, len, extension))
  }

  const seen = new Set<string>()
  for (const name of result.values()) {
    const folded = foldName(name)
    if (seen.has(folded)) throw new Error(`assignFileNames: two resources would both be '${name}'`)
    seen.add(folded)
  }
  // Insert in id order so the map's iteration order is stable too.
  return new Map([...result].sort((a, b) => byId({ id: a[0] }, { id: b[0] })))
}
