/**
 * Check mode's annotations: one per drifted file, on the committed file's path, in plain text (an
 * annotation is not markdown) with control and bidi characters removed and credentials never shown.
 */
import { MANAGED_FOLDERS, MANIFEST_FILE } from '../snapshot/model.js'
import type { ChangeSet, ResourceChange } from './changes.js'
import { sanitizeText, truncateText } from './escape.js'
import type { FieldChange } from './field-diff.js'
import { HIDDEN, formatValue, isCredentialPath } from './values.js'

export interface DriftAnnotation {
  file: string
  title: string
  message: string
}

const FIELDS_IN_MESSAGE = 10
const MESSAGE_MAX = 4000
const TITLE_MAX = 200

const KIND_NAMES: Record<string, string> = {
  flow: 'Flow',
  queue: 'Queue',
  skill: 'Skill',
  'data-action': 'Data action'
}

function plain(text: string, max = 200): string {
  return truncateText(sanitizeText(text), max)
}

function valueText(value: unknown): string {
  return formatValue(value, 60)
}

function fieldText(f: FieldChange): string {
  const path = plain(f.path, 120)
  const hidden = isCredentialPath(f.path)
  if (f.before === undefined) return hidden ? `${path}: added` : `${path}: added ${valueText(f.after)}`
  if (f.after === undefined)
    return hidden ? `${path}: removed` : `${path}: removed (was ${valueText(f.before)})`
  if (hidden) return `${path}: changed (value ${HIDDEN})`
  return `${path}: ${valueText(f.before)} → ${valueText(f.after)}`
}

function refText(ref: string, names: Record<string, string> | undefined): string {
  const colon = ref.indexOf(':')
  const kind = colon > 0 ? ref.slice(0, colon) : ''
  const name = names?.[ref]
  return name !== undefined ? `${kind.replace('-', ' ')} "${plain(name)}"` : plain(ref)
}

function describe(
  c: ResourceChange,
  names: Record<string, string> | undefined
): { title: string; lines: string[] } {
  const kind = KIND_NAMES[c.kind] ?? c.kind
  const who = `${kind} "${plain(c.name)}"`
  if (c.change === 'added') {
    return {
      title: `Drift: ${who} is new in Genesys Cloud`,
      lines: [`${who} (${plain(c.id)}) exists in Genesys Cloud but not in the committed snapshot.`]
    }
  }
  if (c.change === 'removed') {
    return {
      title: `Drift: ${who} is gone from Genesys Cloud`,
      lines: [
        `${who} (${plain(c.id)}) is in the committed snapshot but no longer in Genesys Cloud (or no longer exported).`
      ]
    }
  }
  const lines = [`${who} (${plain(c.id)}) differs from the committed snapshot:`]
  if (c.previousName !== undefined) lines.push(`renamed from "${plain(c.previousName)}"`)
  if (c.previousVersion !== undefined && c.version !== undefined && c.previousVersion !== c.version) {
    lines.push(`published version ${plain(c.previousVersion)} → ${plain(c.version)}`)
  }
  if (c.linesAdded !== undefined || c.linesRemoved !== undefined) {
    lines.push(`+${c.linesAdded ?? 0} −${c.linesRemoved ?? 0} lines`)
  }
  if (c.previousPath !== undefined) lines.push(`file now ${plain(c.path)} (was ${plain(c.previousPath)})`)
  if (c.dependsOnAdded.length > 0)
    lines.push(`now uses ${c.dependsOnAdded.map(r => refText(r, names)).join(', ')}`)
  if (c.dependsOnRemoved.length > 0)
    lines.push(`no longer uses ${c.dependsOnRemoved.map(r => refText(r, names)).join(', ')}`)
  const notRead = c.dependenciesNotRead
  if (notRead?.after === undefined && notRead?.before !== undefined) lines.push('dependencies read again')
  else if (notRead?.after !== undefined) {
    const was = notRead.before !== undefined ? ` (before: ${plain(notRead.before, 300)})` : ''
    lines.push(`dependencies not read: ${plain(notRead.after, 300)}${was}`)
  }
  for (const f of c.fields.slice(0, FIELDS_IN_MESSAGE)) lines.push(fieldText(f))
  const more = Math.max(0, c.fields.length - FIELDS_IN_MESSAGE) + (c.fieldsOmitted ?? 0)
  if (more > 0) lines.push(`and ${more} more changed fields`)
  if (c.note !== undefined) lines.push(plain(c.note, 500))
  return { title: `Drift: ${who} changed`, lines }
}

