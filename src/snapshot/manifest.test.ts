import fc from 'fast-check'
import {
  buildManifest,
  danglingReferences,
  jsonErrorOffset,
  parseManifest,
  pathProblem,
  serializeManifest,
  sha256Hex
} from './manifest.js'
import type { ManifestResource, ResourceRef, UnresolvedReference } from './model.js'

const H = (s: string) => sha256Hex(s)

const flow: ManifestResource = {
  kind: 'flow',
  id: 'f-1',
  name: 'Main IVR',
  type: 'inboundcall',
  version: '3.0',
  path: 'flows/inboundcall/Main_IVR.yaml',
  sha256: H('flow'),
  dependsOn: ['skill:s-1', 'queue:q-1', 'queue:q-1', 'queue:q-gone']
}
const queue: ManifestResource = {
  kind: 'queue',
  id: 'q-1',
  name: 'Support',
  path: 'queues/Support.yaml',
  sha256: H('queue'),
  dependsOn: ['skill:s-1']
}
const skill: ManifestResource = {
  kind: 'skill',
  id: 's-1',
  name: 'French',
  path: 'skills/French.yaml',
  sha256: H('skill'),
  dependsOn: []
}
const gone: UnresolvedReference = {
  from: 'flow:f-1',
  kind: 'queue',
  id: 'q-gone',
  name: 'Old',
  reason: 'deleted'
}

describe('sha256Hex', () => {
  test('hashes strings as UTF-8 and buffers as bytes', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    expect(sha256Hex(Buffer.from('é', 'utf8'))).toBe(sha256Hex('é'))
  })
})

describe('buildManifest + serializeManifest', () => {
  test('sorts resources by kind then id, dependsOn sorted and unique, fixed key order, final newline', () => {
    const m = buildManifest([skill, queue, flow], [gone])
    expect(m.resources.map(r => `${r.kind}:${r.id}`)).toEqual(['flow:f-1', 'queue:q-1', 'skill:s-1'])
    expect(m.resources[0].dependsOn).toEqual(['queue:q-1', 'queue:q-gone', 'skill:s-1'])
    const text = serializeManifest({ ...m, dependencies: ['skills', 'queues'] })
    expect(text.endsWith('}\n')).toBe(true)
    const parsed = JSON.parse(text)
    expect(Object.keys(parsed)).toEqual(['schemaVersion', 'resources', 'unresolved', 'dependencies'])
    expect(parsed.dependencies).toEqual(['queues', 'skills'])
    expect(Object.keys(parsed.resources[0])).toEqual([
      'kind',
      'id',
      'name',
      'type',
      'version',
      'path',
      'sha256',
      'dependsOn'
    ])
    expect(Object.keys(parsed.resources[1])).toEqual(['kind', 'id', 'name', 'path', 'sha256', 'dependsOn'])
    expect(Object.keys(parsed.unresolved[0])).toEqual(['from', 'kind', 'id', 'name', 'reason'])
    expect(text).toContain('\n  "resources": [\n    {\n      "kind": "flow",')
  })

  test('same content in any order gives the same bytes', () => {
    const a = serializeManifest(buildManifest([flow, queue, skill], [gone, gone]))
    const b = serializeManifest(buildManifest([skill, flow, queue], [gone]))
    expect(b).toBe(a)
  })

  test('property: the text is 2-space JSON of itself, also for names with quotes, newlines and non-Latin-1', () => {
    const text = fc.string({ unit: 'binary', maxLength: 12 })
    const resource = fc.record({
      kind: fc.constant('queue' as const),
      id: fc.uuid(),
      name: text,
      path: text.map(t => `queues/${t}.yaml`),
      sha256: text.map(H),
      dependsOn: fc.array(
        fc.uuid().map(id => `skill:${id}` as ResourceRef),
        { maxLength: 3 }
      )
    })
    const unresolvedRef = fc.record({
      from: fc.uuid().map(id => `flow:${id}` as ResourceRef),
      kind: fc.constant('skill' as const),
      id: fc.uuid(),
      name: fc.option(text, { nil: undefined }),
      reason: fc.constantFrom('deleted', '404')
    })
    fc.assert(
      fc.property(
        fc.array(resource, { maxLength: 4 }),
        fc.array(unresolvedRef, { maxLength: 3 }),
        fc.option(fc.array(fc.constantFrom('queues', 'skills', 'data-actions')), { nil: undefined }),
        (resources, unresolved, dependencies) => {
          const m = { ...buildManifest(resources, unresolved), ...(dependencies ? { dependencies } : {}) }
          const out = serializeManifest(m)
          expect(out).toBe(JSON.stringify(JSON.parse(out), null, 2) + '\n')
          expect((JSON.parse(out) as { resources: unknown[] }).resources).toHaveLength(m.resources.length)
        }
      ),
      { numRuns: 300 }
    )
  })

  test('merges a resource listed twice for the same file, refuses two files for one resource', () => {
    const m = buildManifest([queue, { ...queue, dependsOn: ['skill:s-2'] }], [])
    expect(m.resources).toHaveLength(1)
    expect(m.resources[0].dependsOn).toEqual(['skill:s-1', 'skill:s-2'])
    expect(() => buildManifest([queue, { ...queue, path: 'queues/Other.yaml' }], [])).toThrow(
      /different files/
    )
  })

  test('drops unresolved entries for resources that are in the snapshot', () => {
    const m = buildManifest(
      [flow, queue, skill],
      [gone, { from: 'flow:f-1', kind: 'queue', id: 'q-1', reason: '404' }]
    )
    expect(m.unresolved).toEqual([gone])
  })

  test('danglingReferences lists edges that resolve to nothing', () => {
    const m = buildManifest([flow, queue, skill], [])
    expect(danglingReferences(m)).toEqual([{ from: 'flow:f-1', to: 'queue:q-gone' }])
    expect(danglingReferences(buildManifest([flow, queue, skill], [gone]))).toEqual([])
  })
})

