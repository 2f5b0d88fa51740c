/**
 * The reports a run leaves behind: the pull request body (a review aid: what changed in the org, by
 * name), the job summary (the same plus how the run went) and, in check mode, one annotation per
 * drifted file. No timestamps, so an unchanged org gives an unchanged body.
 */
import type { ResourceKind, UnresolvedReference } from '../snapshot/model.js'
import { KIND_ORDER, type ChangeSet } from './changes.js'
import { codeSpan, escapeMarkdown, truncateText } from './escape.js'
import { fitLines } from './fit.js'
import {
  KIND_WORDS,
  boldName,
  kindWord,
  plural,
  renderHeadline,
  renderRedactions,
  renderResourceSections,
  renderUnlistedFiles,
  renderUnresolved,
  renderUnresolvedChanges,
  unresolvedBefore,
  unresolvedChangeCount
} from './sections.js'

export { escapeMarkdown } from './escape.js'
export { driftAnnotations } from './annotations.js'

export interface RunFacts {
  mode: 'snapshot' | 'check' | 'validate'
  counts: Record<ResourceKind, number>
  requests: number
  requestsByEndpoint?: Record<string, number>
  /** e.g. flows never published */
  skipped: { kind: string; id: string; name: string; reason: string }[]
  unresolved: UnresolvedReference[]
  redactions: { file: string; count: number }[]
  failed: { kind: string; id: string; name: string; reason: string }[]
  warnings: string[]
  /** Flows dependency tracking would not answer for: they keep the committed snapshot's dependencies. */
  dependenciesNotRead?: { kind: string; id: string; name: string; reason: string }[]
  durationMs?: number
  /** Flows reused by incremental mode. */
  reused?: number
}

/** GitHub's limit on a pull request body, in characters. */
export const PULL_REQUEST_BODY_LIMIT = 65_536
/** GitHub's limit on a step's job summary is 1 MiB; stay a little under it. */
export const JOB_SUMMARY_LIMIT_BYTES = 1_000_000
const LIST_LIMIT = 500
const WARNING_MAX = 500

const TITLE = 'Genesys Cloud snapshot'

function countsSentence(counts: Record<ResourceKind, number>): string {
  return KIND_ORDER.map(k => plural(counts[k] ?? 0, KIND_WORDS[k].one, KIND_WORDS[k].many)).join(', ')
}

function problemItem(p: { kind: string; id: string; name: string; reason: string }): string {
  return `- ${kindWord(p.kind)} ${boldName(p.name)} (${codeSpan(p.id)}): ${escapeMarkdown(p.reason)}`
}

/** Flows whose dependencies dependency tracking would not give, and what the snapshot did about it. */
function renderDependenciesNotRead(facts: RunFacts, limit = LIST_LIMIT): string[] {
  const flows = facts.dependenciesNotRead ?? []
  return section(
    `### Dependencies not read (${flows.length})`,
    flows.length === 0
      ? []
      : [
          'Architect dependency tracking would not say what these flows use, or its index was not complete enough to be taken at its word. Each keeps the dependencies the committed snapshot lists for it, and the next run asks again:',
          '',
          ...boundedList(flows, problemItem, limit)
        ]
  )
}

/** A bounded list: at most LIST_LIMIT items, then "and N more". */
function boundedList<T>(items: readonly T[], render: (item: T) => string, limit = LIST_LIMIT): string[] {
  const lines = items.slice(0, limit).map(render)
  if (items.length > limit) lines.push(`- … and ${(items.length - limit).toLocaleString('en-US')} more`)
  return lines
}

function section(title: string, lines: string[]): string[] {
  return lines.length === 0 ? [] : [title, '', ...lines, '']
}

/**
 * The PR body: headline counts, then per kind what was added, removed and changed, by name (flow
 * versions, field changes with old and new values), unresolved references, redactions, what could
 * not be exported, a footer. At most `limit` characters: cut at a line boundary with a note saying how
 * much was left out and where the rest is. No timestamps.
 */