function joinPath(snapshotPath: string, path: string): string {
  const base = snapshotPath.replace(/\\/g, '/').replace(/\/+$/, '')
  return base === '' || base === '.' ? path : `${base}/${path}`
}

/** One annotation per drifted file for check mode: file is snapshotPath + '/' + path. */
export function driftAnnotations(changes: ChangeSet, snapshotPath: string): DriftAnnotation[] {
  const byFile = new Map<string, { titles: string[]; lines: string[] }>()
  const add = (path: string, title: string, lines: string[]): void => {
    const entry = byFile.get(path) ?? { titles: [], lines: [] }
    if (entry.lines.length > 0) entry.lines.push('')
    entry.titles.push(title)
    entry.lines.push(...lines)
    byFile.set(path, entry)
  }
  const covered = new Set<string>()
  for (const c of changes.resources) {
    const { title, lines } = describe(c, changes.names)
    add(c.path, title, lines)
    covered.add(c.path)
    if (c.previousPath !== undefined) covered.add(c.previousPath)
  }
  for (const p of changes.unlisted) {
    add(p, `Drift: ${plain(p)} is not in the manifest`, [
      `${plain(p)} is in a folder the action manages, but the committed manifest does not list it: the snapshot does not keep it. Keep files of your own outside ${MANAGED_FOLDERS.map(f => `${f}/`).join(', ')}.`
    ])
    covered.add(p)
  }
  const otherFiles: [string, string][] = [
    ...changes.files.added.map(p => [p, 'is new'] as [string, string]),
    ...changes.files.modified.map(p => [p, 'changed'] as [string, string]),
    ...changes.files.removed.map(p => [p, 'is gone'] as [string, string])
  ]
  for (const [p, what] of otherFiles) {
    if (covered.has(p) || p === MANIFEST_FILE) continue
    add(p, `Drift: ${plain(p)} ${what}`, [`${plain(p)} ${what} compared with the committed snapshot.`])
  }
  const { added, removed, changed } = changes.unresolved
  // Unresolved references live in the manifest only: annotated there whenever they changed.
  if (added.length + removed.length + changed.length > 0) {
    add(MANIFEST_FILE, 'Drift: unresolved references changed', [
      `The manifest differs from the committed one: ${added.length} new, ${changed.length} changed and ${removed.length} resolved unresolved references.`,
      ...added
        .slice(0, FIELDS_IN_MESSAGE)
        .map(
          u =>
            `new: ${refText(u.from, changes.names)} refers to missing ${u.kind} ${plain(u.name ?? u.id)} (${plain(u.reason)})`
        ),
      ...changed.slice(0, FIELDS_IN_MESSAGE).map(({ before, after }) => {
        const was = [
          before.reason !== after.reason ? plain(before.reason) : '',
          before.name !== after.name ? `named "${plain(before.name ?? '')}"` : ''
        ].filter(p => p !== '')
        return `changed: ${refText(after.from, changes.names)} refers to missing ${after.kind} ${plain(after.name ?? after.id)} (${plain(after.reason)}; was ${was.join(', ')})`
      }),
      ...removed
        .slice(0, FIELDS_IN_MESSAGE)
        .map(u => `resolved: ${refText(u.from, changes.names)} → ${u.kind} ${plain(u.name ?? u.id)}`)
    ])
  }
  if (byFile.size === 0 && changes.changed) {
    add(MANIFEST_FILE, 'Drift: manifest.json changed', [
      'The manifest differs from the committed one, though no resource in it did.'
    ])
  }
  return Array.from(byFile, ([path, entry]) => ({
    file: joinPath(snapshotPath, path),
    title: truncateText(
      entry.titles.length === 1 ? entry.titles[0] : `Drift: ${entry.titles.length} changes in this file`,
      TITLE_MAX
    ),
    message: truncateText(entry.lines.join('\n'), MESSAGE_MAX)
  }))
}
