/**
 * The change report's markdown pieces, shared by the PR body and the job summary: per kind what was
 * added, removed and changed, by name, with flow versions and field changes. Every user-controlled
 * string goes through escapeMarkdown or codeSpan.
 */
import { MANAGED_FOLDERS, type ResourceKind, type UnresolvedReference } from '../snapshot/model.js'
import { KIND_ORDER, type ChangeSet, type ResourceChange } from './changes.js'
import { codeSpan, escapeMarkdown, truncateText } from './escape.js'
import type { FieldChange } from './field-diff.js'
import { HIDDEN, formatValue, isCredentialPath } from './values.js'

/** Field changes listed per resource; the rest are summed up as "and N more". */
export const FIELDS_SHOWN = 20
const NAME_MAX = 150
const VALUE_MAX = 80
const REASON_MAX = 300
const LIST_ITEMS_SHOWN = 10
const UNLISTED_SHOWN = 100

export const KIND_WORDS: Readonly<Record<ResourceKind, { one: string; many: string; heading: string }>> = {
  flow: { one: 'flow', many: 'flows', heading: 'Flows' },
  queue: { one: 'queue', many: 'queues', heading: 'Queues' },
  skill: { one: 'skill', many: 'skills', heading: 'Skills' },
  'data-action': { one: 'data action', many: 'data actions', heading: 'Data actions' }
}

function isKind(kind: string): kind is ResourceKind {
  return (KIND_ORDER as readonly string[]).includes(kind)
}

