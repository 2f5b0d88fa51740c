import fc from 'fast-check'
import { createHash } from 'node:crypto'
import type { Manifest, ManifestResource } from '../snapshot/model.js'
import { computeChanges, type ChangeSet, type ResourceChange, type SnapshotView } from './changes.js'
import { driftAnnotations, renderJobSummary, renderPullRequestBody, type RunFacts } from './markdown.js'
import { hasLiveMention, outsideCodeSpans } from '../../test/support/markdown-scan.js'

const facts = (over: Partial<RunFacts> = {}): RunFacts => ({
  mode: 'snapshot',
  counts: { flow: 2, queue: 1, skill: 3, 'data-action': 1 },
  requests: 57,
  skipped: [],
  unresolved: [],
  redactions: [],
  failed: [],
  warnings: [],
  ...over
})

const change = (over: Partial<ResourceChange> & Pick<ResourceChange, 'kind' | 'name'>): ResourceChange => ({
  id: `${over.kind}-${over.name}`,
  change: 'modified',
  path: `${over.kind}s/${over.name}.yaml`,
  fields: [],
  dependsOnAdded: [],
  dependsOnRemoved: [],
  ...over
})

const changeSet = (resources: ResourceChange[], over: Partial<ChangeSet> = {}): ChangeSet => ({
  changed: true,
  files: { added: [], modified: resources.map(r => r.path).concat('manifest.json'), removed: [] },
  unlisted: [],
  resources,
  unresolved: { added: [], removed: [], changed: [] },
  names: {},
  ...over
})

const HOSTILE = [
  '@everyone',
  '@org/team please look',
  'x.@admin',
  'fixes #12',
  '<img src=x onerror=alert(1)>',
  '**bold** _it_ [link](https://evil.example) ![i](x)',
  'a | b | c',
  'back`tick``s',
  'rtl \u202Egnp.exe\u202C',
  'line\nbreak\r\n# heading',
  '<!-- comment',
  '</sub> <details>'
]

