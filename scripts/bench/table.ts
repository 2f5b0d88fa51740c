// Markdown for the bench: one section per org size (runs, then requests by endpoint), and the
// bookkeeping that keeps the sections of other labelled runs in docs/benchmark.md.
import type { Measured } from './measure.js'

export type RunKind = 'full' | 'rerun' | 'naive'

export interface Scenario {
  name: 'binding' | 'latency' | 'memory'
  /** Requests per minute: the sim's per-token limit and the action's `requests-per-minute`. */
  rpm: number
  /** Whether the sim enforces `rpm` (the latency and memory scenarios have no limit). */
  limited: boolean
  latencyMs: number
  concurrency: number
  /** The sim's average flow YAML size. */
  flowBytes: number
}

export interface RunRow {
  scenario: Scenario
  kind: RunKind
  measured: Measured
  /** Only for reruns: the rerun's snapshot is byte for byte the full run's. */
  identical?: boolean
}

export interface SizeResult {
  flows: number
  published: number
  rows: RunRow[]
}

export const RUN_LABEL: Record<RunKind, string> = {
  full: 'full snapshot',
  rerun: 'unchanged rerun',
  naive: 'naive exporter'
}

/** Requests that draw on the per-token budget: everything but the token endpoint and signed downloads. */
export function budgeted(m: Measured): number {
  let n = m.requests
  for (const [endpoint, count] of Object.entries(m.byEndpoint))
    if (endpoint === 'POST /oauth/token' || endpoint.startsWith('GET /sim/downloads/')) n -= count
  return n
}

/** The lower bound on wall time: the rate limit's (budgeted ÷ rpm) or latency's (requests × latency ÷ concurrency). */
export function bound(row: RunRow): { ms: number; kind: 'rate' | 'latency' } {
  const { scenario, measured } = row
  const rate = scenario.limited ? (budgeted(measured) / scenario.rpm) * 60_000 : 0
  const latency = (measured.requests * scenario.latencyMs) / scenario.concurrency
  return rate >= latency ? { ms: rate, kind: 'rate' } : { ms: latency, kind: 'latency' }
}

const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a')
const fixed = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a')
function seconds(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a'
  if (ms >= 120_000) return `${(ms / 60_000).toFixed(1)} min`
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`
}

export function scenarioLabel(s: Scenario): string {
  if (s.name === 'memory') return `memory: ${int(s.flowBytes / 1000)} KB flows, no rate limit`
  return s.limited ? `rate limit binds: ${int(s.rpm)}/min` : `latency binds: no rate limit`
}

export function renderSize(result: SizeResult): string {
  const lines: string[] = []
  lines.push(
    `### ${int(result.flows)} flows (${int(result.published)} published, so ${int(result.published)} in a full snapshot)`
  )
  lines.push('')
  lines.push(
    '| scenario | run | flows | requests | requests per flow | wall time | lower bound | wall ÷ bound | CPU time | peak RSS | 429s |'
  )
  lines.push('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|')
  let previous: Scenario | undefined
  for (const row of result.rows) {
    const m = row.measured
    const b = bound(row)
    const failed = m.exitCode !== 0 ? ' **(failed)**' : ''
    const identical =
      row.identical === undefined
        ? ''
        : row.identical
          ? ' (same bytes as the full run)'
          : ' **(bytes differ!)**'
    // Under latency: how many requests were in flight on average (the most is `concurrency`).
    const inFlight =
      b.kind === 'latency'
        ? `; ${fixed((m.requests * row.scenario.latencyMs) / m.wallMs, 1)} of ${row.scenario.concurrency} in flight`
        : ''
    lines.push(
      `| ${row.scenario === previous ? '' : scenarioLabel(row.scenario)} | ${RUN_LABEL[row.kind]}${failed}${identical} | ${int(m.flows)} | ${int(m.requests)} | ${fixed(m.requests / m.flows, row.kind === 'rerun' ? 3 : 2)} | ${seconds(m.wallMs)} | ${seconds(b.ms)} (${b.kind}${inFlight}) | ${fixed(m.wallMs / b.ms)} | ${seconds(m.cpuMs)} | ${int(m.maxRssMb)} MB | ${int(m.rateLimited)} |`
    )
    previous = row.scenario
  }
  lines.push('')

  // Requests by endpoint, one column per run.
  const endpoints = new Set<string>()
  for (const row of result.rows) for (const e of Object.keys(row.measured.byEndpoint)) endpoints.add(e)
  const sorted = [...endpoints].sort()
  const head = result.rows.map(
    r => `${RUN_LABEL[r.kind]}, ${r.scenario.name === 'binding' ? 'rate' : r.scenario.name}`
  )
  lines.push(`<details><summary>Requests by endpoint, ${int(result.flows)} flows</summary>`)
  lines.push('')
  lines.push(`| endpoint | ${head.join(' | ')} |`)
  lines.push(`|---|${head.map(() => '--:').join('|')}|`)
  for (const endpoint of sorted) {
    const cells = result.rows.map(r => int(r.measured.byEndpoint[endpoint] ?? 0))
    lines.push(
      `| \`${endpoint.replace('/sim/downloads/{token}', '(signed download URL)')}\` | ${cells.join(' | ')} |`
    )
  }
  lines.push(`| **total** | ${result.rows.map(r => `**${int(r.measured.requests)}**`).join(' | ')} |`)
  lines.push('')
  lines.push('</details>')
  lines.push('')
  for (const row of result.rows)
    if (row.measured.tail)
      lines.push(
        `Output of the failed ${RUN_LABEL[row.kind]} (${row.scenario.name}):`,
        '',
        '```',
        row.measured.tail,
        '```',
        ''
      )
  return lines.join('\n')
}

export interface Check {
  what: string
  target: string
  measured: string
  ok: boolean
  /** Why, when the target is missed. */
  note?: string
}

export function renderChecks(checks: Check[]): string {
  const lines = ['| target | limit | measured | met |', '|---|---|---|---|']
  for (const c of checks)
    lines.push(`| ${c.what} | ${c.target} | ${c.measured} | ${c.ok ? 'yes' : '**no**'} |`)
  const notes = [...new Set(checks.filter(c => !c.ok && c.note).map(c => c.note!))]
  if (notes.length > 0) lines.push('', 'Where a target is missed:', '', ...notes.map(n => `- ${n}`))
  return lines.join('\n')
}

const BEGIN = (label: string) => `<!-- bench:begin ${label} -->`
const END = (label: string) => `<!-- bench:end ${label} -->`

/**
 * docs/benchmark.md holds one section per labelled run (`--label`, default "default"), each replaced
 * only by a run with the same label, so a rare run (10,000 flows) survives the next default run.
 */
export function mergeSections(
  existing: string | undefined,
  header: string,
  label: string,
  section: string
): string {
  const sections = new Map<string, string>()
  const pattern = /<!-- bench:begin (\S+) -->\n([\s\S]*?)\n<!-- bench:end \1 -->/g
  for (const m of (existing ?? '').matchAll(pattern)) sections.set(m[1], m[2])
  sections.set(label, section.trimEnd())
  const order = ['default', ...[...sections.keys()].filter(k => k !== 'default').sort()]
  const body = order
    .filter(k => sections.has(k))
    .map(k => `${BEGIN(k)}\n${sections.get(k)}\n${END(k)}`)
    .join('\n\n')
  return `${header.trimEnd()}\n\n${body}\n`
}
