import fc from 'fast-check'
import { assignFileNames, foldName, MAX_BASE_BYTES, safeBaseName } from './names.js'

const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])$/i

/** Everything a file name must be, whatever the input. */
function expectSafeSegment(fileName: string, extension = '.yaml'): void {
  expect(fileName.endsWith(extension)).toBe(true)
  const base = fileName.slice(0, fileName.length - extension.length)
  expect(base.length).toBeGreaterThan(0)
  expect(fileName).not.toMatch(/[/\\<>:"|?*]/)
  expect(fileName).not.toMatch(/\p{Cc}|\p{Cf}|\p{Zl}|\p{Zp}/u)
  expect(fileName).not.toMatch(/^[.\s-]/)
  expect(fileName).not.toMatch(/[.\s]$/)
  expect(fileName).not.toContain('..')
  expect(fileName).not.toContain(' ')
  expect(fileName).toBe(fileName.normalize('NFC'))
  expect(RESERVED.test(fileName.split('.')[0])).toBe(false)
  // Suffixed names add at most "__" + a token; the base itself is bounded.
  expect(Buffer.byteLength(base.split('__')[0], 'utf8')).toBeLessThanOrEqual(MAX_BASE_BYTES)
  expect(Buffer.byteLength(fileName, 'utf8')).toBeLessThanOrEqual(MAX_BASE_BYTES + 2 + 96 + extension.length)
}

describe('safeBaseName', () => {
  test.each([
    ['Main IVR', 'Main_IVR'],
    [
      'Brian - Get callbacks waiting - Exported 2021-04-15 @ 19:00',
      'Brian_-_Get_callbacks_waiting_-_Exported_2021-04-15_@_19_00'
    ],
    ['../../etc/passwd', 'etc_passwd'],
    ['a\\b/c', 'a_b_c'],
    ['.hidden', 'hidden'],
    ['trailing. ', 'trailing'],
    ['-rf', 'rf'],
    ['a  b', 'a_b'],
    ['a__b', 'a_b'],
    ['v1..2', 'v1.2'],
    ['<>:"|?*x', 'x'],
    ['Zürich Hotline', 'Zürich_Hotline'],
    ['サポート窓口', 'サポート窓口'],
    ['Служба поддержки', 'Служба_поддержки'],
    ['دعم العملاء', 'دعم_العملاء'],
    ['a\u202Eexe.txt', 'aexe.txt'],
    ['zero\u200Bwidth', 'zerowidth'],
    ['tab\there\nnewline', 'tab_here_newline'],
    ['🚀 Launch', 'Launch'],
    ['🎉🎉', '']
  ])('%j → %j', (input, expected) => {
    expect(safeBaseName(input)).toBe(expected)
  })

  test('composes NFD to NFC so both spellings give the same name', () => {
    const nfd = 'Cafe\u0301'
    expect(safeBaseName(nfd)).toBe('Café')
    expect(safeBaseName(nfd)).toBe(safeBaseName('Caf\u00e9'))
  })

  test.each(['CON', 'con', 'Nul', 'aux', 'PRN', 'COM1', 'lpt9', 'COM¹', 'LPT³', 'nul.txt', 'CON.tar.gz'])(
    'steps around the reserved device name %j',
    name => {
      const base = safeBaseName(name)
      expect(RESERVED.test(base.split('.')[0])).toBe(false)
      expect(foldName(base).startsWith(foldName(name.split('.')[0]))).toBe(true)
    }
  )

  test('cuts long names to the byte limit on a character boundary', () => {
    const long = 'é'.repeat(300)
    const base = safeBaseName(long)
    expect(Buffer.byteLength(base, 'utf8')).toBeLessThanOrEqual(MAX_BASE_BYTES)
    expect(Buffer.byteLength(base, 'utf8')).toBeGreaterThan(MAX_BASE_BYTES - 4)
    expect(base).toBe('é'.repeat(base.length))
    // Four-byte characters and combining sequences are never split.
    const emojiFlag = 'ab' + 'x\u0301'.repeat(200)
    const cut = safeBaseName(emojiFlag)
    expect(cut.endsWith('\u0301') || cut.endsWith('x\u0301'.normalize('NFC'))).toBe(true)
  })
})

describe('assignFileNames', () => {
  const uuid = (n: number) => `${n.toString(16).padStart(8, '0')}-0000-4000-8000-${'0'.repeat(12)}`

  test('plain names stay plain', () => {
    const names = assignFileNames([
      { id: uuid(1), name: 'Main IVR' },
      { id: uuid(2), name: 'After hours' }
    ])
    expect(names.get(uuid(1))).toBe('Main_IVR.yaml')
    expect(names.get(uuid(2))).toBe('After_hours.yaml')
  })

  test('a case-only collision suffixes every member of the group with the start of its id', () => {
    const a = '3f1c2a9b-1111-4000-8000-000000000000'
    const b = '7d0e5c11-2222-4000-8000-000000000000'
    const names = assignFileNames([
      { id: a, name: 'Main IVR' },
      { id: b, name: 'main ivr' },
      { id: uuid(3), name: 'Other' }
    ])
    expect(names.get(a)).toBe('Main_IVR__3f1c2a9b.yaml')
    expect(names.get(b)).toBe('main_ivr__7d0e5c11.yaml')
    expect(names.get(uuid(3))).toBe('Other.yaml')
  })

  test('names that only sanitising makes equal collide too', () => {
    const names = assignFileNames([
      { id: uuid(1), name: 'Sales/Support' },
      { id: uuid(2), name: 'Sales:Support' },
      { id: uuid(3), name: 'Sales Support' }
    ])
    expect(new Set(names.values()).size).toBe(3)
    for (const n of names.values()) expect(n).toMatch(/^Sales_Support__[0-9a-f]{8}\.yaml$/)
  })

  test('the token grows until the ids of the group are told apart', () => {
    const a = 'abcdef01-2345-4000-8000-000000000001'
    const b = 'abcdef01-2345-4000-8000-000000000002'
    const names = assignFileNames([
      { id: a, name: 'Same' },
      { id: b, name: 'same' }
    ])
    const tokens = [...names.values()].map(n => n.replace(/^.*__/, '').replace('.yaml', ''))
    expect(tokens[0]).not.toBe(tokens[1])
    expect(tokens[0].length).toBeGreaterThan(8)
  })

  test('data action ids use their UUID for the token', () => {
    const id = 'custom_-_5b3d3c8e-7a7c-4a3e-9a51-0a1b2c3d4e5f'
    const names = assignFileNames([
      { id, name: 'Get Sentiment' },
      { id: 'custom_-_9f00aa11-7a7c-4a3e-9a51-0a1b2c3d4e5f', name: 'get sentiment' }
    ])
    expect(names.get(id)).toBe('Get_Sentiment__5b3d3c8e.yaml')
  })

  test('a cut name always carries a suffix, so a second long name never renames the first', () => {
    const long = 'Very long flow name '.repeat(20)
    const alone = assignFileNames([{ id: uuid(1), name: long }])
    const withOther = assignFileNames([
      { id: uuid(1), name: long },
      { id: uuid(2), name: long + ' (copy)' }
    ])
    expect(alone.get(uuid(1))).toMatch(/__00000001\.yaml$/)
    expect(withOther.get(uuid(1))).toBe(alone.get(uuid(1)))
    expect(withOther.get(uuid(2))).not.toBe(withOther.get(uuid(1)))
  })

  test('an unusable name falls back to the id', () => {
    const names = assignFileNames([{ id: uuid(7), name: '🎉' }])
    expect(names.get(uuid(7))).toBe(`${uuid(7)}.yaml`)
  })

  test('a suffixed name cannot take another resource\u2019s plain name', () => {
    const a = '3f1c2a9b-1111-4000-8000-000000000000'
    const names = assignFileNames([
      { id: a, name: 'X' },
      { id: uuid(2), name: 'x' },
      { id: uuid(3), name: 'X__3f1c2a9b' }
    ])
    expect(new Set([...names.values()].map(foldName)).size).toBe(3)
  })

  test('capital sharp s folds as ß and ss do: such names collide and take suffixes', () => {
    expect(foldName('GROẞKUNDEN')).toBe(foldName('Großkunden'))
    expect(foldName('Großkunden')).toBe(foldName('GROSSKUNDEN'))
    const names = assignFileNames([
      { id: uuid(1), name: 'GROẞKUNDEN' },
      { id: uuid(2), name: 'Großkunden' }
    ])
    expect(new Set([...names.values()].map(foldName)).size).toBe(2)
    // Colliding names all take their suffix, whatever the order.
    expect([...names.values()].every(n => n.includes('__'))).toBe(true)
  })

  test('refuses duplicate ids and odd extensions', () => {
    expect(() =>
      assignFileNames([
        { id: 'a', name: 'x' },
        { id: 'a', name: 'y' }
      ])
    ).toThrow(/twice/)
    expect(() => assignFileNames([{ id: 'a', name: 'x' }], '/../x')).toThrow(/extension/)
  })

  // Names made of the characters that cause trouble, so collisions and edge cases are common.
  const nastyChar = fc.constantFrom(
    'a',
    'A',
    'b',
    'B',
    'é',
    'e\u0301',
    'É',
    'ß',
    'SS',
    'Σ',
    'ς',
    'σ',
    'İ',
    'ı',
    'I',
    'i',
    '1',
    '¹',
    '²',
    ' ',
    '.',
    '..',
    '/',
    '\\',
    ':',
    '*',
    '?',
    '"',
    '<',
    '>',
    '|',
    '\u0000',
    '\u001f',
    '\u007f',
    '\n',
    '\t',
    '\u202e',
    '\u202d',
    '\u2066',
    '\u200b',
    '\u200d',
    '\ufeff',
    '\u2028',
    '🚀',
    '👩‍💻',
    '🇫🇷',
    '_',
    '__',
    '-',
    'con',
    'CON',
    'nul',
    'Nul.txt',
    'com1',
    'LPT¹',
    'aux',
    '$',
    '`',
    "'",
    '&',
    ';',
    '~',
    '#',
    '%',
    '\ud800',
    'サ',
    'д',
    'ع'
  )
  const nastyName = fc.oneof(
    fc.array(nastyChar, { maxLength: 12 }).map(a => a.join('')),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc
      .integer({ min: 90, max: 1000 })
      .chain(n => fc.constantFrom('x', 'é', '🚀', 'サ', 'a ').map(c => c.repeat(n)))
  )
  // Variants of one name that must collide: case changes, NFD, separators that sanitise alike.
  const variant = (name: string, how: number): string =>
    [
      name,
      name.toUpperCase(),
      name.toLowerCase(),
      name.normalize('NFD'),
      name.replace(/ /g, '/'),
      ` ${name}.`,
      name + '\u200b'
    ][how % 7]
  const folder = fc
    .tuple(
      fc.array(nastyName, { minLength: 1, maxLength: 8 }),
      fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 20 }),
      fc.uniqueArray(
        fc.oneof(
          fc.uuid(),
          fc.uuid().map(u => `custom_-_${u}`),
          fc.string({ minLength: 1, maxLength: 12 })
        ),
        { minLength: 30, maxLength: 30 }
      )
    )
    .map(([names, picks, ids]) => {
      const all = [...names, ...picks.map(([i, how]) => variant(names[i % names.length], how))]
      return all.map((name, i) => ({ id: ids[i], name }))
    })

  test('property: every name is one safe segment, unique case-insensitively, and independent of order', () => {
    fc.assert(
      fc.property(folder, fc.infiniteStream(fc.nat()), (entries, randoms) => {
        const names = assignFileNames(entries)
        expect(names.size).toBe(entries.length)
        for (const n of names.values()) expectSafeSegment(n)
        const folded = [...names.values()].map(n => foldName(n))
        expect(new Set(folded).size).toBe(folded.length)
        // Same set in another order → same map.
        const shuffled = entries
          .map(e => ({ e, k: randoms.next().value as number }))
          .sort((a, b) => a.k - b.k)
          .map(x => x.e)
        expect([...assignFileNames(shuffled)]).toEqual([...names])
      }),
      { numRuns: 300 }
    )
  })

  describe('with the names the committed snapshot gave', () => {
    const a = '3f1c2a9b-1111-4000-8000-000000000000'
    const b = '7d0e5c11-2222-4000-8000-000000000000'
    const c = '5e6f7a8b-3333-4000-8000-000000000000'

    test('a same-named newcomer does not rename the existing file: it takes the suffix', () => {
      const first = assignFileNames([{ id: a, name: 'Main IVR' }])
      expect(first.get(a)).toBe('Main_IVR.yaml')
      const second = assignFileNames(
        [
          { id: a, name: 'Main IVR' },
          { id: b, name: 'main ivr' },
          { id: c, name: 'Main IVR' }
        ],
        '.yaml',
        first
      )
      expect(second.get(a)).toBe('Main_IVR.yaml')
      expect(second.get(b)).toBe('main_ivr__7d0e5c11.yaml')
      expect(second.get(c)).toBe('Main_IVR__5e6f7a8b.yaml')
      // And the run after that changes nothing.
      const third = assignFileNames(
        [
          { id: c, name: 'Main IVR' },
          { id: a, name: 'Main IVR' },
          { id: b, name: 'main ivr' }
        ],
        '.yaml',
        second
      )
      expect([...third]).toEqual([...second])
    })

    test('when one of two same-named resources goes, the survivor keeps its suffixed name', () => {
      const both = assignFileNames(
        [
          { id: a, name: 'Dup' },
          { id: b, name: 'dup' }
        ],
        '.yaml'
      )
      expect(both.get(a)).toBe('Dup__3f1c2a9b.yaml')
      expect(both.get(b)).toBe('dup__7d0e5c11.yaml')
      const survivor = assignFileNames([{ id: b, name: 'dup' }], '.yaml', both)
      expect([...survivor]).toEqual([[b, 'dup__7d0e5c11.yaml']])
      // A longer token from a bigger group is kept too: it is still the start of the id.
      const long = new Map([[b, 'dup__7d0e5c112222.yaml']])
      expect(assignFileNames([{ id: b, name: 'dup' }], '.yaml', long).get(b)).toBe('dup__7d0e5c112222.yaml')
    })

    test('a renamed resource gets the name of its new name', () => {
      const before = new Map([
        [a, 'Main_IVR.yaml'],
        [b, 'Dup__7d0e5c11.yaml']
      ])
      const names = assignFileNames(
        [
          { id: a, name: 'Main IVR v2' },
          { id: b, name: 'DUP' }, // a case change is a rename too
          { id: c, name: 'Main IVR' } // the freed name is anybody's
        ],
        '.yaml',
        before
      )
      expect(names.get(a)).toBe('Main_IVR_v2.yaml')
      expect(names.get(b)).toBe('DUP.yaml')
      expect(names.get(c)).toBe('Main_IVR.yaml')
    })

    test('a previous name is kept only if it fits: own token, right extension, not cut, held once', () => {
      const entries = [
        { id: a, name: 'X' },
        { id: b, name: 'x' }
      ]
      // Another resource's token, a short token, another extension: none of them fits.
      for (const stale of ['X__7d0e5c11.yaml', 'X__3f1c.yaml', 'X.yml', 'X__3f1c2a9b.yml']) {
        expect(assignFileNames(entries, '.yaml', new Map([[a, stale]])).get(a)).toBe('X__3f1c2a9b.yaml')
      }
      // A manifest edited so that two resources held one name (case-insensitively): neither keeps it.
      const twice = assignFileNames(
        entries,
        '.yaml',
        new Map([
          [a, 'X.yaml'],
          [b, 'x.yaml']
        ])
      )
      expect([...twice.values()].sort()).toEqual(['X__3f1c2a9b.yaml', 'x__7d0e5c11.yaml'])
      // A cut name never keeps a plain name.
      const long = 'Very long flow name '.repeat(20)
      const plain = safeBaseName(long) + '.yaml'
      expect(assignFileNames([{ id: a, name: long }], '.yaml', new Map([[a, plain]])).get(a)).toMatch(
        /__3f1c2a9b\.yaml$/
      )
    })

    test('a newcomer token never gives a name a kept resource holds', () => {
      const kept = 'abcdef01-1111-4000-8000-000000000000'
      const twin = 'abcdef01-2222-4000-8000-000000000000'
      const names = assignFileNames(
        [
          { id: kept, name: 'Same' },
          { id: twin, name: 'same' },
          { id: c, name: 'SAME' }
        ],
        '.yaml',
        new Map([[kept, 'Same__abcdef01.yaml']])
      )
      expect(names.get(kept)).toBe('Same__abcdef01.yaml')
      // One token length for the whole group, as ever.
      expect(names.get(twin)).toBe('same__abcdef012.yaml')
      expect(names.get(c)).toBe('SAME__5e6f7a8b3.yaml')
    })

    // A later state of a folder: some resources gone, some renamed, some added.
    const change = fc.tuple(
      folder,
      fc.array(fc.constantFrom('keep', 'drop', 'rename'), { minLength: 30, maxLength: 30 }),
      fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 30, maxLength: 30 }),
      fc.integer({ min: 0, max: 30 })
    )

    test('property: files stay put from run to run, names stay safe and unique, and the result is deterministic', () => {
      fc.assert(
        fc.property(change, fc.infiniteStream(fc.nat()), ([entries, fates, picks, split], randoms) => {
          // The first `split` resources were in the committed snapshot; the rest are newcomers now.
          const committed = entries.slice(0, split)
          const previous = assignFileNames(committed)
          const now: { id: string; name: string }[] = []
          entries.forEach((e, i) => {
            if (i >= split) now.push(e)
            else if (fates[i] === 'rename') {
              const [j, how] = picks[i]
              now.push({ id: e.id, name: variant(entries[j % entries.length].name, how) })
            } else if (fates[i] === 'keep') now.push(e)
          })
          const names = assignFileNames(now, '.yaml', previous)
          expect(names.size).toBe(now.length)
          for (const n of names.values()) expectSafeSegment(n)
          const folded = [...names.values()].map(n => foldName(n))
          expect(new Set(folded).size).toBe(folded.length)
          for (const e of now) {
            const name = names.get(e.id)!
            const before = committed.find(x => x.id === e.id)
            // Unchanged name: the same file. Any other: a name from its current name (or id).
            if (before?.name === e.name) expect(name).toBe(previous.get(e.id))
            const base = safeBaseName(e.name)
            if (base !== '') expect(name === base + '.yaml' || name.startsWith(base + '__')).toBe(true)
          }
          // Same set, same committed names, in any order → same map.
          const shuffle = <T>(xs: T[]): T[] =>
            xs
              .map(x => ({ x, k: randoms.next().value as number }))
              .sort((p, q) => p.k - q.k)
              .map(p => p.x)
          expect([...assignFileNames(shuffle(now), '.yaml', new Map(shuffle([...previous])))]).toEqual([
            ...names
          ])
          // The run after that keeps every file.
          expect([...assignFileNames(now, '.yaml', names)]).toEqual([...names])
        }),
        { numRuns: 300 }
      )
    })
  })

  test('property: NFC and NFD spellings of a name get the same file name', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.string({ unit: 'grapheme', maxLength: 30 }), (id, name) => {
        const nfc = assignFileNames([{ id, name: name.normalize('NFC') }])
        const nfd = assignFileNames([{ id, name: name.normalize('NFD') }])
        expect(nfd).toEqual(nfc)
      }),
      { numRuns: 200 }
    )
  })
})
