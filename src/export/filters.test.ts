import { describeFilters, flowMatcher, globToRegExp, reviewFilters } from './filters.js'

describe('globToRegExp', () => {
  test('* and ? match runs and single characters, whole name, case-insensitively', () => {
    expect(globToRegExp('Main*').test('main IVR')).toBe(true)
    expect(globToRegExp('Main*').test('The Main IVR')).toBe(false)
    expect(globToRegExp('IVR-?').test('ivr-1')).toBe(true)
    expect(globToRegExp('IVR-?').test('IVR-12')).toBe(false)
  })

  test('regular-expression characters in a glob are literal', () => {
    expect(globToRegExp('a.b (test) [1]').test('a.b (test) [1]')).toBe(true)
    expect(globToRegExp('a.b').test('axb')).toBe(false)
    expect(globToRegExp('$x^|y').test('$x^|y')).toBe(true)
  })
})

describe('flowMatcher', () => {
  const flows = [
    { name: 'Main IVR', type: 'inboundcall' },
    { name: 'Main IVR', type: 'inqueuecall' },
    { name: 'Test flow', type: 'inboundcall' },
    { name: 'Shared module', type: 'commonmodule' }
  ]
  const pick = (filter: Parameters<typeof flowMatcher>[0]) =>
    flows.filter(flowMatcher(filter)).map(f => `${f.type}/${f.name}`)

  test('empty filters pick everything', () => {
    expect(pick({ flowTypes: [], include: [], exclude: [] })).toHaveLength(4)
  })

  test('types, include and exclude combine', () => {
    expect(pick({ flowTypes: ['inboundcall'], include: [], exclude: [] })).toEqual([
      'inboundcall/Main IVR',
      'inboundcall/Test flow'
    ])
    expect(pick({ flowTypes: [], include: ['Main*', 'Shared*'], exclude: [] })).toEqual([
      'inboundcall/Main IVR',
      'inqueuecall/Main IVR',
      'commonmodule/Shared module'
    ])
    expect(pick({ flowTypes: ['inboundcall'], include: [], exclude: ['test*'] })).toEqual([
      'inboundcall/Main IVR'
    ])
  })
})

describe('reviewFilters', () => {
  const flows = [
    { name: 'Main IVR', type: 'inboundcall' },
    { name: 'Support', type: 'inqueuecall' },
    { name: 'Shared module', type: 'commonmodule' }
  ]

  test('counts the flows of the picked types and the picked ones, and names include globs that match none', () => {
    expect(reviewFilters({ flowTypes: [], include: ['Main*', 'Mian*'], exclude: [] }, flows)).toEqual({
      ofTypes: 3,
      picked: 1,
      unmatchedIncludes: ['Mian*']
    })
  })

  test('an include glob matching only flows of other types matches none', () => {
    expect(reviewFilters({ flowTypes: ['inqueuecall'], include: ['Main*'], exclude: [] }, flows)).toEqual({
      ofTypes: 1,
      picked: 0,
      unmatchedIncludes: ['Main*']
    })
  })

  test('an exclude that takes everything leaves nothing picked', () => {
    expect(reviewFilters({ flowTypes: [], include: [], exclude: ['*'] }, flows)).toEqual({
      ofTypes: 3,
      picked: 0,
      unmatchedIncludes: []
    })
  })
})

describe('describeFilters', () => {
  test('names the filter inputs that are set', () => {
    expect(describeFilters({ flowTypes: ['bot', 'inboundcall'], include: [], exclude: ['Test*'] })).toBe(
      "flow-types: 'bot, inboundcall'; exclude: 'Test*'"
    )
  })
})
