/**
 * Credentials must never reach the repository. Genesys never returns integration credentials, but data
 * action headers and templates hold whatever people typed, and public examples show literal
 * `Authorization: Bearer …` headers, keys in query strings and passwords in token-request bodies.
 *
 * One set of rules serves both directions: redactDataAction replaces what they find before a file is
 * written, and findUnredactedCredentials reports what they find in a committed file (mode: validate).
 * References such as `${input.token}`, `$!{credentials.key}` or `$input.apiKey` are how a data action is
 * meant to carry secrets, so only literals count.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml'

export const REDACTED = '<redacted by genesys-cloud-snapshot>'

export interface Redaction {
  /** Where the value was, e.g. config.request.headers.Authorization. */
  path: string
  reason: string
}

/** A span of a string that holds a literal credential. */
interface Finding {
  start: number
  end: number
  reason: string
}

// Velocity references ($x, $!x, ${x}, $!{x}, with .members and (calls)), template placeholders
// ({{x}}, <x>) and our own marker: none of them is a literal secret.
const REFERENCE =
  /\$!?\{[^}]*\}|\$!?[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*(?:\([^)]*\))?|\{\{[^}]*\}\}|<[^<>\n]*>/g

function stripReferences(s: string): string {
  return s.split(REDACTED).join(' ').replace(REFERENCE, ' ')
}

/** True when `value` still has letters or digits once references and punctuation are set aside. */
function hasLiteral(value: string): boolean {
  return /[\p{L}\p{N}]/u.test(stripReferences(value))
}

function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[\s_.-]/g, '')
}

const HEADER_WORDS = [
  'auth',
  'token',
  'secret',
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'cookie',
  'signature',
  'credential',
  'apikey',
  'accesskey',
  'privatekey',
  'session'
]

/** Header names whose values are credentials: Authorization, X-API-Key, Cookie, X-Auth-Token, ... */
export function isCredentialHeader(name: string): boolean {
  const n = normalizeName(name)
  return HEADER_WORDS.some(w => n.includes(w)) || n.endsWith('key') || n === 'sig'
}

const PARAM_SUFFIXES = [
  'token',
  'secret',
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'apikey',
  'accesskey',
  'secretkey',
  'privatekey',
  'subscriptionkey',
  'signature',
  'credential',
  'credentials'
]

/**
 * Parameter and JSON field names whose values are credentials: api_key, access_token, client_secret,
 * password, pass, sig, ... The bare name `key` counts in query strings (Google-style `?key=`), not as a
 * JSON field, where it is far more often a plain word. The same names mark XML elements and Velocity
 * variables that hold credentials.
 */
export function isCredentialParam(name: string, bareKey: boolean): boolean {
  const n = normalizeName(name)
  // `pass` only as the whole name: as a suffix it would catch bypass, compass, firstpass.
  if (n === 'sig' || n === 'auth' || n === 'authorization' || n === 'pass') return true
  if (bareKey && n === 'key') return true
  return PARAM_SUFFIXES.some(s => n.endsWith(s))
}

const AUTH_SCHEME = /^\s*(Bearer|Basic|Digest|Token|ApiKey|Api-Key|OAuth|Negotiate|NTLM|SSWS|sso-key)\b\s*/i

// Set-Cookie attributes and `name=` labels (cookie names, "sha256=" before a signature) are not secrets.
const COOKIE_ATTRIBUTE =
  /;\s*(?:Path|Domain|Expires|Max-Age|Secure|HttpOnly|SameSite|Partitioned)(?:=[^;]*)?/gi
// A label is followed by its value; base64 padding ("…=" at the end, "==") is not a label.
const LABEL = /[\w.-]+=(?=[^=\s])/g

/** Literal text in a credential header's value (the scheme word, labels and cookie attributes do not count). */
function headerHasLiteral(value: string): boolean {
  const unlabelled = value.replace(COOKIE_ATTRIBUTE, '').replace(LABEL, ' ')
  return hasLiteral(stripReferences(unlabelled).replace(AUTH_SCHEME, ''))
}

/** What a credential header's value becomes: the scheme is kept, so a reader still sees "Bearer …". */
function redactedHeaderValue(value: string): string {
  const scheme = AUTH_SCHEME.exec(value)
  return scheme ? `${scheme[1]} ${REDACTED}` : REDACTED
}

