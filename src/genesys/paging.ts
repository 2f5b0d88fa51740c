/** Reading every page of a Genesys `*EntityListing`, checked against its `total`. */
import type { EntityListing } from './types.js'

export type { EntityListing }

export interface PagingOptions {
  pageSize: number
  /** Full re-reads of the listing when fewer distinct items than `total` came back. */
  maxPasses?: number
  /** Re-reads of one page that came back shorter than its place in `total` promises. */
  maxPageRereads?: number
  /** Upper bound on pages read per pass when the listing gives no `total`. */
  maxPagesWithoutTotal?: number
  /** Told when the listing had to be re-read (for a debug line). */
  onReread?: (what: string) => void
}

/** The listing kept changing under us: fewer distinct items than promised even after re-reads. */
export class IncompleteListingError extends Error {
  constructor(
    readonly got: number,
    readonly total: number,
    readonly passes: number
  ) {
    super(
      `the listing promised ${total} items but only ${got} distinct ones came back after ${passes} full reads (the org may be changing during the run); rerun the action`
    )
    this.name = 'IncompleteListingError'
  }
}

/** Items a full page `pageNumber` should hold when the listing has `total` items. */
export function expectedPageLength(total: number, pageSize: number, pageNumber: number): number {
  return Math.max(0, Math.min(pageSize, total - (pageNumber - 1) * pageSize))
}

/**
 * Reads every page. A page shorter than promised is re-read (bounded), a short page is never taken
 * as the end, duplicates (items that moved between pages while we read) are removed by id, and when
 * the distinct items fall short of `total` the whole listing is read again (bounded) and merged.
 * Items keep the order of their first appearance.
 */
export async function readAllPages<T extends { id?: string }>(
  fetchPage: (pageNumber: number, pageSize: number) => Promise<EntityListing<T>>,
  options: PagingOptions
): Promise<T[]> {
  const pageSize = options.pageSize
  const maxPasses = options.maxPasses ?? 3
  const maxPageRereads = options.maxPageRereads ?? 2
  const byId = new Map<string, T>()
  let withoutId: T[] = []

  const merge = (entities: T[], sink: T[]): void => {
    for (const entity of entities) {
      if (typeof entity.id === 'string' && entity.id !== '') {
        if (!byId.has(entity.id)) byId.set(entity.id, entity)
      } else {
        sink.push(entity)
      }
    }
  }

  const readPage = async (pageNumber: number, total: number): Promise<EntityListing<T>> => {
    let page = await fetchPage(pageNumber, pageSize)
    for (let reread = 0; reread < maxPageRereads; reread++) {
      // The page's own total wins: it may have shrunk because something was deleted meanwhile.
      const promised = expectedPageLength(page.total ?? total, pageSize, pageNumber)
      if ((page.entities?.length ?? 0) >= promised) break
      options.onReread?.(`page ${pageNumber} held ${page.entities?.length ?? 0} of ${promised} items`)
      page = await fetchPage(pageNumber, pageSize)
    }
    return page
  }

  let lastTotal = 0
  for (let pass = 1; pass <= maxPasses; pass++) {
    const passWithoutId: T[] = []
    const first = await fetchPage(1, pageSize)
    if (typeof first.total !== 'number') {
      // No total to check against: follow pages until one is short and no next page is announced.
      return readWithoutTotal(first, fetchPage, options, merge, byId)
    }
    const total = first.total
    const firstPage = await (async () => {
      const promised = expectedPageLength(total, pageSize, 1)
      return (first.entities?.length ?? 0) >= promised ? first : readPage(1, total)
    })()
    merge(firstPage.entities ?? [], passWithoutId)
    const pageCount = Math.max(Math.ceil(total / pageSize), 1)
    const rest = await Promise.all(Array.from({ length: pageCount - 1 }, (_, i) => readPage(i + 2, total)))
    for (const page of rest) merge(page.entities ?? [], passWithoutId)
    withoutId = passWithoutId
    lastTotal = total
    if (byId.size + withoutId.length >= total) return [...byId.values(), ...withoutId]
    if (pass < maxPasses) {
      options.onReread?.(`${byId.size + withoutId.length} of ${total} distinct items after read ${pass}`)
    }
  }
  throw new IncompleteListingError(byId.size + withoutId.length, lastTotal, maxPasses)
}

async function readWithoutTotal<T extends { id?: string }>(
  first: EntityListing<T>,
  fetchPage: (pageNumber: number, pageSize: number) => Promise<EntityListing<T>>,
  options: PagingOptions,
  merge: (entities: T[], sink: T[]) => void,
  byId: Map<string, T>
): Promise<T[]> {
  const withoutId: T[] = []
  const maxPages = options.maxPagesWithoutTotal ?? 10_000
  let page = first
  for (let pageNumber = 1; ;) {
    merge(page.entities ?? [], withoutId)
    const length = page.entities?.length ?? 0
    const more =
      typeof page.pageCount === 'number'
        ? pageNumber < page.pageCount
        : length >= options.pageSize || !!page.nextUri
    if (!more || length === 0 || pageNumber >= maxPages) break
    pageNumber++
    page = await fetchPage(pageNumber, options.pageSize)
  }
  return [...byId.values(), ...withoutId]
}