export function renderPullRequestBody(
  changes: ChangeSet,
  facts: RunFacts,
  limit = PULL_REQUEST_BODY_LIMIT
): string {
  const body: string[] = [`## ${TITLE}`, '', ...renderHeadline(changes), '']
  body.push(...renderResourceSections(changes, 3))
  body.push(...renderUnlistedFiles(changes, 3))
  body.push(...renderUnresolvedChanges(changes, 3))
  if (facts.unresolved.length > 0 && unresolvedChangeCount(changes) > 0) {
    body.push(
      `${plural(facts.unresolved.length, 'reference')} in all ${facts.unresolved.length === 1 ? 'is' : 'are'} unresolved; the job summary lists them.`,
      ''
    )
  }
  body.push(...renderRedactions(facts.redactions, 3))
  body.push(...renderDependenciesNotRead(facts, 50))
  body.push(
    ...section(
      `### Not exported (${facts.failed.length})`,
      facts.failed.length === 0
        ? []
        : [
            'These could not be read from Genesys Cloud in this run, so this pull request does not show their current state:',
            '',
            ...boundedList(facts.failed, problemItem, 50)
          ]
    )
  )
  const footer = [
    '---',
    `<sub>Snapshot of ${countsSentence(facts.counts)}${facts.skipped.length > 0 ? `; ${plural(facts.skipped.length, 'resource')} skipped` : ''}. Made by the Genesys Cloud snapshot action; the workflow run's job summary has the full report. The snapshot mirrors Genesys Cloud: an edit pushed to this branch inside the snapshot folder is replaced by the next run, so make changes in Genesys Cloud.</sub>`
  ]
  return fitLines(trimBlankTail(body), footer, {
    limit,
    note: omitted => [
      `> [!NOTE]`,
      `> This report was cut to fit GitHub's limit on a pull request description: ${plural(omitted, 'more line')} ${omitted === 1 ? 'is' : 'are'} not shown. The workflow run's job summary has the full report, and the Files changed tab every change.`,
      ''
    ]
  })
}

function trimBlankTail(lines: string[]): string[] {
  const out = [...lines]
  while (out.length > 0 && out[out.length - 1] === '') out.pop()
  out.push('')
  return out
}

function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000)
  if (seconds < 60) return `${seconds} s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`
}

function headline(changes: ChangeSet | undefined, facts: RunFacts, problems: number): string[] {
  switch (facts.mode) {
    case 'check':
      if (!changes) return [`## ${TITLE}: check`]
      return changes.changed
        ? [`## ⚠️ Drift: the org differs from the committed snapshot`]
        : [`## ✅ No drift: the org matches the committed snapshot`]
    case 'validate':
      return problems === 0
        ? [`## ✅ The snapshot is valid`]
        : [`## ❌ The snapshot has ${plural(problems, 'problem')}`]
    default:
      return [`## ${TITLE}`]
  }
}

function pullRequestLine(pr: { operation: string; number?: number; url?: string } | undefined): string[] {
  if (!pr) return []
  const ref = pr.number !== undefined ? `#${pr.number}` : ''
  // Only an http(s) URL becomes a link; the number is ours to link, the operation is escaped.
  const link = ref !== '' && pr.url && /^https?:\/\/[^\s()<>]+$/.test(pr.url) ? `[${ref}](${pr.url})` : ref
  const subject = link === '' ? 'Pull request' : `Pull request ${link}`
  switch (pr.operation) {
    case 'created':
      return [`${subject} opened.`, '']
    case 'updated':
      return [`${subject} updated.`, '']
    case 'closed':
      return [`${subject} closed: the snapshot on its branch no longer differs from the base.`, '']
    case 'none':
      return [link === '' ? 'No pull request: nothing to propose.' : `${subject} already up to date.`, '']
    default:
      return [`${subject}: ${escapeMarkdown(pr.operation)}.`, '']
  }
}

function exportedTable(facts: RunFacts): string[] {
  const lines = ['| Kind | Resources |', '|---|---:|']
  for (const kind of KIND_ORDER)
    lines.push(`| ${KIND_WORDS[kind].heading} | ${(facts.counts[kind] ?? 0).toLocaleString('en-US')} |`)
  if (facts.reused !== undefined && facts.reused > 0) {
    lines.push(
      '',
      `${plural(facts.reused, 'flow')} reused from the committed snapshot (published version unchanged).`
    )
  }
  return lines
}