function looksLikeToken(t: string): boolean {
  if (t.length < 8) return false
  const digit = /\d/.test(t)
  const mixed = /[a-z]/.test(t) && /[A-Z]/.test(t)
  return digit || mixed || /[-._~+/]/.test(t)
}

/**
 * A literal shaped like a generated key rather than a word, a name or a product code: 20+ characters
 * of the token alphabet with a digit or mixed case (ghp_…, sk_test_…, Azure function keys), so user
 * names like JohnSmith or ftpuser01 and codes like SUMMER2024 stay as written.
 * Used where the name alone does not say "credential": a URL's user part, Azure's `?code=`.
 */
function hasTokenLiteral(value: string): boolean {
  return stripReferences(value)
    .split(/\s+/)
    .some(
      t =>
        t.length >= 20 &&
        /^[A-Za-z0-9\-._~+/=%]+$/.test(t) &&
        (/\d/.test(t) || (/[a-z]/.test(t) && /[A-Z]/.test(t)))
    )
}

/**
 * For each position of `s`, whether it is inside a URL's query string: a `?` comes before it in the
 * same word. One pass, so many `code=` in one long word cost no more than one.
 */
function urlQueryMap(s: string): Uint8Array {
  const inQuery = new Uint8Array(s.length)
  let seen = 0
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]
    if (ch === '?') seen = 1
    else if (/[\s"'<>]/.test(ch)) seen = 0
    inQuery[i] = seen
  }
  return inQuery
}

/** Basic credentials are base64 of "user:password": decode to be sure, so prose ("Basic setup") never counts. */
function isBasicCredential(t: string): boolean {
  if (t.length < 4 || !/^[A-Za-z0-9+/]+=*$/.test(t)) return false
  const decoded = Buffer.from(t, 'base64').toString('utf8')
  return decoded.includes(':') && !/[\p{Cc}\ufffd]/u.test(decoded)
}

// Formats that are credentials wherever they appear (and that GitHub push protection would refuse).
const KNOWN_TOKENS: { pattern: RegExp; reason: string }[] = [
  { pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, reason: 'JSON Web Token' },
  { pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, reason: 'AWS access key id' },
  { pattern: /\bgh[pousr]_[A-Za-z0-9]{36,}\b/g, reason: 'GitHub token' },
  { pattern: /\bgithub_pat_[A-Za-z0-9_]{22,}/g, reason: 'GitHub token' },
  { pattern: /\bxox[abprs]-[A-Za-z0-9-]{10,}/g, reason: 'Slack token' },
  { pattern: /\b[sr]k_live_[A-Za-z0-9]{16,}/g, reason: 'Stripe secret key' },
  { pattern: /\bAIza[0-9A-Za-z_-]{35}/g, reason: 'Google API key' },
  {
    pattern:
      /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|$)/g,
    reason: 'private key'
  }
]

