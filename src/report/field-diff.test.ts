import { ROOT_PATH, deepEqual, diffFields } from './field-diff.js'

describe('diffFields', () => {
  it('reports changed leaves with dotted paths', () => {
    const before = { name: 'Sales', acwSettings: { timeoutMs: 30000, wrapupPrompt: 'MANDATORY' } }
    const after = { name: 'Sales', acwSettings: { timeoutMs: 60000, wrapupPrompt: 'MANDATORY' } }
    expect(diffFields(before, after)).toEqual({
      fields: [{ path: 'acwSettings.timeoutMs', before: 30000, after: 60000 }],
      omitted: 0
    })
  })

  it('reports added and removed keys with only the side that exists', () => {
    const { fields } = diffFields({ a: 1, gone: { x: 1 } }, { a: 1, fresh: null })
    expect(fields).toEqual([
      { path: 'fresh', after: null },
      { path: 'gone', before: { x: 1 } }
    ])
  })

  it('indexes arrays of objects without ids by position', () => {
    const ring = (s: number): object => ({ expansionTimeoutSeconds: s })
    const { fields } = diffFields(
      { bullseye: { rings: [ring(15), ring(15)] } },
      { bullseye: { rings: [ring(15), ring(30)] } }
    )
    expect(fields).toEqual([{ path: 'bullseye.rings[1].expansionTimeoutSeconds', before: 15, after: 30 }])
  })

  it('matches objects by id, so a reorder is not a change, and labels them by name', () => {
    const g1 = { id: 'g1', name: 'Sales', type: 'GROUP' }
    const g2 = { id: 'g2', name: 'Support', type: 'TEAM' }
    expect(diffFields({ memberGroups: [g1, g2] }, { memberGroups: [g2, g1] }).fields).toEqual([])
    const { fields } = diffFields(
      { memberGroups: [g1, g2] },
      { memberGroups: [{ ...g2, type: 'GROUP' }, g1] }
    )
    expect(fields).toEqual([{ path: 'memberGroups[name=Support].type', before: 'TEAM', after: 'GROUP' }])
  })

  it('labels by id when a matched element was renamed, and reports the added and removed elements whole', () => {
    const { fields } = diffFields(
      {
        skillsToRemove: [
          { id: 'a', name: 'French' },
          { id: 'b', name: 'German' }
        ]
      },
      {
        skillsToRemove: [
          { id: 'a', name: 'Français' },
          { id: 'c', name: 'Dutch' }
        ]
      }
    )
    expect(fields).toEqual([
      { path: 'skillsToRemove[id=a].name', before: 'French', after: 'Français' },
      { path: 'skillsToRemove[id=c]', after: { id: 'c', name: 'Dutch' } },
      { path: 'skillsToRemove[id=b]', before: { id: 'b', name: 'German' } }
    ])
  })

  it('matches by name when there are no ids', () => {
    const { fields } = diffFields(
      {
        headers: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' }
        ]
      },
      {
        headers: [
          { name: 'B', value: '3' },
          { name: 'A', value: '1' }
        ]
      }
    )
    expect(fields).toEqual([{ path: 'headers[name=B].value', before: '2', after: '3' }])
  })

  it('compares scalar arrays as multisets', () => {
    expect(diffFields({ langs: ['en', 'fr', 'fr'] }, { langs: ['fr', 'en', 'fr'] }).fields).toEqual([])
    expect(diffFields({ langs: ['en', 'fr'] }, { langs: ['fr', 'en', 'en'] }).fields).toEqual([
      { path: 'langs', before: ['en', 'fr'], after: ['fr', 'en', 'en'] }
    ])
    // 1 and '1' are different values
    expect(diffFields({ v: [1] }, { v: ['1'] }).fields).toHaveLength(1)
  })

  it('quotes keys that are not identifiers', () => {
    const { fields } = diffFields(
      { config: { request: { headers: { 'Content-Type': 'a', 'X Key.1': 'b' } } } },
      { config: { request: { headers: { 'Content-Type': 'c', 'X Key.1': 'd' } } } }
    )
    expect(fields.map(f => f.path)).toEqual([
      'config.request.headers.Content-Type',
      'config.request.headers["X Key.1"]'
    ])
  })

  it('reports a type change at the node, and a root that is not an object as (root)', () => {
    expect(diffFields({ a: { b: 1 } }, { a: [1] }).fields).toEqual([
      { path: 'a', before: { b: 1 }, after: [1] }
    ])
    expect(diffFields(null, { a: 1 }).fields).toEqual([{ path: ROOT_PATH, before: null, after: { a: 1 } }])
  })

  it('stops listing at max and counts the rest', () => {
    const before = Object.fromEntries(
      Array.from({ length: 30 }, (_, i) => [`k${String(i).padStart(2, '0')}`, i])
    )
    const after = Object.fromEntries(Object.entries(before).map(([k, v]) => [k, v + 1]))
    const diff = diffFields(before, after, 20)
    expect(diff.fields).toHaveLength(20)
    expect(diff.omitted).toBe(10)
    expect(diff.fields[0]).toEqual({ path: 'k00', before: 0, after: 1 })
  })
})

describe('deepEqual', () => {
  it('ignores key order and tells arrays from objects', () => {
    expect(deepEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true)
    expect(deepEqual({ 0: 'x' }, ['x'])).toBe(false)
    expect(deepEqual({ a: undefined }, {})).toBe(false)
    expect(deepEqual(NaN, NaN)).toBe(true)
  })
})