/** Every line outside code spans: no live mention, no raw HTML tag from a name, no issue reference. */
function expectInert(md: string): void {
  expect(hasLiveMention(md)).toBe(false)
  const outside = outsideCodeSpans(md)
  expect(outside).not.toMatch(/(?<!\\)<(img|details|!--|\/sub> )/)
  expect(outside).not.toMatch(/#\d/)
  expect(outside).not.toMatch(/https?:\/\//)
  expect(md).not.toMatch(/[\u202A-\u202E]/)
}

describe('renderPullRequestBody', () => {
  it('names the changes: fields with old and new values, flow versions, added and removed by name', async () => {
    const sha = (t: string): string => createHash('sha256').update(t).digest('hex')
    const snapshot = (entries: (Omit<ManifestResource, 'sha256'> & { text: string })[]): SnapshotView => {
      const manifest: Manifest = {
        schemaVersion: 1,
        resources: entries.map(({ text, ...r }) => ({ ...r, sha256: sha(text) })),
        unresolved: []
      }
      const files = new Map(entries.map(e => [e.path, e.text]))
      return { manifest, read: async p => (p === 'manifest.json' ? JSON.stringify(manifest) : files.get(p)) }
    }
    const flow = (version: string, text: string) => ({
      kind: 'flow' as const,
      id: 'f1',
      name: 'Main IVR',
      path: 'flows/inboundcall/Main_IVR.yaml',
      type: 'inboundcall',
      version,
      dependsOn: [],
      text
    })
    const queue = (timeout: number) => ({
      kind: 'queue' as const,
      id: 'q1',
      name: 'Sales',
      path: 'queues/Sales.yaml',
      dependsOn: [],
      text: `acwSettings:\n  timeoutMs: ${timeout}\nname: Sales\n`
    })
    const skill = (id: string, name: string) => ({
      kind: 'skill' as const,
      id,
      name,
      path: `skills/${name}.yaml`,
      dependsOn: [],
      text: `name: ${name}\n`
    })
    const changes = await computeChanges(
      snapshot([flow('3.0', 'a\nb\n'), queue(30000), skill('s1', 'German')]),
      snapshot([flow('4.0', 'a\nc\nd\n'), queue(60000), skill('s2', 'Dutch')])
    )
    const body = renderPullRequestBody(changes, facts())

    expect(body).toMatch(/\*\*4 resources changed\*\* \(1 added, 2 changed, 1 removed\)/)
    const flowLine = body.split('\n').find(l => l.includes('Main IVR'))!
    expect(flowLine).toContain('3.0 → 4.0')
    expect(flowLine).toContain('+2 −1 lines')
    const fieldLine = body.split('\n').find(l => l.includes('acwSettings.timeoutMs'))!
    expect(fieldLine).toMatch(/30000.*→.*60000/)
    expect(body).toMatch(/\*\*Added \(1\)\*\*\n\n- \*\*Dutch\*\*/)
    expect(body).toMatch(/\*\*Removed \(1\)\*\*\n\n- \*\*German\*\*/)
    expect(body).toContain('### Flows')
    expect(body).toContain('### Queues')
    expect(body).toContain('| Skills | 1 | 0 | 1 |')
    // Reviewers are told that hand edits on the branch do not survive the next run.
    expect(body).toMatch(/edit pushed to this branch inside the snapshot folder is replaced by the next run/)
  })

  it('says when nothing changed', () => {
    const body = renderPullRequestBody(
      changeSet([], { changed: false, files: { added: [], modified: [], removed: [] } }),
      facts()
    )
    expect(body).toContain('No changes')
  })

  it('is the same for the same input (no timestamps or run-varying values)', () => {
    const changes = changeSet([
      change({ kind: 'queue', name: 'Sales', fields: [{ path: 'a', before: 1, after: 2 }] })
    ])
    const a = renderPullRequestBody(changes, facts({ requests: 10, durationMs: 1234 }))
    const b = renderPullRequestBody(changes, facts({ requests: 99, durationMs: 98765 }))
    expect(a).toBe(b)
    expect(a).not.toMatch(/\d{4}-\d{2}-\d{2}|\d{2}:\d{2}/)
  })

  it('cannot mention, link, inject HTML or break out of code spans, whatever the names and values', () => {
    const resources: ResourceChange[] = HOSTILE.flatMap((name, i) => [
      change({ kind: 'flow', name, id: `f${i}`, change: 'added', flowType: 'inboundcall', version: '@v' }),
      change({
        kind: 'queue',
        name,
        id: `q${i}`,
        previousName: `${name} old`,
        previousPath: `queues/${name}.yaml`,
        path: 'queues/@x.yaml',
        fields: [
          { path: `memberGroups[name=${JSON.stringify(name)}].type`, before: name, after: `${name}!` },
          { path: 'langs', before: [name], after: ['@someone', '#3'] }
        ],
        dependsOnAdded: [`skill:s${i}`],
        note: name
      })
    ])
    const names = Object.fromEntries(HOSTILE.map((n, i) => [`skill:s${i}`, n]))
    const changes = changeSet(resources, {
      names,
      unresolved: {
        added: HOSTILE.map((n, i) => ({
          from: `flow:f${i}` as const,
          kind: 'queue' as const,
          id: n,
          name: n,
          reason: n
        })),
        removed: [],
        changed: HOSTILE.map((n, i) => ({
          before: { from: `flow:g${i}` as const, kind: 'skill' as const, id: n, name: n, reason: n },
          after: { from: `flow:g${i}` as const, kind: 'skill' as const, id: n, reason: `${n}!` }
        }))
      }
    })
    const problem = (n: string, i: number) => ({ kind: 'flow', id: `@id${i}`, name: n, reason: n })
    const run = facts({
      failed: HOSTILE.map(problem),
      skipped: HOSTILE.map(problem),
      warnings: HOSTILE,
      redactions: HOSTILE.map(n => ({ file: n, count: 1 })),
      unresolved: changes.unresolved.added,
      requestsByEndpoint: Object.fromEntries(HOSTILE.map(n => [n, 1]))
    })
    expectInert(renderPullRequestBody(changes, run))
    expectInert(
      renderJobSummary(changes, run, {
        // no number: the summary's own "#3" reference to the PR is meant to link
        pullRequest: { operation: '@everyone', url: 'javascript:alert(1)' },
        validationProblems: HOSTILE.map(n => ({ file: n, line: 1, message: n }))
      })
    )
    expectInert(
      renderJobSummary(
        undefined,
        { ...run, mode: 'validate' },
        { validationProblems: HOSTILE.map(n => ({ file: n, message: n })) }
      )
    )
  })

  it('keeps table cells whole: the endpoint table escapes pipes', () => {
    const summary = renderJobSummary(changeSet([]), facts({ requestsByEndpoint: { 'GET /a|b': 3 } }))
    const row = summary.split('\n').find(l => l.includes('/a'))!
    expect(row.split(/(?<!\\)\|/)).toHaveLength(4)
  })

  it('never shows credential values', () => {
    const changes = changeSet([
      change({
        kind: 'data-action',
        name: 'Lookup',
        fields: [
          {
            path: 'config.request.headers.Authorization',
            before: 'Bearer OLDSECRET123456',
            after: 'Bearer NEWSECRET123456'
          },
          { path: 'config.request.headers["X-Api-Key"]', after: 'KEY-SECRET-VALUE' },
          {
            path: 'config.request.headers',
            before: {},
            after: { Authorization: 'Basic QUxBRERJTjpPUEVOU0VTQU1F' }
          },
          { path: 'config.request.requestTemplate', before: 'x', after: 'token abcdefghijkl' }
        ]
      })
    ])
    for (const md of [
      renderPullRequestBody(changes, facts()),
      renderJobSummary(changes, facts()),
      JSON.stringify(driftAnnotations(changes, 'genesys'))
    ]) {
      expect(md).toContain('config.request.headers.Authorization')
      for (const secret of [
        'OLDSECRET',
        'NEWSECRET',
        'KEY-SECRET',
        'QUxBRERJTjpPUEVOU0VTQU1F',
        'abcdefghijkl'
      ]) {
        expect(md).not.toContain(secret)
      }
    }
  })

  it('lists at most 20 fields per resource and says how many more there are', () => {
    const fields = Array.from({ length: 25 }, (_, i) => ({
      path: `f${String(i).padStart(2, '0')}`,
      before: i,
      after: i + 1
    }))
    const body = renderPullRequestBody(
      changeSet([change({ kind: 'queue', name: 'Sales', fields, fieldsOmitted: 7 })]),
      facts()
    )
    expect(body).toContain('`f19`')
    expect(body).not.toContain('`f20`')
    expect(body).toContain('and 12 more changed fields')
  })

  it('shows scalar list changes as entries added and removed', () => {
    const body = renderPullRequestBody(
      changeSet([
        change({
          kind: 'queue',
          name: 'Sales',
          fields: [{ path: 'langs', before: ['en', 'fr'], after: ['fr', 'de'] }]
        })
      ]),
      facts()
    )
    expect(body).toContain('`langs`: added `"de"`; removed `"en"`')
  })

  it('tells same-named resources apart by id', () => {
    const body = renderPullRequestBody(
      changeSet([
        change({ kind: 'skill', name: 'Twin', id: 'id-1', change: 'added' }),
        change({ kind: 'skill', name: 'Twin', id: 'id-2', change: 'removed' })
      ]),
      facts()
    )
    expect(body).toContain('**Twin** (`id-1`)')
    expect(body).toContain('**Twin** (`id-2`)')
  })

  it('reports unresolved references and redactions by name', () => {
    const changes = changeSet([], {
      names: { 'flow:f1': 'Main IVR' },
      unresolved: {
        added: [{ from: 'flow:f1', kind: 'queue', id: 'q9', name: 'Old queue', reason: 'deleted' }],
        removed: [{ from: 'flow:f1', kind: 'skill', id: 's9', reason: 'not found (404)' }],
        changed: []
      }
    })
    const body = renderPullRequestBody(
      changes,
      facts({ redactions: [{ file: 'data-actions/Lookup.yaml', count: 2 }] })
    )
    expect(body).toContain('flow **Main IVR** refers to queue **Old queue** (`q9`): deleted')
    expect(body).toContain('**Resolved (1)**')
    expect(body).toContain('`data-actions/Lookup.yaml`: 2')
  })

  describe('at the size limit', () => {
    const many = changeSet(
      Array.from({ length: 400 }, (_, i) =>
        change({
          kind: 'queue',
          name: `Queue ${String(i).padStart(3, '0')}`,
          fields: [{ path: 'acwSettings.timeoutMs', before: i, after: i + 1 }]
        })
      )
    )
    const full = renderPullRequestBody(many, facts(), Number.MAX_SAFE_INTEGER)

    it('is cut at a line boundary, with a note saying how much is left out and where it is, and keeps the footer', () => {
      const body = renderPullRequestBody(many, facts(), 5000)
      expect(body.length).toBeLessThanOrEqual(5000)
      expect(body).toMatch(/cut to fit.*\d+ more lines are not shown.*job summary/)
      const fullLines = full.split('\n')
      const kept = body.slice(0, body.indexOf('> [!NOTE]')).trimEnd().split('\n')
      expect(fullLines.slice(0, kept.length)).toEqual(kept)
      expect(body.endsWith(full.slice(full.lastIndexOf('---')))).toBe(true)
    })

    it('is under the default limit of 65,536 characters', () => {
      const huge = changeSet(
        Array.from({ length: 3000 }, (_, i) =>
          change({
            kind: 'queue',
            name: `Queue ${i}`,
            fields: [{ path: 'x', before: 'a'.repeat(70), after: 'b'.repeat(70) }]
          })
        )
      )
      const body = renderPullRequestBody(huge, facts())
      expect(body.length).toBeLessThanOrEqual(65_536)
      expect(body.length).toBeGreaterThan(60_000)
    })

    it('never exceeds any limit (property)', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: full.length + 10 }), limit => {
          expect(renderPullRequestBody(many, facts(), limit).length).toBeLessThanOrEqual(limit)
        }),
        { numRuns: 200 }
      )
    })
  })
})