/** Literal credentials inside one string, as spans to replace. */
export function scanString(s: string): Finding[] {
  const found: Finding[] = []
  const add = (start: number, end: number, reason: string) => {
    if (end > start) found.push({ start, end, reason })
  }

  // user:password@ in a URL, or a token as the user with no password (token@, token:@), which is
  // how GitHub, Stripe and others take a key in Basic auth.
  // The scheme starts where a run of scheme characters starts: \b alone would try every position in
  // a long run such as a.a.a.… and take quadratic time.
  for (const m of s.matchAll(/(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*:\/\/([^\s/?#@"'<>]+)@/gi)) {
    const userinfo = m[1]
    const at = m.index + m[0].indexOf(userinfo)
    const colon = userinfo.indexOf(':')
    const password = colon < 0 ? '' : userinfo.slice(colon + 1)
    if (password === '') {
      // A user part that is a plain name (user@, git@, svc-account@) is not a secret.
      const user = colon < 0 ? userinfo : userinfo.slice(0, colon)
      if (hasTokenLiteral(user)) add(at, at + user.length, 'token as the user of a URL')
      continue
    }
    if (!hasLiteral(password)) continue
    add(at + colon + 1, at + userinfo.length, 'password in a URL')
  }

  let inQuery: Uint8Array | undefined
  // name=value in a query string or a form body (client_secret=…&password=…). A value ends before a `?`
  // that starts another parameter, so one nested in a URL-valued parameter
  // (?return=https://x/cb?access_token=…) is matched on its own instead of being swallowed.
  for (const m of s.matchAll(
    /(^|[?&;\s"'(])([A-Za-z0-9_.[\]-]+)=((?:[^&#\s"'<>;)?]|\?(?![A-Za-z0-9_.[\]-]+=))*)/g
  )) {
    const [, lead, name, value] = m
    if (!hasLiteral(value)) continue
    const start = m.index + lead.length + name.length + 1
    if (isCredentialParam(name, true)) add(start, start + value.length, `parameter "${name}"`)
    // Azure Functions take their key as ?code=; elsewhere (OAuth form bodies, prose) `code` is too common
    // a word, so only a token-like value in a URL's query counts.
    else if (name.toLowerCase() === 'code' && hasTokenLiteral(value) && (inQuery ??= urlQueryMap(s))[m.index])
      add(start, start + value.length, 'parameter "code" (Azure Functions key)')
  }

  // "password": "…" in a JSON body template.
  for (const m of s.matchAll(/"([A-Za-z0-9_.-]+)"\s*:\s*"((?:[^"\\\n]|\\.)*)"/g)) {
    const [whole, name, value] = m
    if (!isCredentialParam(name, false) || !hasLiteral(value.replace(AUTH_SCHEME, ''))) continue
    // Keep a leading "Bearer " so the reader still sees what kind of credential it was.
    const scheme = AUTH_SCHEME.exec(value)?.[0].length ?? 0
    const start = m.index + whole.length - 1 - value.length + scheme
    add(start, start + value.length - scheme, `JSON field "${name}"`)
  }

  // <Password>…</Password>, <wsse:Password Type="…">…</wsse:Password> in an XML/SOAP body, named like a
  // JSON field would be; only plain text content (a nested element is structure, not a value).
  for (const m of s.matchAll(/<((?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*))(\s[^<>]*)?>([^<]*)<\/\1\s*>/g)) {
    const [, qname, local, attributes = '', value] = m
    if (!isCredentialParam(local, false) || !hasLiteral(value.replace(AUTH_SCHEME, ''))) continue
    const scheme = AUTH_SCHEME.exec(value)?.[0].length ?? 0
    const start = m.index + qname.length + attributes.length + 2 + scheme
    add(start, start + value.length - scheme, `XML element "${qname}"`)
  }

  // #set($apiKey = "…") in a Velocity template: a literal assigned to a credential-named variable.
  for (const m of s.matchAll(
    /#\{?set\}?\s*\(\s*\$!?\{?([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*)\}?\s*=\s*(?:"((?:[^"\\\n]|\\.)*)"|'([^'\n]*)')/g
  )) {
    const [whole, variable] = m
    const value = m[2] ?? m[3]
    const name = variable.slice(variable.lastIndexOf('.') + 1)
    if (!isCredentialParam(name, false) || !hasLiteral(value.replace(AUTH_SCHEME, ''))) continue
    const scheme = AUTH_SCHEME.exec(value)?.[0].length ?? 0
    const start = m.index + whole.length - 1 - value.length + scheme
    add(start, start + value.length - scheme, `Velocity variable "$${variable}"`)
  }

  // Bearer / Basic credentials written out in a template.
  for (const m of s.matchAll(/\b(Bearer|Basic)[ \t]+([A-Za-z0-9\-._~+/]+=*)/gi)) {
    const [whole, scheme, token] = m
    const basic = scheme.toLowerCase() === 'basic'
    if (basic ? !isBasicCredential(token) : !looksLikeToken(token)) continue
    const start = m.index + whole.length - token.length
    add(start, start + token.length, `${basic ? 'Basic' : 'Bearer'} credential`)
  }

  for (const { pattern, reason } of KNOWN_TOKENS) {
    for (const m of s.matchAll(pattern)) add(m.index, m.index + m[0].length, reason)
  }
  return mergeFindings(found)
}

/** Sorted, non-overlapping spans (overlaps merge and keep the first reason). */
function mergeFindings(found: Finding[]): Finding[] {
  const sorted = [...found].sort((a, b) => a.start - b.start || b.end - a.end)
  const out: Finding[] = []
  for (const f of sorted) {
    const last = out[out.length - 1]
    if (last && f.start < last.end) last.end = Math.max(last.end, f.end)
    else out.push({ ...f })
  }
  return out
}

function applyFindings(s: string, findings: Finding[]): string {
  let out = ''
  let at = 0
  for (const f of findings) {
    out += s.slice(at, f.start) + REDACTED
    at = f.end
  }
  return out + s.slice(at)
}

function joinPath(path: string[]): string {
  return path.join('.')
}

/** Under a `headers` map, a credential-named header with a literal value. */
function headerReason(path: string[], value: string): string | undefined {
  if (path.length < 2 || path[path.length - 2] !== 'headers') return undefined
  const name = path[path.length - 1]
  if (!isCredentialHeader(name) || !headerHasLiteral(value)) return undefined
  return `credential header "${name}"`
}

function redactValue(value: unknown, path: string[], redactions: Redaction[]): unknown {
  if (typeof value === 'string') {
    const header = headerReason(path, value)
    if (header) {
      redactions.push({ path: joinPath(path), reason: header })
      return redactedHeaderValue(value)
    }
    const findings = scanString(value)
    if (findings.length === 0) return value
    for (const f of findings) redactions.push({ path: joinPath(path), reason: f.reason })
    return applyFindings(value, findings)
  }
  if (Array.isArray(value)) return value.map((v, i) => redactValue(v, [...path, String(i)], redactions))
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    // Defined, not assigned, so a key named __proto__ stays data (see canonical.ts).
    for (const [k, v] of Object.entries(value))
      Object.defineProperty(out, k, {
        value: redactValue(v, [...path, k], redactions),
        enumerable: true,
        writable: true,
        configurable: true
      })
    return out
  }
  return value
}

/**
 * Replaces credential values in a data action before it is written: header values whose names look
 * like credentials, passwords and token-like user parts in URLs, credential query/form parameters
 * (nested ones too, and Azure's `?code=`), JSON fields, XML elements and Velocity `#set` variables in
 * templates, Basic/Bearer literals and well-known token formats anywhere. Returns a copy; the input is
 * untouched. Running it on its own output finds nothing more.
 */
export function redactDataAction(action: unknown): { value: unknown; redactions: Redaction[] } {
  const redactions: Redaction[] = []
  const value = redactValue(action, [], redactions)
  return { value, redactions }
}

function scalarKey(node: unknown): string | undefined {
  if (isScalar(node) && (typeof node.value === 'string' || typeof node.value === 'number')) {
    return String(node.value)
  }
  return undefined
}

/**
 * For validate mode: finds credentials that were not redacted in a file's text (the same rules), with
 * 1-based line numbers. YAML is walked as a document so a header is known to be a header; text that is
 * not YAML is scanned line by line with the string rules.
 */
export function findUnredactedCredentials(text: string): { line: number; message: string }[] {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false })
  const results: { line: number; message: string }[] = []
  if (doc.errors.length > 0) {
    text.split('\n').forEach((lineText, i) => {
      for (const f of scanString(lineText)) results.push({ line: i + 1, message: f.reason })
    })
    return results
  }

  const lineOf = (offset: number) => lineCounter.linePos(offset).line

  const walk = (node: unknown, path: string[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue
        const key = scalarKey(pair.key) ?? '?'
        walk(pair.value, [...path, key])
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...path, String(i)]))
    } else if (isScalar(node) && typeof node.value === 'string') {
      const value = node.value
      const start = (node as YamlNode).range?.[0] ?? 0
      const where = path.length > 0 ? ` at ${joinPath(path)}` : ''
      const header = headerReason(path, value)
      if (header) {
        results.push({ line: lineOf(start), message: `${header}${where}` })
        return
      }
      for (const f of scanString(value)) {
        // In a literal block the value's lines are the file's lines, one below the indicator.
        const line =
          node.type === 'BLOCK_LITERAL'
            ? lineOf(start) + 1 + (value.slice(0, f.start).match(/\n/g)?.length ?? 0)
            : lineOf(start)
        results.push({ line, message: `${f.reason}${where}` })
      }
    }
  }
  walk(doc.contents, [])
  return results.sort((a, b) => a.line - b.line)
}
