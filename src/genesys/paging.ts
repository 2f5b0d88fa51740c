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
 * Reads every page. A page shorter than promised is re-read (bounded) and never taken as the end;
 * items that moved between pages while we read are removed by id. A read is trusted when every page
 * reported the same `total` and that many distinct items came back; otherwise the whole listing is
 * read again (bounded). When no read is clean, the union of all reads is returned if it reaches the
 * last `total`, else IncompleteListingError. Items keep the order of their first appearance.
 */
export async function readAllPages<T extends { id?: string }>(
  fetchPage: (pageNumber: number, pageSize: number) => Promise<EntityListing<T>>,
  options: PagingOptions
): Promise<T[]> {
  const pageSize = options.pageSize
  const maxPasses = options.maxPasses ?? 3
  const maxPageRereads = options.maxPageRereads ?? 2
  const union = new Map<string, T>()

  const readPage = async (
    pageNumber: number,
    total: number,
    size: number,
    first?: EntityListing<T>
  ): Promise<EntityListing<T>> => {
    let page = first ?? (await fetchPage(pageNumber, size))
    for (let reread = 0; reread < maxPageRereads; reread++) {
      // The page's own total wins: it may have shrunk because something was deleted meanwhile.
      const promised = expectedPageLength(page.total ?? total, size, pageNumber)
      if ((page.entities?.length ?? 0) >= promised) break
      options.onReread?.(`page ${pageNumber} held ${page.entities?.length ?? 0} of ${promised} items`)
      page = await fetchPage(pageNumber, size)
    }
    return page
  }

  let lastTotal = 0
  let lastPass: T[] = []
  for (let pass = 1; pass <= maxPasses; pass++) {
    const first = await fetchPage(1, pageSize)
    if (typeof first.total !== 'number') {
      // No total to check against: follow pages until one is short and no next page is announced.
      return readWithoutTotal(first, fetchPage, options)
    }
    const total = first.total
    const size = servedPageSize(first, pageSize)
    const pageCount = Math.max(Math.ceil(total / size), 1)
    const pages = [await readPage(1, total, size, first)]
    pages.push(
      ...(await Promise.all(Array.from({ length: pageCount - 1 }, (_, i) => readPage(i + 2, total, size))))
    )

    const items = dedupe(pages.flatMap(p => p.entities ?? []))
    for (const item of items)
      if (typeof item.id === 'string' && item.id !== '' && !union.has(item.id)) union.set(item.id, item)
    const totals = new Set(pages.map(p => p.total ?? total))
    lastTotal = Math.min(...totals)
    lastPass = items
    if (totals.size === 1 && items.length >= total) return items
    if (pass < maxPasses) {
      options.onReread?.(
        totals.size > 1
          ? `the total changed from ${total} to ${[...totals].filter(t => t !== total).join(', ')} during read ${pass}`
          : `${items.length} of ${total} distinct items after read ${pass}`
      )
    }
  }
  // No clean read: what every read saw together is complete if it reaches the total.
  const withoutId = lastPass.filter(item => typeof item.id !== 'string' || item.id === '')
  if (union.size + withoutId.length >= lastTotal) return [...union.values(), ...withoutId]
  throw new IncompleteListingError(union.size + withoutId.length, lastTotal, maxPasses)
}

/**
 * The page size the server used: an endpoint may serve fewer a page than asked (its own maximum) and
 * say so in `pageSize`. Pages are then counted, and asked for, at that size, so none is skipped.
 */
function servedPageSize(first: EntityListing<unknown>, asked: number): number {
  const served = first.pageSize
  return typeof served === 'number' && Number.isInteger(served) && served >= 1 && served < asked
    ? served
    : asked
}

/** Keeps the first of each id (items without an id are all kept). */
function dedupe<T extends { id?: string }>(entities: T[]): T[] {
  const seen = new Set<string>()
  return entities.filter(entity => {
    if (typeof entity?.id !== 'string' || entity.id === '') return true
    if (seen.has(entity.id)) return false
    seen.add(entity.id)
    return true
  })
}

async function readWithoutTotal<T extends { id?: string }>(
  first: EntityListing<T>,
  fetchPage: (pageNumber: number, pageSize: number) => Promise<EntityListing<T>>,
  options: PagingOptions
): Promise<T[]> {
  const all: T[] = []
  const maxPages = options.maxPagesWithoutTotal ?? 10_000
  const size = servedPageSize(first, options.pageSize)
  let page = first
  for (let pageNumber = 1; ;) {
    all.push(...(page.entities ?? []))
    const length = page.entities?.length ?? 0
    const more =
      typeof page.pageCount === 'number' ? pageNumber < page.pageCount : length >= size || !!page.nextUri
    if (!more || length === 0 || pageNumber >= maxPages) break
    pageNumber++
    page = await fetchPage(pageNumber, size)
  }
  return dedupe(all)
}