describe('parseManifest', () => {
  const valid = serializeManifest(buildManifest([flow, queue, skill], [gone]))

  test('a manifest this module wrote parses back to the same thing, without problems', () => {
    const { manifest, problems } = parseManifest(valid)
    expect(problems).toEqual([])
    expect(manifest).toEqual(buildManifest([flow, queue, skill], [gone]))
    expect(serializeManifest(manifest!)).toBe(valid)
  })

  test('a flow whose dependencies were not read says why, after dependsOn, and parses back', () => {
    const unread = { ...flow, dependenciesNotRead: 'dependency tracking answered 400' }
    const text = serializeManifest(buildManifest([unread, queue, skill], [gone]))
    expect(text).toMatch(
      /"dependsOn": \[[^\]]*\],\n\s*"dependenciesNotRead": "dependency tracking answered 400"\n/
    )
    const { manifest, problems } = parseManifest(text)
    expect(problems).toEqual([])
    expect(manifest!.resources[0].dependenciesNotRead).toBe('dependency tracking answered 400')
    expect(serializeManifest(manifest!)).toBe(text)
  })

  test('reports invalid JSON with its line', () => {
    const broken = valid.replace('"name": "Support",', '"name": "Support"')
    const { manifest, problems } = parseManifest(broken)
    expect(manifest).toBeUndefined()
    expect(problems).toHaveLength(1)
    expect(problems[0].message).toMatch(/not valid JSON/)
    const expectedLine = broken.split('\n').findIndex(l => l.includes('"path": "queues/Support.yaml"')) + 1
    expect(problems[0].line).toBe(expectedLine)
  })

  function edit(
    mutate: (doc: Record<string, unknown> & { resources: Record<string, unknown>[] }) => void
  ): string {
    const doc = JSON.parse(valid)
    mutate(doc)
    return JSON.stringify(doc, null, 2) + '\n'
  }

  test.each<
    [string, (d: Record<string, unknown> & { resources: Record<string, unknown>[] }) => void, RegExp, boolean]
  >([
    ['schemaVersion 2', d => (d.schemaVersion = 2), /schemaVersion is 2/, false],
    ['resources not an array', d => (d.resources = {} as never), /"resources" must be an array/, false],
    ['unknown kind', d => (d.resources[1].kind = 'prompt'), /"kind" must be one of/, false],
    ['missing id', d => delete d.resources[1].id, /"id" must be a non-empty string/, false],
    ['sha256 not hex', d => (d.resources[1].sha256 = 'ABC'), /"sha256" must be 64 lower-case hex/, false],
    [
      'dependsOn not an array',
      d => (d.resources[1].dependsOn = 'skill:s-1'),
      /"dependsOn" must be an array/,
      false
    ],
    ['absolute path', d => (d.resources[1].path = '/etc/passwd'), /is absolute/, false],
    [
      'path escaping the folder',
      d => (d.resources[1].path = 'queues/../../secret.yaml'),
      /leaves the snapshot folder/,
      false
    ],
    ['backslash path', d => (d.resources[1].path = 'queues\\Support.yaml'), /backslash/, false],
    ['drive letter', d => (d.resources[1].path = 'C:/x.yaml'), /absolute/, false],
    ['path in the wrong folder', d => (d.resources[1].path = 'skills/Support.yaml'), /queues\/<file>/, false],
    [
      'flow path without type folder',
      d => (d.resources[0].path = 'flows/Main_IVR.yaml'),
      /flows\/<flow type>\/<file>/,
      false
    ],
    [
      'flow in the folder of another type',
      d => (d.resources[0].path = 'flows/inqueuecall/Main_IVR.yaml'),
      /folder of its type/,
      true
    ],
    [
      'dependsOn unsorted',
      d => (d.resources[0].dependsOn = ['skill:s-1', 'queue:q-1']),
      /sorted and unique/,
      true
    ],
    [
      'dependsOn duplicated',
      d => (d.resources[1].dependsOn = ['skill:s-1', 'skill:s-1']),
      /sorted and unique/,
      true
    ],
    [
      'dependsOn dangling',
      d => (d.resources[1].dependsOn = ['skill:s-404']),
      /names neither a resource nor an unresolved/,
      true
    ],
    ['dependsOn malformed', d => (d.resources[1].dependsOn = ['nonsense']), /is not "kind:id"/, true],
    ['resources out of order', d => d.resources.reverse(), /out of order/, true],
    ['resource listed twice', d => d.resources.push({ ...d.resources[2] }), /listed more than once/, true],
    [
      'paths equal case-insensitively',
      d => d.resources.push({ ...d.resources[2], id: 's-2', path: 'skills/FRENCH.yaml' }),
      /also used by/,
      true
    ],
    [
      'unresolved from a stranger',
      d => ((d.unresolved as Record<string, unknown>[])[0].from = 'flow:nobody'),
      /is not a resource of the snapshot/,
      true
    ],
    [
      'dependenciesNotRead on a queue',
      d => (d.resources[1].dependenciesNotRead = 'dependency tracking answered 400'),
      /"dependenciesNotRead" must be a string, on a flow only/,
      false
    ],
    [
      'dependenciesNotRead that is not a string',
      d => (d.resources[0].dependenciesNotRead = true),
      /"dependenciesNotRead" must be a string/,
      false
    ],
    [
      'dependencies unsorted',
      d => (d.dependencies = ['skills', 'queues']),
      /"dependencies" must be sorted/,
      true
    ]
  ])('reports %s', (_label, mutate, message, usable) => {
    const text = edit(mutate)
    const { manifest, problems } = parseManifest(text)
    expect(problems.map(p => p.message).join('\n')).toMatch(message)
    expect(manifest !== undefined).toBe(usable)
    for (const p of problems) if (p.line !== undefined) expect(p.line).toBeGreaterThan(0)
  })

  test('problems carry the line of the entry they are about', () => {
    const text = edit(d => (d.resources[1].sha256 = 'nope'))
    const { problems } = parseManifest(text)
    const line = text.split('\n').findIndex(l => l.includes('"sha256": "nope"')) + 1
    expect(problems).toEqual([expect.objectContaining({ line })])
  })

  test('property: serialize → parse is the identity on built manifests', () => {
    const id = fc.stringMatching(/^[a-z0-9-]{1,8}$/)
    fc.assert(
      fc.property(
        fc.uniqueArray(id, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (ids, edges) => {
          const resources: ManifestResource[] = ids.map(i => ({
            kind: 'queue',
            id: i,
            name: `Q ${i}`,
            path: `queues/Q_${i}.yaml`,
            sha256: H(i),
            dependsOn: edges.map(e => `queue:${ids[e % ids.length]}` as ResourceRef)
          }))
          const text = serializeManifest(buildManifest([...resources].reverse(), []))
          const { manifest, problems } = parseManifest(text)
          expect(problems).toEqual([])
          expect(serializeManifest(manifest!)).toBe(text)
        }
      )
    )
  })
})