describe('manifest-only changes in the PR body and the job summary', () => {
  const flow = (dependenciesNotRead: ResourceChange['dependenciesNotRead']): ResourceChange =>
    change({
      kind: 'flow',
      name: 'Main IVR',
      path: 'flows/inboundcall/Main_IVR.yaml',
      version: '3.0',
      dependenciesNotRead
    })
  const onlyManifest = { added: [], modified: ['manifest.json'], removed: [] }
  const reports = (changes: ChangeSet, run = facts()): string[] => [
    renderPullRequestBody(changes, run),
    renderJobSummary(changes, run)
  ]

  it('names a flow whose dependencies were read again, or not read, as a changed flow', () => {
    const cases: [ResourceChange['dependenciesNotRead'], string][] = [
      [{ before: 'index BUILDINPROGRESS' }, '  - dependencies read again'],
      [{ after: 'index *BUILDINPROGRESS*' }, '  - dependencies not read: index \\*BUILDINPROGRESS\\*'],
      [
        { before: 'index BUILDINPROGRESS', after: 'answered 404' },
        '  - dependencies not read: answered 404 (before: index BUILDINPROGRESS)'
      ]
    ]
    for (const [notRead, line] of cases) {
      for (const md of reports(changeSet([flow(notRead)], { files: onlyManifest }))) {
        expect(md).toContain('**1 resource changed** (1 changed) in 1 file.')
        expect(md).toContain('- **Main IVR** · version 3.0 (not republished)')
        expect(md).toContain(line)
        expect(md).not.toContain('No resource changed')
      }
    }
  })

  it('reports unresolved references whose reason or name changed, and points only at what is there', () => {
    const ref = { from: 'flow:f1', kind: 'queue', id: 'q9' } as const
    const changes = changeSet([], {
      files: onlyManifest,
      names: { 'flow:f1': 'Main IVR' },
      unresolved: {
        added: [],
        removed: [],
        changed: [
          {
            before: { ...ref, name: 'Old', reason: 'forbidden (403)' },
            after: { ...ref, name: 'Old', reason: 'deleted' }
          }
        ]
      }
    })
    const run = facts({ unresolved: [{ ...ref, name: 'Old', reason: 'deleted' }] })
    const [body, summary] = reports(changes, run)
    const headline = 'No resource changed; 1 file of the snapshot did (see the unresolved references below).'
    expect(body).toContain(headline)
    expect(body).toContain('**Changed (1)**')
    expect(body).toContain('- flow **Main IVR** refers to queue **Old** (`q9`): deleted; was forbidden (403)')
    expect(summary).toContain(headline)
    expect(summary).toContain('### Unresolved references (1)')
    expect(summary).toContain('(`q9`): deleted *(changed: was forbidden (403))*')

    // A manifest change no section explains (the dependencies input, say) points at the diff.
    for (const md of reports(changeSet([], { files: onlyManifest }))) {
      expect(md).toContain('No resource changed; 1 file of the snapshot did (see the diff).')
      expect(md).not.toContain('below')
    }
  })
})

