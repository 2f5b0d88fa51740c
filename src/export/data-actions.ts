import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { parse as parseYaml } from 'yaml'
import type { GenesysClient } from '../genesys/client.js'
import { getDataActionsByIds, listDataActionsByIds, type ByIdResult } from '../genesys/api.js'
import type { DataAction } from '../genesys/types.js'
import { canonicalYaml } from '../snapshot/canonical.js'
import { sha256Hex } from '../snapshot/manifest.js'
import type { ManifestResource } from '../snapshot/model.js'
import { redactDataAction } from '../snapshot/redact.js'
import { Batcher } from './batcher.js'

/** A data action's file: canonical YAML with credentials redacted, and how many were. */
export function renderDataAction(action: DataAction): { text: string; redactions: number } {
  const redacted = redactDataAction(action)
  return { text: canonicalYaml('data-action', redacted.value), redactions: redacted.redactions.length }
}

export interface DataActionReaderOptions {
  /** The committed snapshot's entry for a data action, when incremental reuse is allowed. */
  committed: (id: string) => ManifestResource | undefined
  /** Folder of the committed snapshot. */
  dir?: string
  found: (action: DataAction, file: { text: string; redactions: number }) => void
  missing: (missing: ByIdResult<DataAction>['missing']) => void
}

/**
 * Reads data actions with config and contract while other work goes on. Each costs a GET with
 * expand=contract, since listings never carry the contract, except one whose committed file the
 * listing reproduces: an action's `version` moves on every publish, so an unchanged version and a
 * listing entry (config included) that renders, with the committed contract, to the committed bytes
 * mean the committed file still holds. Those are listed 50 ids a request instead of one GET each;
 * whatever the listing cannot vouch for is read in full.
 */
export class DataActionReader {
  private readonly gets: Batcher
  private readonly lists: Batcher

  constructor(
    private readonly client: GenesysClient,
    private readonly options: DataActionReaderOptions
  ) {
    this.gets = new Batcher(1, async ids => {
      const result = await getDataActionsByIds(this.client, ids)
      for (const action of result.found) this.options.found(action, renderDataAction(action))
      this.options.missing(result.missing)
    })
    this.lists = new Batcher(50, async ids => {
      const listed = new Map((await listDataActionsByIds(this.client, ids)).map(a => [a.id, a]))
      for (const id of ids) {
        const entry = listed.get(id)
        const reused = entry ? await this.fromCommitted(entry) : undefined
        if (reused) this.options.found(reused.action, reused.file)
        else this.gets.add(id)
      }
    })
  }

  /** Queues a data action (once). */
  add(id: string): void {
    if (this.lists.has(id) || this.gets.has(id)) return
    if (this.options.dir !== undefined && this.options.committed(id)) this.lists.add(id)
    else this.gets.add(id)
  }

  /** Whether `id` was queued. */
  has(id: string): boolean {
    return this.lists.has(id) || this.gets.has(id)
  }

  get error(): { error: unknown } | undefined {
    return this.lists.error ?? this.gets.error
  }

  /** Reads no more than what has started (see Batcher.cancel). */
  cancel(): void {
    this.lists.cancel()
    this.gets.cancel()
  }

  /** Reads everything queued; throws the first error. */
  async settle(): Promise<void> {
    // Listings hand what they cannot vouch for to the GETs, so they settle first.
    try {
      await this.lists.settle()
    } finally {
      await this.gets.settle()
    }
  }

  private async fromCommitted(
    entry: DataAction
  ): Promise<{ action: DataAction; file: { text: string; redactions: number } } | undefined> {
    const resource = this.options.committed(entry.id)
    if (!resource || this.options.dir === undefined || entry.version === undefined) return undefined
    let text: string
    try {
      text = await readFile(path.join(this.options.dir, resource.path), 'utf8')
    } catch {
      return undefined
    }
    if (sha256Hex(Buffer.from(text, 'utf8')) !== resource.sha256) return undefined
    let committed: { contract?: unknown; version?: unknown } | null
    try {
      committed = parseYaml(text) as { contract?: unknown; version?: unknown } | null
    } catch {
      return undefined
    }
    if (!committed || typeof committed !== 'object' || committed.contract === undefined) return undefined
    if (committed.version !== entry.version) return undefined
    const action: DataAction = { ...entry, contract: committed.contract as DataAction['contract'] }
    const file = renderDataAction(action)
    return file.text === text ? { action, file } : undefined
  }
}
