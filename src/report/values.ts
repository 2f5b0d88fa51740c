/**
 * Short, safe renderings of configuration values for the change report. Values come from redacted
 * snapshot files, but the report also refuses on its own to print anything whose key looks like a
 * credential, or a string that looks like an Authorization header value.
 */

const CREDENTIAL_KEY =
  /pass(word|wd|phrase)?$|^pwd$|secret|token|api[-_]?key|authori[sz]ation|^auth$|credential|private[-_]?key|cookie|signature|session[-_]?id|bearer|x-api-key/i
const CREDENTIAL_VALUE = /\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{8,}/i

export const HIDDEN = '(hidden)'

/** True when a key names something that holds a credential. */
export function isCredentialKey(key: string): boolean {
  return CREDENTIAL_KEY.test(key)
}

/** The key names a field path is made of: `a.b["c d"][name=x].e` → a, b, c d, name=x's x, e. */
export function pathKeys(path: string): string[] {
  const keys: string[] = []
  for (const m of path.matchAll(
    /\["((?:[^"\\]|\\.)*)"\]|\[(?:id|name)=("(?:[^"\\]|\\.)*"|[^\]]*)\]|\[\d+\]|([^.[\]]+)/g
  )) {
    if (m[1] !== undefined) keys.push(JSON.parse(`"${m[1]}"`) as string)
    else if (m[2] !== undefined) keys.push(m[2].startsWith('"') ? (JSON.parse(m[2]) as string) : m[2])
    else if (m[3] !== undefined) keys.push(m[3])
  }
  return keys
}

/** True when any key along the path looks like a credential, so its value must not be shown. */
export function isCredentialPath(path: string): boolean {
  return pathKeys(path).some(isCredentialKey)
}

/** A copy of `value` with the values under credential-like keys (at any depth) replaced by HIDDEN. */
export function maskCredentials(value: unknown): unknown {
  if (typeof value === 'string') return CREDENTIAL_VALUE.test(value) ? HIDDEN : value
  if (Array.isArray(value)) return value.map(maskCredentials)
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = isCredentialKey(k) ? HIDDEN : maskCredentials(v)
    return out
  }
  return value
}

/** JSON with sorted keys, so the same value always reads the same. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map(k => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
    return `{${entries.join(',')}}`
  }
  if (value === undefined) return 'null'
  return JSON.stringify(value) ?? String(value)
}

// Characters that must not reach a reviewer's screen raw: controls, bidi and invisible formatting.
const UNSAFE_IN_VALUE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B-\u200F\u2028-\u202E\u2060-\u206F\uFEFF]/g

/**
 * One-line, JSON-ish rendering of a value (strings quoted, objects compact with sorted keys),
 * credentials masked, unsafe characters shown as \u escapes, cut to `max` characters with an ellipsis.
 */
export function formatValue(value: unknown, max = 80): string {
  const masked = maskCredentials(value)
  if (masked === HIDDEN) return HIDDEN
  const text = stableJson(masked).replace(
    UNSAFE_IN_VALUE,
    c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`
  )
  if (text.length <= max) return text
  let end = Math.max(1, max - 1)
  const code = text.charCodeAt(end - 1)
  if (code >= 0xd800 && code <= 0xdbff) end--
  return `${text.slice(0, end)}…`
}