describe('files removed that the manifest did not list', () => {
  const stray = changeSet([], {
    files: { added: [], modified: [], removed: ['queues/README.md'] },
    unlisted: ['queues/README.md']
  })

  it('are counted in the headline and listed in a section of their own, in the PR body and the job summary', () => {
    for (const [md, hashes] of [
      [renderPullRequestBody(stray, facts()), '###'],
      [renderJobSummary(stray, facts()), '####']
    ] as const) {
      expect(md).toContain(
        'No resource changed; 1 file of the snapshot did (see the files removed that the manifest did not list below).'
      )
      expect(md).toContain(`${hashes} Files removed that the manifest did not list (1)`)
      expect(md).toContain('- `queues/README.md`')
      expect(md).not.toContain('unresolved references below')
    }
    const both = changeSet([change({ kind: 'queue', name: 'Sales', path: 'queues/Sales.yaml' })], {
      files: { added: [], modified: ['manifest.json', 'queues/Sales.yaml'], removed: ['queues/README.md'] },
      unlisted: ['queues/README.md']
    })
    const body = renderPullRequestBody(both, facts())
    expect(body).toContain('**1 resource changed** (1 changed) in 3 files.')
    expect(body).toContain('### Files removed that the manifest did not list (1)')
    expect(renderPullRequestBody(changeSet([]), facts())).not.toContain('manifest did not list')
  })

  it('get an annotation each that says why, not that they are gone from Genesys Cloud', () => {
    expect(driftAnnotations(stray, 'genesys')).toEqual([
      {
        file: 'genesys/queues/README.md',
        title: 'Drift: queues/README.md is not in the manifest',
        message: expect.stringContaining(
          'the committed manifest does not list it: the snapshot does not keep it'
        )
      }
    ])
  })
})