describe('pathProblem', () => {
  test.each([
    ['flows/inboundcall/Main_IVR.yaml', 'flow', undefined],
    ['queues/Support.yaml', 'queue', undefined],
    ['data-actions/Lookup.yaml', 'data-action', undefined],
    ['', undefined, /empty/],
    ['a//b', undefined, /empty/],
    ['./a', undefined, /"\."/],
    ['a/\u0000', undefined, /control/],
    ['manifest.json', undefined, /manifest/]
  ] as const)('%j', (p, kind, expected) => {
    const why = pathProblem(p, kind)
    if (expected === undefined) expect(why).toBeUndefined()
    else expect(why).toMatch(expected)
  })
})

describe('jsonErrorOffset', () => {
  function parses(t: string): boolean {
    try {
      JSON.parse(t)
      return true
    } catch {
      return false
    }
  }

  test('agrees with JSON.parse on valid and broken JSON', () => {
    const jsonish = fc.string({
      unit: fc.constantFrom(
        '{',
        '}',
        '[',
        ']',
        ',',
        ':',
        '"',
        '\\',
        'u',
        '0',
        '1',
        '-',
        '.',
        'e',
        't',
        'r',
        'n',
        ' ',
        '\n',
        'a'
      ),
      maxLength: 24
    })
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue().map(v => JSON.stringify(v, null, 2)),
          jsonish
        ),
        t => {
          expect(jsonErrorOffset(t) === undefined).toBe(parses(t))
        }
      ),
      { numRuns: 2000 }
    )
  })

  test('points at the place of the error', () => {
    const text = '{\n  "a": 1,\n  "b": [1, 2,],\n  "c": 3\n}'
    const offset = jsonErrorOffset(text)!
    expect(text.slice(0, offset).split('\n').length).toBe(3)
  })
})
