import fc from 'fast-check'
import { parse, stringify } from 'yaml'
import { canonicalValue, canonicalYaml, mayBeTypedIn11 } from './canonical.js'

import { dataActionTemplates } from '../../test/sim/generator.js'
const queue = {
  id: 'q-1',
  name: 'Support',
  selfUri: '/api/v2/routing/queues/q-1',
  dateCreated: '2024-01-01T00:00:00Z',
  dateModified: '2025-06-01T00:00:00Z',
  createdBy: 'u-1',
  modifiedBy: 'u-2',
  memberCount: 12,
  userMemberCount: 10,
  joinedMemberCount: 7,
  division: { id: 'd-1', name: 'Home', selfUri: '/api/v2/authorization/divisions/d-1' },
  routingRules: [
    { operator: 'MEETS_THRESHOLD', threshold: 9, waitSeconds: 10 },
    { operator: 'ANY', threshold: 1, waitSeconds: 5 }
  ],
  bullseye: {
    rings: [
      {
        expansionCriteria: [{ type: 'TIMEOUT_SECONDS', threshold: 15 }],
        actions: {
          skillsToRemove: [
            { id: 's-b', name: 'Spanish', selfUri: '/x' },
            { id: 's-a', name: 'French', selfUri: '/y' }
          ]
        },
        memberGroups: [
          { id: 'g-2', type: 'GROUP', memberCount: 4 },
          { id: 'g-1', type: 'TEAM', memberCount: 2 }
        ]
      },
      { expansionCriteria: [{ type: 'TIMEOUT_SECONDS', threshold: 30 }] }
    ]
  },
  memberGroups: [
    { id: 'g-9', name: 'Night', type: 'GROUP', memberCount: 3, selfUri: '/z' },
    { id: 'g-3', name: 'Day', type: 'GROUP', memberCount: 8 }
  ],
  conditionalGroupRouting: {
    rules: [
      {
        queue: { id: 'q-9' },
        metric: 'EstimatedWaitTime',
        operator: 'GreaterThan',
        conditionValue: 0,
        waitSeconds: 2
      },
      { metric: 'EstimatedWaitTime', operator: 'GreaterThan', conditionValue: 5, waitSeconds: 20 }
    ]
  },
  cannedResponseLibraries: { mode: 'SelectedOnly', libraryIds: ['lib-z', 'lib-a'] },
  defaultScripts: { CALL: { id: 'sc-1', name: 'Call script', selfUri: '/s' } },
  mediaSettings: { call: { alertingTimeoutSeconds: 8, serviceLevel: { percentage: 0.8, durationMs: 20000 } } }
}

