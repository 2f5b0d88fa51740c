import fc from 'fast-check'
import { expectedPageLength, IncompleteListingError, readAllPages } from './paging.js'
import type { EntityListing } from './types.js'

interface Item {
  id: string
}

const items = (n: number, prefix = 'i'): Item[] =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}` }))

/** A listing served from a list that `mutate` may change before each page is read. */
function listing(
  data: Item[],
  mutate: (call: number, data: Item[], pageNumber: number) => void = () => {},
  shape: (page: EntityListing<Item>, call: number) => EntityListing<Item> = p => p
) {
  let calls = 0
  const fetchPage = async (pageNumber: number, pageSize: number): Promise<EntityListing<Item>> => {
    const call = ++calls
    mutate(call, data, pageNumber)
    const entities = data.slice((pageNumber - 1) * pageSize, pageNumber * pageSize)
    return shape(
      { entities, pageNumber, pageSize, total: data.length, pageCount: Math.ceil(data.length / pageSize) },
      call
    )
  }
  return { fetchPage, calls: () => calls }
}

const ids = (list: Item[]): string[] => list.map(i => i.id).sort()

describe('expectedPageLength', () => {
  it('is full pages then the remainder', () => {
    expect([1, 2, 3, 4].map(n => expectedPageLength(12, 5, n))).toEqual([5, 5, 2, 0])
    expect(expectedPageLength(0, 5, 1)).toBe(0)
  })
})

describe('readAllPages', () => {
  it('reads every page of a stable listing once', async () => {
    const l = listing(items(12))
    const got = await readAllPages(l.fetchPage, { pageSize: 5 })
    expect(got.map(i => i.id)).toEqual(items(12).map(i => i.id))
    expect(l.calls()).toBe(3)
  })

  it('reads an empty listing with one request', async () => {
    const l = listing([])
    expect(await readAllPages(l.fetchPage, { pageSize: 5 })).toEqual([])
    expect(l.calls()).toBe(1)
  })

  it('re-reads a page that came back shorter than promised instead of taking it as the end', async () => {
    // The first read of page 2 is cut short; the total still promises 12.
    const l = listing(items(12), undefined, (page, call) =>
      call === 2 ? { ...page, entities: page.entities?.slice(0, 2) } : page
    )
    const got = await readAllPages(l.fetchPage, { pageSize: 5 })
    expect(ids(got)).toEqual(ids(items(12)))
    expect(l.calls()).toBe(4)
  })

  it('removes duplicates when an insertion shifts items onto the next page', async () => {
    // Before page 2 is read, a new item lands at the front: one item repeats, the total grows.
    const l = listing(items(10), (call, data) => {
      if (call === 2) data.unshift({ id: 'new' })
    })
    const got = await readAllPages(l.fetchPage, { pageSize: 5 })
    expect(ids(got)).toEqual(ids([...items(10), { id: 'new' }]))
    expect(new Set(got.map(i => i.id)).size).toBe(got.length)
  })

  it('does not lose the item a deletion moves onto an already-read page', async () => {
    // Page 1 read; then i0 is deleted, so i5 moves onto page 1 and page 2 starts at i6.
    const l = listing(items(10), (call, data) => {
      if (call === 2) data.shift()
    })
    const got = await readAllPages(l.fetchPage, { pageSize: 5 })
    expect(ids(got)).toEqual(ids(items(10).slice(1)))
  })

  it('fails clearly when the listing never delivers its total', async () => {
    const l = listing(items(10), undefined, page =>
      page.pageNumber === 2 ? { ...page, entities: page.entities?.slice(0, 3) } : page
    )
    const err = await readAllPages(l.fetchPage, { pageSize: 5, maxPasses: 2, maxPageRereads: 1 }).catch(
      e => e
    )
    expect(err).toBeInstanceOf(IncompleteListingError)
    expect((err as IncompleteListingError).got).toBe(8)
    expect((err as IncompleteListingError).total).toBe(10)
    // Bounded: 2 passes × (page 1 + page 2 + one re-read of page 2).
    expect(l.calls()).toBe(6)
  })

  it.each([
    ['with a total', true],
    ['without a total', false]
  ])('reads every page of an endpoint that serves fewer a page than asked, %s', async (_how, withTotal) => {
    // Asked for 500, served 100 a page and said so: pages are counted at 100, none skipped.
    const data = items(250)
    const asked: number[] = []
    const fetchPage = async (pageNumber: number, pageSize: number): Promise<EntityListing<Item>> => {
      asked.push(pageSize)
      const size = Math.min(pageSize, 100)
      return {
        entities: data.slice((pageNumber - 1) * size, pageNumber * size),
        pageNumber,
        pageSize: size,
        ...(withTotal ? { total: data.length, pageCount: Math.ceil(data.length / size) } : {})
      }
    }
    expect(ids(await readAllPages(fetchPage, { pageSize: 500 }))).toEqual(ids(data))
    expect(asked).toEqual([500, 100, 100])
  })

  it('follows pages by size when there is no total', async () => {
    const data = items(7)
    const fetchPage = async (pageNumber: number, pageSize: number): Promise<EntityListing<Item>> => ({
      entities: data.slice((pageNumber - 1) * pageSize, pageNumber * pageSize)
    })
    expect(ids(await readAllPages(fetchPage, { pageSize: 3 }))).toEqual(ids(data))
  })

  it('returns exactly the items for any size and any one-time shift while reading', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: -3, max: 3 }),
        async (n, pageSize, when, shift) => {
          const data = items(n)
          const finalIds = new Set(data.map(i => i.id))
          const l = listing(data, (call, d) => {
            if (call !== when) return
            if (shift > 0) {
              for (let k = 0; k < shift; k++) {
                d.unshift({ id: `x${k}` })
                finalIds.add(`x${k}`)
              }
            } else {
              for (const removed of d.splice(0, -shift)) finalIds.delete(removed.id)
            }
          })
          const got = await readAllPages(l.fetchPage, { pageSize })
          // Everything that exists at the end is there; nothing twice.
          return (
            [...finalIds].every(id => got.some(i => i.id === id)) &&
            new Set(got.map(i => i.id)).size === got.length
          )
        }
      ),
      { numRuns: 200 }
    )
  })
})