export function kindWord(kind: string, count = 1): string {
  if (!isKind(kind)) return escapeMarkdown(kind)
  return count === 1 ? KIND_WORDS[kind].one : KIND_WORDS[kind].many
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? one : many}`
}

/** A resource name in bold, escaped; an empty name says so. */
export function boldName(name: string | undefined): string {
  const text = (name ?? '').trim()
  if (text === '') return '*(no name)*'
  return `**${escapeMarkdown(truncateText(text, NAME_MAX))}**`
}

/** `kind:id` as "queue **Sales**", from the names both snapshots know, or by id. */
export function refLabel(ref: string, names: Record<string, string> | undefined): string {
  const colon = ref.indexOf(':')
  const kind = colon > 0 ? ref.slice(0, colon) : ''
  const id = colon > 0 ? ref.slice(colon + 1) : ref
  const name = names?.[ref]
  const word = kind === '' ? '' : `${kindWord(kind)} `
  return name !== undefined && name.trim() !== '' ? `${word}${boldName(name)}` : `${word}${codeSpan(id)}`
}

function valueSpan(value: unknown): string {
  const text = formatValue(value, VALUE_MAX)
  return text === HIDDEN ? '*(hidden)*' : codeSpan(text)
}

function isScalarList(v: unknown): v is unknown[] {
  return Array.isArray(v) && v.every(x => x === null || typeof x !== 'object')
}

function listOf(values: unknown[]): string {
  const shown = values.slice(0, LIST_ITEMS_SHOWN).map(valueSpan).join(', ')
  return values.length > LIST_ITEMS_SHOWN ? `${shown} and ${values.length - LIST_ITEMS_SHOWN} more` : shown
}

function multisetMinus(a: unknown[], b: unknown[]): unknown[] {
  const rest = [...b]
  const out: unknown[] = []
  for (const x of a) {
    const i = rest.findIndex(y => y === x)
    if (i >= 0) rest.splice(i, 1)
    else out.push(x)
  }
  return out
}

/** One field change: `acwSettings.timeoutMs`: `30000` → `60000`. */
export function renderField(f: FieldChange): string {
  const path = codeSpan(f.path)
  const hidden = isCredentialPath(f.path)
  if (f.before === undefined && f.after === undefined) return `${path}: changed`
  if (f.before === undefined)
    return hidden ? `${path}: added *(value hidden)*` : `${path}: added, ${valueSpan(f.after)}`
  if (f.after === undefined)
    return hidden ? `${path}: removed` : `${path}: removed (was ${valueSpan(f.before)})`
  if (hidden) return `${path}: changed *(value hidden)*`
  if (isScalarList(f.before) && isScalarList(f.after)) {
    const added = multisetMinus(f.after, f.before)
    const removed = multisetMinus(f.before, f.after)
    const parts = [
      added.length > 0 ? `added ${listOf(added)}` : '',
      removed.length > 0 ? `removed ${listOf(removed)}` : ''
    ]
    return `${path}: ${parts.filter(p => p !== '').join('; ')}`
  }
  return `${path}: ${valueSpan(f.before)} → ${valueSpan(f.after)}`
}

/** A reason the run gave (an error message, say), escaped and bounded. */
function reasonText(reason: string): string {
  return escapeMarkdown(truncateText(reason, REASON_MAX))
}

function versionText(c: ResourceChange): string {
  // Version ids are Genesys's ("3.0"); escaped all the same, and left readable as `3.0 → 4.0`.
  const v = (version: string): string => escapeMarkdown(truncateText(version, 40))
  if (c.change === 'added') return c.version !== undefined ? `version ${v(c.version)}` : ''
  if (c.change === 'removed')
    return c.previousVersion !== undefined ? `was version ${v(c.previousVersion)}` : ''
  if (c.previousVersion !== undefined && c.version !== undefined && c.previousVersion !== c.version) {
    return `version ${v(c.previousVersion)} → ${v(c.version)}`
  }
  if (c.version !== undefined) return `version ${v(c.version)} (not republished)`
  return ''
}

function linesText(c: ResourceChange): string {
  if (c.linesAdded === undefined && c.linesRemoved === undefined) return ''
  return `+${(c.linesAdded ?? 0).toLocaleString('en-US')} −${(c.linesRemoved ?? 0).toLocaleString('en-US')} lines`
}

/** The list item(s) for one resource change, sub-items indented. */
export function renderResource(
  c: ResourceChange,
  names: Record<string, string> | undefined,
  showId: boolean
): string[] {
  const head = [boldName(c.name)]
  if (showId) head[0] += ` (${codeSpan(c.id)})`
  if (c.kind === 'flow') {
    if (c.flowType !== undefined) head.push(codeSpan(c.flowType))
    head.push(versionText(c), linesText(c))
  }
  const lines = [`- ${head.filter(p => p !== '').join(' · ')}`]
  const sub = (text: string): void => {
    lines.push(`  - ${text}`)
  }
  if (c.change !== 'modified') return lines
  if (c.previousName !== undefined) sub(`renamed from ${boldName(c.previousName)}`)
  if (c.previousFlowType !== undefined && c.flowType !== undefined) {
    sub(`flow type ${codeSpan(c.previousFlowType)} → ${codeSpan(c.flowType)}`)
  }
  if (c.previousPath !== undefined) sub(`file moved: ${codeSpan(c.previousPath)} → ${codeSpan(c.path)}`)
  if (c.dependsOnAdded.length > 0) sub(`now uses ${c.dependsOnAdded.map(r => refLabel(r, names)).join(', ')}`)
  if (c.dependsOnRemoved.length > 0)
    sub(`no longer uses ${c.dependsOnRemoved.map(r => refLabel(r, names)).join(', ')}`)
  const notRead = c.dependenciesNotRead
  if (notRead?.after === undefined && notRead?.before !== undefined) sub('dependencies read again')
  else if (notRead?.after !== undefined) {
    const was = notRead.before !== undefined ? ` (before: ${reasonText(notRead.before)})` : ''
    sub(`dependencies not read: ${reasonText(notRead.after)}${was}`)
  }
  for (const f of c.fields.slice(0, FIELDS_SHOWN)) sub(renderField(f))
  const more = Math.max(0, c.fields.length - FIELDS_SHOWN) + (c.fieldsOmitted ?? 0)
  if (more > 0) sub(`… and ${plural(more, 'more changed field')} (see the diff)`)
  if (c.note !== undefined) sub(escapeMarkdown(c.note))
  return lines
}

const CHANGE_GROUPS: { change: ResourceChange['change']; label: string }[] = [
  { change: 'added', label: 'Added' },
  { change: 'removed', label: 'Removed' },
  { change: 'modified', label: 'Changed' }
]

/** Per kind, "Added / Removed / Changed" lists by name. `level` is the markdown heading level of each kind. */
export function renderResourceSections(changes: ChangeSet, level: number): string[] {
  const lines: string[] = []
  const hashes = '#'.repeat(level)
  for (const kind of KIND_ORDER) {
    const ofKind = changes.resources.filter(c => c.kind === kind)
    if (ofKind.length === 0) continue
    // Two resources of a kind with the same name are told apart by id.
    const nameCounts = new Map<string, number>()
    for (const c of ofKind) nameCounts.set(c.name, (nameCounts.get(c.name) ?? 0) + 1)
    lines.push(`${hashes} ${KIND_WORDS[kind].heading}`, '')
    for (const group of CHANGE_GROUPS) {
      const items = ofKind.filter(c => c.change === group.change)
      if (items.length === 0) continue
      lines.push(`**${group.label} (${items.length})**`, '')
      for (const c of items)
        lines.push(...renderResource(c, changes.names, (nameCounts.get(c.name) ?? 0) > 1))
      lines.push('')
    }
  }
  return lines
}

/** Per kind: added / changed / removed counts, for the headline table. */
export function changeCounts(
  changes: ChangeSet
): Record<ResourceKind, Record<ResourceChange['change'], number>> {
  const counts = Object.fromEntries(
    KIND_ORDER.map(k => [k, { added: 0, modified: 0, removed: 0 }])
  ) as Record<ResourceKind, Record<ResourceChange['change'], number>>
  for (const c of changes.resources) counts[c.kind][c.change]++
  return counts
}

/** One sentence and a table of what changed, or the news that nothing did. */
export function renderHeadline(changes: ChangeSet): string[] {
  const total = changes.resources.length
  const files = changes.files.added.length + changes.files.modified.length + changes.files.removed.length
  if (!changes.changed) return ['No changes: the snapshot matches the org.']
  const byChange = { added: 0, modified: 0, removed: 0 }
  for (const c of changes.resources) byChange[c.change]++
  const parts = [
    byChange.added > 0 ? `${byChange.added} added` : '',
    byChange.modified > 0 ? `${byChange.modified} changed` : '',
    byChange.removed > 0 ? `${byChange.removed} removed` : ''
  ].filter(p => p !== '')
  const lines: string[] = []
  if (total === 0) {
    // Point only at sections the report has: both reports list unresolved references when any changed.
    const below = [
      changes.unlisted.length > 0 ? 'the files removed that the manifest did not list' : '',
      unresolvedChangeCount(changes) > 0 ? 'the unresolved references' : ''
    ].filter(p => p !== '')
    const where = below.length > 0 ? `see ${below.join(' and ')} below` : 'see the diff'
    lines.push(`No resource changed; ${plural(files, 'file')} of the snapshot did (${where}).`)
    return lines
  }
  lines.push(
    `**${plural(total, 'resource')} changed** (${parts.join(', ')}) in ${plural(files, 'file')}.`,
    ''
  )
  const counts = changeCounts(changes)
  lines.push('| | Added | Changed | Removed |', '|---|---:|---:|---:|')
  for (const kind of KIND_ORDER) {
    const c = counts[kind]
    if (c.added + c.modified + c.removed === 0) continue
    lines.push(`| ${KIND_WORDS[kind].heading} | ${c.added} | ${c.modified} | ${c.removed} |`)
  }
  return lines
}

/** Files the snapshot removes from the managed folders although the manifest did not list them. */
export function renderUnlistedFiles(changes: ChangeSet, level: number): string[] {
  const files = changes.unlisted
  if (files.length === 0) return []
  const lines = [
    `${'#'.repeat(level)} Files removed that the manifest did not list (${files.length})`,
    '',
    `The action owns the folders ${MANAGED_FOLDERS.map(f => codeSpan(`${f}/`)).join(', ')}: a file there that the manifest does not list is not part of the snapshot and is not kept. Keep files of your own beside them.`,
    ''
  ]
  for (const p of files.slice(0, UNLISTED_SHOWN)) lines.push(`- ${codeSpan(p)}`)
  if (files.length > UNLISTED_SHOWN)
    lines.push(`- … and ${(files.length - UNLISTED_SHOWN).toLocaleString('en-US')} more`)
  lines.push('')
  return lines
}

/** "flow **Main** refers to queue **Gone** (`id`): deleted" */
export function renderUnresolved(u: UnresolvedReference, names: Record<string, string> | undefined): string {
  const missing =
    u.name !== undefined && u.name.trim() !== '' ? `${boldName(u.name)} (${codeSpan(u.id)})` : codeSpan(u.id)
  return `${refLabel(u.from, names)} refers to ${kindWord(u.kind)} ${missing}: ${escapeMarkdown(u.reason)}`
}

export function unresolvedChangeCount(changes: ChangeSet): number {
  const { added, removed, changed } = changes.unresolved
  return added.length + removed.length + changed.length
}

/** What an unresolved reference said before: "was forbidden (403)", "was named **Old**". */
export function unresolvedBefore(before: UnresolvedReference, after: UnresolvedReference): string {
  const parts: string[] = []
  if (before.reason !== after.reason) parts.push(reasonText(before.reason))
  if (before.name !== after.name)
    parts.push(
      before.name !== undefined && before.name.trim() !== '' ? `named ${boldName(before.name)}` : 'unnamed'
    )
  return `was ${parts.join(', ')}`
}

/** New, changed and resolved unresolved references. */
export function renderUnresolvedChanges(changes: ChangeSet, level: number): string[] {
  const { added, removed, changed } = changes.unresolved
  if (unresolvedChangeCount(changes) === 0) return []
  const lines = [`${'#'.repeat(level)} Unresolved references`, '']
  if (added.length > 0) {
    lines.push(`**New (${added.length})**: referenced, but not in the snapshot`, '')
    for (const u of added) lines.push(`- ${renderUnresolved(u, changes.names)}`)
    lines.push('')
  }
  if (changed.length > 0) {
    lines.push(`**Changed (${changed.length})**`, '')
    for (const c of changed)
      lines.push(`- ${renderUnresolved(c.after, changes.names)}; ${unresolvedBefore(c.before, c.after)}`)
    lines.push('')
  }
  if (removed.length > 0) {
    lines.push(`**Resolved (${removed.length})**`, '')
    for (const u of removed) lines.push(`- ${renderUnresolved(u, changes.names)}`)
    lines.push('')
  }
  return lines
}

export function renderRedactions(redactions: { file: string; count: number }[], level: number): string[] {
  if (redactions.length === 0) return []
  const total = redactions.reduce((n, r) => n + r.count, 0)
  const lines = [
    `${'#'.repeat(level)} Redacted values`,
    '',
    `${plural(total, 'value')} that looked like credentials ${total === 1 ? 'was' : 'were'} replaced before the files were written:`,
    ''
  ]
  for (const r of [...redactions].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))) {
    lines.push(`- ${codeSpan(r.file)}: ${r.count}`)
  }
  lines.push('')
  return lines
}