describe('canonicalYaml', () => {
  test('keeps a key named __proto__ (a JSON Schema property) as data, and it reads back', () => {
    const action = JSON.parse(
      '{"name":"x","contract":{"input":{"inputSchema":{"properties":{"__proto__":{"type":"string"},"a":{"type":"number"}}}}}}'
    )
    const text = canonicalYaml('data-action', action)
    expect(text).toContain('__proto__:')
    const back = parse(text) as { contract: { input: { inputSchema: { properties: object } } } }
    expect(Object.keys(back.contract.input.inputSchema.properties)).toEqual(['__proto__', 'a'])
  })

  test('drops run-varying queue fields at every level and keeps configuration', () => {
    const value = canonicalValue('queue', queue) as Record<string, unknown>
    const text = canonicalYaml('queue', queue)
    for (const gone of ['selfUri', 'dateCreated', 'dateModified', 'createdBy', 'modifiedBy', 'memberCount']) {
      expect(text).not.toContain(gone)
    }
    expect(text).not.toContain('userMemberCount')
    expect(text).not.toContain('joinedMemberCount')
    expect(value.name).toBe('Support')
    expect(
      (value.mediaSettings as { call: { alertingTimeoutSeconds: number } }).call.alertingTimeoutSeconds
    ).toBe(8)
  })

  test('sorts keys and set-like arrays, keeps ordered arrays as the API gave them', () => {
    const v = canonicalValue('queue', queue) as typeof queue
    expect(Object.keys(v)).toEqual([...Object.keys(v)].sort())
    expect(v.memberGroups.map(g => g.id)).toEqual(['g-3', 'g-9'])
    expect(v.bullseye.rings[0].actions?.skillsToRemove.map(s => s.id)).toEqual(['s-a', 's-b'])
    expect(v.bullseye.rings[0].memberGroups?.map(g => g.id)).toEqual(['g-1', 'g-2'])
    expect(v.cannedResponseLibraries.libraryIds).toEqual(['lib-a', 'lib-z'])
    // Order that routes calls differently stays.
    expect(v.routingRules.map(r => r.threshold)).toEqual([9, 1])
    expect(v.bullseye.rings.map(r => r.expansionCriteria[0].threshold)).toEqual([15, 30])
    expect(v.conditionalGroupRouting.rules.map(r => r.conditionValue)).toEqual([0, 5])
  })

  test('the same queue read twice with other volatile values, key order and set order gives the same bytes', () => {
    const again = {
      ...queue,
      memberCount: 99,
      dateModified: '2026-01-01T00:00:00Z',
      memberGroups: [...queue.memberGroups].reverse().map(g => ({ ...g, memberCount: 1 })),
      cannedResponseLibraries: { libraryIds: ['lib-a', 'lib-z'], mode: 'SelectedOnly' }
    }
    const reordered = Object.fromEntries(Object.entries(again).reverse())
    expect(canonicalYaml('queue', reordered)).toBe(canonicalYaml('queue', queue))
  })

  test('a changed ring order is a change', () => {
    const swapped = { ...queue, bullseye: { rings: [...queue.bullseye.rings].reverse() } }
    expect(canonicalYaml('queue', swapped)).not.toBe(canonicalYaml('queue', queue))
  })

  test('skills lose their version; data actions keep theirs and their contract untouched', () => {
    const skill = { id: 's', name: 'French', state: 'active', version: '7', dateModified: 'x', selfUri: '/s' }
    expect(parse(canonicalYaml('skill', skill))).toEqual({ id: 's', name: 'French', state: 'active' })

    const action = {
      id: 'custom_-_1',
      name: 'Lookup',
      version: 4,
      selfUri: '/a',
      contract: {
        input: {
          inputSchema: {
            type: 'object',
            required: ['zeta', 'alpha'],
            properties: { dateModified: { type: 'string' }, selfUri: { type: 'string' } }
          }
        }
      },
      config: {
        request: { headers: { selfUri: 'kept' } },
        response: { translationMap: { b: '$.b', a: '$.a' } }
      }
    }
    const back = parse(canonicalYaml('data-action', action))
    expect(back.version).toBe(4)
    expect(back.selfUri).toBeUndefined()
    expect(back.contract.input.inputSchema.required).toEqual(['zeta', 'alpha'])
    expect(Object.keys(back.contract.input.inputSchema.properties)).toEqual(['dateModified', 'selfUri'])
    expect(back.config.request.headers.selfUri).toBe('kept')
    expect(Object.keys(back.config.response.translationMap)).toEqual(['a', 'b'])
  })

  test.each([
    'yes',
    'No',
    'on',
    'OFF',
    'y',
    'N',
    '~',
    'null',
    'true',
    '0123',
    '0o17',
    '0x1F',
    '1_000',
    '1:20',
    '12e3',
    '.inf',
    '2001-12-14',
    '& anchor',
    '*alias',
    '<<',
    '- item',
    'a: b',
    '# comment',
    'x #y',
    '  leading',
    'trailing ',
    '',
    ' ',
    '\t',
    "it's",
    '"quoted"',
    '@at',
    '`tick',
    '%dir',
    '!tag',
    '|',
    '>',
    '?',
    '{a}',
    '[1]',
    ',',
    'naïve ✓ 🚀',
    'line1\nline2\n',
    'line1\n  indented',
    '\n',
    'a\r\nb',
    'x\u0085y',
    'a\u2028b',
    '\ufeffbom',
    'a\u202eb',
    'nul\u0000byte',
    '${input.x}',
    'x'.repeat(300) + ' ' + 'y '.repeat(80),
    // Lines of spaces before the first line with text (found by the property below).
    ' \n',
    '\n \nx',
    ' \t\n'
  ])('round-trips %j exactly, as a value and as a key', s => {
    const text = canonicalYaml('data-action', { config: { s, [s]: 1 } })
    expect(parse(text)).toEqual({ config: { s, [s]: 1 } })
    // YAML 1.1 readers see the same strings (yes/on/1:20 quoted).
    expect(parse(text, { schema: 'yaml-1.1', merge: true })).toEqual({ config: { s, [s]: 1 } })
  })

  test('property: strings that look like YAML 1.1 numbers, bools or dates stay strings for 1.1 readers', () => {
    const unit = fc.constantFrom(...'0123456789.:-+_eExobBYNyntrufalsOo~ '.split(''))
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 12 }), s => {
        const text = canonicalYaml('skill', { name: s })
        expect(parse(text, { schema: 'yaml-1.1' })).toEqual({ name: s })
        expect(parse(text)).toEqual({ name: s })
      }),
      { numRuns: 1000 }
    )
  })

  // The fast path may only skip strings the full check would leave plain, or the bytes written
  // would differ from those of earlier versions. The full check, stated directly:
  const plainIn12QuotedIn11 = (s: string): boolean =>
    !/^["'|>]/.test(stringify(s, { lineWidth: 0 })) &&
    /^["']/.test(stringify(s, { lineWidth: 0, schema: 'yaml-1.1' }))

  test.each([
    'y',
    'N',
    'yes',
    'Off',
    'ON',
    'TRUE',
    'null',
    '~',
    '',
    '0x1F',
    '0b101',
    '017',
    '1_000',
    '1:30',
    '190:20:30.15',
    '1.5e+3',
    '.inf',
    '-.Inf',
    '.NaN',
    '2024-01-31',
    '2001-12-14t21:59:43.10-05:00',
    '2001-12-14 21:59:43.10 -5',
    '+12',
    '-0',
    '.5'
  ])('%j: a YAML 1.1 form the fast path hands to the full check', s => {
    expect(mayBeTypedIn11(s)).toBe(true)
  })

  test.each([
    'Support',
    '3fa85f64-5717-4562-b3fc-2c963f66afa6',
    'https://example.com/x',
    'queue 1',
    'Yesterday'
  ])('%j: settled by the fast path', s => {
    expect(mayBeTypedIn11(s)).toBe(false)
  })

  test('the fast path passes every short word and every casing of the YAML 1.1 bool and null words', () => {
    const letters = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ~']
    const casings = (word: string): string[] =>
      [...word].reduce<string[]>(
        (acc, c) => acc.flatMap(p => [p + c.toLowerCase(), p + c.toUpperCase()]),
        ['']
      )
    const candidates = [
      '',
      ...letters,
      ...letters.flatMap(a => letters.map(b => a + b)),
      ...['yes', 'no', 'on', 'off', 'true', 'false', 'null'].flatMap(casings)
    ]
    const skipped = candidates.filter(s => plainIn12QuotedIn11(s) && !mayBeTypedIn11(s))
    expect(skipped).toEqual([])
    // And the check has something to find: the 1.1-only words are among the candidates.
    expect(candidates.filter(plainIn12QuotedIn11)).toEqual(expect.arrayContaining(['y', 'No', 'ON', 'off']))
  })

  test('property: the fast path never skips a string the full check would quote', () => {
    // Built from pieces of the YAML 1.1 forms, so numbers, dates and words come up often.
    const piece = fc.constantFrom(
      ...['0', '1', '7', '9', '12', '59', '2024', '_', '.', ':', '-', '+', 'e', 'E', 'x', 'b', 'o', 'f'],
      ...['inf', 'Inf', 'nan', 'NaN', 'y', 'Yes', 'on', 'OFF', 'true', 'null', '~', 'T', 't', 'Z', ' ', 'a']
    )
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), pieces => {
        const s = pieces.join('')
        if (plainIn12QuotedIn11(s)) expect(mayBeTypedIn11(s)).toBe(true)
      }),
      { numRuns: 5000 }
    )
  })

  test('long strings stay on one line: a one-character edit is a one-line diff', () => {
    const long = 'word '.repeat(100).trim()
    const text = canonicalYaml('skill', { name: long })
    expect(text.split('\n').filter(l => l !== '')).toHaveLength(1)
  })

  const json = fc.letrec(tie => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.string({ unit: 'binary' }),
      fc.string({
        unit: fc.constantFrom(
          'a',
          ' ',
          '\n',
          ':',
          '#',
          '-',
          '&',
          '*',
          '!',
          '|',
          '>',
          "'",
          '"',
          '%',
          '@',
          '\t',
          'y',
          '0',
          '.'
        )
      }),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter(d => !Object.is(d, -0)),
      fc.boolean(),
      fc.constant(null),
      tie('array'),
      tie('object')
    ),
    array: fc.array(tie('value'), { maxLength: 4 }),
    object: fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), tie('value'), { maxKeys: 5 })
  }))

  test('property: parse(canonicalYaml(x)) equals the canonical value, and the text is deterministic', () => {
    fc.assert(
      fc.property(json.object, obj => {
        const value = { config: obj }
        const text = canonicalYaml('data-action', value)
        expect(parse(text)).toEqual(canonicalValue('data-action', value))
        expect(canonicalYaml('data-action', JSON.parse(JSON.stringify(value)))).toBe(text)
      }),
      { numRuns: 300 }
    )
  })

  test('property: key order and the order of set-like arrays do not change the bytes', () => {
    const group = fc.record({ id: fc.uuid(), name: fc.string(), type: fc.constantFrom('GROUP', 'TEAM') })
    fc.assert(
      fc.property(
        fc.uniqueArray(group, { selector: g => g.id, maxLength: 6 }),
        fc.string(),
        (groups, name) => {
          const a = { name, memberGroups: groups, bullseye: { rings: [{ memberGroups: groups }] } }
          const b = {
            bullseye: { rings: [{ memberGroups: [...groups].reverse() }] },
            memberGroups: [...groups].reverse(),
            name
          }
          expect(canonicalYaml('queue', b)).toBe(canonicalYaml('queue', a))
        }
      )
    )
  })

  test('real data action exports round-trip', () => {
    const actions = dataActionTemplates()
    expect(actions.length).toBeGreaterThan(0)
    for (const action of actions) {
      expect(parse(canonicalYaml('data-action', action))).toEqual(canonicalValue('data-action', action))
    }
  })
})