function requestsSection(facts: RunFacts): string[] {
  const lines = [
    `${plural(facts.requests, 'request')} to the Genesys Cloud API${facts.durationMs !== undefined ? `; the run took ${formatDuration(facts.durationMs)}` : ''}.`
  ]
  const entries = Object.entries(facts.requestsByEndpoint ?? {}).sort(
    (a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)
  )
  if (entries.length > 0) {
    lines.push('', '| Endpoint | Requests |', '|---|---:|')
    for (const [endpoint, n] of entries.slice(0, 100))
      lines.push(`| ${codeSpan(endpoint, { table: true })} | ${n.toLocaleString('en-US')} |`)
    if (entries.length > 100) lines.push(`| … ${entries.length - 100} more | |`)
  }
  return lines
}

/**
 * The job summary (GITHUB_STEP_SUMMARY markdown): the change report plus what was exported per kind,
 * what was skipped, unresolved or failed and why, the requests made (by endpoint), redactions and the
 * duration; a clear drift / no drift headline in check mode; the problems in validate mode.
 */
export function renderJobSummary(
  changes: ChangeSet | undefined,
  facts: RunFacts,
  extra: {
    pullRequest?: { operation: string; number?: number; url?: string }
    validationProblems?: { file: string; line?: number; message: string }[]
  } = {}
): string {
  const problems = extra.validationProblems ?? []
  const lines: string[] = [...headline(changes, facts, problems.length), '']
  lines.push(...pullRequestLine(extra.pullRequest))

  if (facts.mode === 'validate') {
    lines.push(
      ...section(
        '### Problems',
        boundedList(problems, p => {
          const where = p.line !== undefined ? `${p.file}:${p.line}` : p.file
          return `- ${codeSpan(where)}: ${escapeMarkdown(truncateText(p.message, 1000))}`
        })
      )
    )
    lines.push(...section('### Snapshot contents', exportedTable(facts)))
  } else {
    lines.push(...section('### Exported', exportedTable(facts)))
  }

  if (changes) {
    lines.push('### What changed', '', ...renderHeadline(changes), '')
    lines.push(...renderResourceSections(changes, 4))
    lines.push(...renderUnlistedFiles(changes, 4))
  }

  const key = (u: UnresolvedReference): string => `${u.from}\u0000${u.kind}\u0000${u.id}`
  const newlyUnresolved = new Set((changes?.unresolved.added ?? []).map(key))
  const changedUnresolved = new Map((changes?.unresolved.changed ?? []).map(c => [key(c.after), c.before]))
  lines.push(
    ...section(
      `### Unresolved references (${facts.unresolved.length})`,
      boundedList(facts.unresolved, u => {
        const was = changedUnresolved.get(key(u))
        const mark = newlyUnresolved.has(key(u))
          ? ' *(new)*'
          : was !== undefined
            ? ` *(changed: ${unresolvedBefore(was, u)})*`
            : ''
        return `- ${renderUnresolved(u, changes?.names)}${mark}`
      })
    )
  )
  const resolved = changes?.unresolved.removed ?? []
  lines.push(
    ...section(
      `### Resolved since the committed snapshot (${resolved.length})`,
      boundedList(resolved, u => `- ${renderUnresolved(u, changes?.names)}`)
    )
  )
  lines.push(...renderDependenciesNotRead(facts))
  lines.push(...section(`### Skipped (${facts.skipped.length})`, boundedList(facts.skipped, problemItem)))
  lines.push(...section(`### Failed (${facts.failed.length})`, boundedList(facts.failed, problemItem)))
  lines.push(
    ...section(
      `### Warnings (${facts.warnings.length})`,
      boundedList(facts.warnings, w => `- ${escapeMarkdown(truncateText(w, WARNING_MAX))}`)
    )
  )
  lines.push(...renderRedactions(facts.redactions, 3))
  if (facts.mode !== 'validate') lines.push(...section('### Requests', requestsSection(facts)))

  return fitLines(trimBlankTail(lines), [], {
    limit: JOB_SUMMARY_LIMIT_BYTES,
    measure: text => Buffer.byteLength(text, 'utf8'),
    note: omitted => [
      `> [!NOTE]`,
      `> This summary was cut to fit GitHub's limit on a job summary: ${plural(omitted, 'more line')} ${omitted === 1 ? 'is' : 'are'} not shown. The log and the diff have the rest.`
    ]
  })
}
