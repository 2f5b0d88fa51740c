import { unzipSync } from 'fflate'
import { parseDocument } from 'yaml'
import { FLOW_TYPES } from '../inputs.js'

/** What an export job's download holds, and which flow each file is. */

export interface ArchiveEntry {
  name: string
  data: Buffer
}

export class CorruptArchiveError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'CorruptArchiveError'
  }
}

function looksLikeZip(body: Buffer): boolean {
  return (
    body.length >= 4 &&
    body[0] === 0x50 &&
    body[1] === 0x4b &&
    (body[2] === 3 || body[2] === 5) &&
    body[3] === body[2] + 1
  )
}

/** A zip entry whose bytes are inflated each time `data` is read, and not kept. */
function lazyEntry(zip: Uint8Array, name: string): ArchiveEntry {
  return Object.defineProperties({} as ArchiveEntry, {
    name: { value: name, enumerable: true },
    data: {
      enumerable: true,
      get(): Buffer {
        let files: Record<string, Uint8Array>
        try {
          files = unzipSync(zip, { filter: file => file.name === name })
        } catch (err) {
          throw new CorruptArchiveError(
            `the zip cannot be read (${err instanceof Error ? err.message : String(err)})`,
            { cause: err }
          )
        }
        const bytes = files[name]
        if (!bytes) throw new CorruptArchiveError(`the zip lost ${name}`)
        // A view, not a copy.
        return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      }
    }
  })
}

/**
 * The files of a download: a zip's entries (folders and macOS metadata left out), or the body
 * itself as one file when it is not a zip (an export of one flow is plain YAML). A zip's entries are
 * inflated one at a time, when their `data` is read, so a job of a hundred large flows never holds
 * them all at once.
 */
export function readExportDownload(body: Buffer, contentType: string, fileName?: string): ArchiveEntry[] {
  const saysZip = /zip/i.test(contentType) || /\.zip$/i.test(fileName ?? '')
  if (!looksLikeZip(body)) {
    if (saysZip) throw new CorruptArchiveError('the download is announced as a zip but is not one')
    if (body.length === 0) throw new CorruptArchiveError('the download is empty')
    return [{ name: fileName ?? '', data: body }]
  }
  const zip = new Uint8Array(body.buffer, body.byteOffset, body.length)
  const names: string[] = []
  try {
    // Reads the directory only: the filter sees every entry and inflates none.
    unzipSync(zip, {
      filter: file => {
        names.push(file.name)
        return false
      }
    })
  } catch (err) {
    throw new CorruptArchiveError(
      `the zip cannot be read (${err instanceof Error ? err.message : String(err)})`,
      {
        cause: err
      }
    )
  }
  return names
    .filter(name => !name.endsWith('/') && !name.startsWith('__MACOSX/') && !/(^|\/)\.DS_Store$/.test(name))
    .map(name => lazyEntry(zip, name))
}

/** A file name without folders and without the extensions an export adds (".yaml", ".i3InboundFlow", ...). */
export function entryStem(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? name
  return base.replace(/(\.(ya?ml|i3[a-z]*|json|txt))+$/i, '')
}

/** Flow type (lower case) of an Archy YAML top-level key: inboundCall → inboundcall, botFlow → bot. */
export function flowTypeOfYamlKey(key: string): string | undefined {
  const lower = key.toLowerCase()
  const known = FLOW_TYPES as readonly string[]
  if (known.includes(lower)) return lower
  if (lower.endsWith('flow') && known.includes(lower.slice(0, -4))) return lower.slice(0, -4)
  return undefined
}

/** Top-level flow type and name of an Archy YAML file, when it reads as one. */
export function describeFlowYaml(data: Buffer): { type: string; name: string } | undefined {
  try {
    const doc = parseDocument(data.toString('utf8'), { uniqueKeys: false })
    const root = doc.toJS({ maxAliasCount: 1000 }) as unknown
    if (!root || typeof root !== 'object' || Array.isArray(root)) return undefined
    for (const [key, value] of Object.entries(root as Record<string, unknown>)) {
      const type = flowTypeOfYamlKey(key)
      const name = value && typeof value === 'object' ? (value as { name?: unknown }).name : undefined
      if (type && (typeof name === 'string' || typeof name === 'number')) return { type, name: String(name) }
    }
  } catch {
    // not YAML we understand
  }
  return undefined
}

export interface FlowIdentity {
  id: string
  name: string
  type: string
}

/**
 * Pairs files with flows: first by file name (we name each file after its flow id; an added
 * extension or folder does not matter), then, for files left over, by the YAML's own flow type and
 * name when exactly one remaining flow fits. A single file for a single flow is that flow.
 */
export function matchEntriesToFlows<F extends FlowIdentity>(
  entries: ArchiveEntry[],
  flows: F[]
): { matched: Map<string, { flow: F; readonly data: Buffer }>; unmatchedEntries: string[] } {
  const matched = new Map<string, { flow: F; readonly data: Buffer }>()
  // The entry's bytes are read when the match's `data` is, not before.
  const match = (flow: F, entry: ArchiveEntry) => ({
    flow,
    get data(): Buffer {
      return entry.data
    }
  })
  const byId = new Map(flows.map(f => [f.id.toLowerCase(), f]))
  const leftover: ArchiveEntry[] = []
  for (const entry of entries) {
    const flow = byId.get(entryStem(entry.name).toLowerCase())
    if (flow && !matched.has(flow.id)) matched.set(flow.id, match(flow, entry))
    else leftover.push(entry)
  }
  const unmatchedEntries: string[] = []
  for (const entry of leftover) {
    const remaining = flows.filter(f => !matched.has(f.id))
    if (remaining.length === 0) {
      unmatchedEntries.push(entry.name)
      continue
    }
    if (remaining.length === 1 && entries.length === 1 && flows.length === 1) {
      matched.set(remaining[0].id, match(remaining[0], entry))
      continue
    }
    const described = describeFlowYaml(entry.data)
    const sameType = described ? remaining.filter(f => f.type.toLowerCase() === described.type) : []
    // Exact name first: an org may hold "Billing IVR" and "billing ivr", or NFC and NFD forms of a name.
    let fits = sameType.filter(f => f.name === described?.name)
    if (fits.length === 0) {
      const loose = (name: string): string => name.normalize('NFC').trim().toLowerCase()
      fits = sameType.filter(f => loose(f.name) === loose(described?.name ?? ''))
    }
    if (fits.length === 1) matched.set(fits[0].id, match(fits[0], entry))
    else unmatchedEntries.push(entry.name)
  }
  return { matched, unmatchedEntries }
}