describe('renderJobSummary', () => {
  const drift = changeSet([
    change({ kind: 'queue', name: 'Sales', fields: [{ path: 'a', before: 1, after: 2 }] })
  ])
  const none = changeSet([], { changed: false, files: { added: [], modified: [], removed: [] } })

  it('headlines drift or no drift in check mode', () => {
    expect(renderJobSummary(drift, facts({ mode: 'check' })).split('\n')[0]).toMatch(
      /^## .*Drift: the org differs/
    )
    expect(renderJobSummary(none, facts({ mode: 'check' })).split('\n')[0]).toMatch(/^## .*No drift/)
  })

  it('lists validation problems in validate mode', () => {
    const md = renderJobSummary(undefined, facts({ mode: 'validate' }), {
      validationProblems: [{ file: 'manifest.json', line: 3, message: 'sha256 does not match' }]
    })
    expect(md.split('\n')[0]).toMatch(/has 1 problem$/)
    expect(md).toContain('- `manifest.json:3`: sha256 does not match')
    expect(renderJobSummary(undefined, facts({ mode: 'validate' }), { validationProblems: [] })).toMatch(
      /valid/
    )
  })

  it('lists flows whose dependencies were not read, in the job summary and the PR body', () => {
    const unread = facts({
      dependenciesNotRead: [
        { kind: 'flow', id: 'f3', name: 'Speech *flow*', reason: 'dependency tracking answered 400' }
      ]
    })
    const line = '- flow **Speech \\*flow\\*** (`f3`): dependency tracking answered 400'
    for (const md of [renderJobSummary(drift, unread), renderPullRequestBody(drift, unread)]) {
      expect(md).toContain('### Dependencies not read (1)')
      expect(md).toContain('keeps the dependencies the committed snapshot lists')
      expect(md).toContain(line)
    }
    expect(renderPullRequestBody(drift, facts({}))).not.toContain('Dependencies not read')
  })

  it('reports what was exported, skipped, failed and why, requests by endpoint, redactions and duration', () => {
    const md = renderJobSummary(
      drift,
      facts({
        requests: 57,
        requestsByEndpoint: { 'GET /api/v2/flows': 5, 'POST /api/v2/flows/export/jobs': 12 },
        skipped: [{ kind: 'flow', id: 'f9', name: 'Draft flow', reason: 'never published' }],
        failed: [{ kind: 'data-action', id: 'd1', name: 'Lookup', reason: 'forbidden (403)' }],
        unresolved: [{ from: 'flow:f1', kind: 'queue', id: 'q9', reason: 'deleted' }],
        redactions: [{ file: 'data-actions/Lookup.yaml', count: 1 }],
        warnings: ['The dependency index is not OPERATIONAL'],
        durationMs: 125_000,
        reused: 4
      }),
      { pullRequest: { operation: 'created', number: 7, url: 'https://github.com/o/r/pull/7' } }
    )
    expect(md).toContain('| Flows | 2 |')
    expect(md).toContain('| Data actions | 1 |')
    expect(md).toContain('4 flows reused')
    expect(md).toContain('- flow **Draft flow** (`f9`): never published')
    expect(md).toContain('- data action **Lookup** (`d1`): forbidden (403)')
    expect(md).toContain('refers to queue `q9`: deleted')
    expect(md).toContain('57 requests to the Genesys Cloud API; the run took 2 min 5 s.')
    // endpoints by count, most first
    expect(md.indexOf('export/jobs')).toBeLessThan(md.indexOf('GET /api/v2/flows`'))
    expect(md).toContain('The dependency index is not OPERATIONAL')
    expect(md).toContain('`data-actions/Lookup.yaml`: 1')
    expect(md).toContain('Pull request [#7](https://github.com/o/r/pull/7) opened.')
    expect(md).toContain('- `a`: `1` → `2`')
  })
})

describe('driftAnnotations', () => {
  it('gives one annotation per drifted file under the snapshot path', () => {
    const changes = changeSet(
      [
        change({
          kind: 'queue',
          name: 'Sales',
          path: 'queues/Sales.yaml',
          fields: [{ path: 'acwSettings.timeoutMs', before: 30000, after: 60000 }]
        }),
        change({
          kind: 'flow',
          name: 'Main',
          path: 'flows/inboundcall/Main.yaml',
          previousVersion: '3.0',
          version: '4.0',
          linesAdded: 3,
          linesRemoved: 1,
          dependsOnAdded: ['queue:q1']
        }),
        change({ kind: 'skill', name: 'New', path: 'skills/New.yaml', change: 'added' }),
        change({ kind: 'skill', name: 'Old', path: 'skills/Old.yaml', change: 'removed' })
      ],
      { names: { 'queue:q1': 'Sales' } }
    )
    const annotations = driftAnnotations(changes, 'genesys/')
    expect(annotations.map(a => a.file)).toEqual([
      'genesys/queues/Sales.yaml',
      'genesys/flows/inboundcall/Main.yaml',
      'genesys/skills/New.yaml',
      'genesys/skills/Old.yaml'
    ])
    expect(annotations[0].message).toContain('acwSettings.timeoutMs: 30000 → 60000')
    expect(annotations[1].message).toContain('3.0 → 4.0')
    expect(annotations[1].message).toContain('now uses queue "Sales"')
    expect(annotations[2].title).toMatch(/new in Genesys Cloud/)
    expect(annotations[3].title).toMatch(/gone from Genesys Cloud/)
  })

  it('annotates the manifest when only unresolved references changed, and nothing when nothing did', () => {
    const onlyUnresolved = changeSet([], {
      files: { added: [], modified: ['manifest.json'], removed: [] },
      unresolved: {
        added: [{ from: 'flow:f1', kind: 'queue', id: 'q9', reason: 'deleted' }],
        removed: [],
        changed: []
      }
    })
    expect(driftAnnotations(onlyUnresolved, '.')).toEqual([
      expect.objectContaining({ file: 'manifest.json', title: 'Drift: unresolved references changed' })
    ])
    expect(
      driftAnnotations(
        changeSet([], { changed: false, files: { added: [], modified: [], removed: [] } }),
        'g'
      )
    ).toEqual([])
  })

  it('says what changed about a flow\u2019s dependencies and about unresolved references, also beside other drift', () => {
    const ref = { from: 'flow:f1', kind: 'queue', id: 'q9', name: 'Old' } as const
    const changes = changeSet(
      [
        change({
          kind: 'flow',
          name: 'Main',
          path: 'flows/inboundcall/Main.yaml',
          dependenciesNotRead: { before: 'index BUILDINPROGRESS' }
        }),
        change({
          kind: 'flow',
          name: 'Other',
          path: 'flows/inboundcall/Other.yaml',
          dependenciesNotRead: { after: 'answered 400' }
        })
      ],
      {
        names: { 'flow:f1': 'Main' },
        unresolved: {
          added: [],
          removed: [],
          changed: [{ before: { ...ref, reason: 'forbidden (403)' }, after: { ...ref, reason: 'deleted' } }]
        }
      }
    )
    const annotations = driftAnnotations(changes, 'genesys')
    expect(annotations.map(a => [a.file, a.title])).toEqual([
      ['genesys/flows/inboundcall/Main.yaml', 'Drift: Flow "Main" changed'],
      ['genesys/flows/inboundcall/Other.yaml', 'Drift: Flow "Other" changed'],
      ['genesys/manifest.json', 'Drift: unresolved references changed']
    ])
    expect(annotations[0].message).toContain('dependencies read again')
    expect(annotations[1].message).toContain('dependencies not read: answered 400')
    expect(annotations[2].message).toContain(
      'changed: flow "Main" refers to missing queue Old (deleted; was forbidden (403))'
    )
    // A manifest change nothing else explains still gets its annotation.
    const bare = changeSet([], { files: { added: [], modified: ['manifest.json'], removed: [] } })
    expect(driftAnnotations(bare, 'g')).toEqual([
      expect.objectContaining({ file: 'g/manifest.json', title: 'Drift: manifest.json changed' })
    ])
  })

  it('keeps names plain: no control or bidi characters', () => {
    const [a] = driftAnnotations(
      changeSet([change({ kind: 'skill', name: 'a\u202Eb\nc', change: 'added' })]),
      'g'
    )
    expect(a.title).not.toMatch(/[\u202E\n]/)
  })
})
