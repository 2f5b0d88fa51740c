import { createHash } from 'node:crypto'
import type { Manifest, ManifestResource, ResourceRef, UnresolvedReference } from '../snapshot/model.js'
import { gitBlobSha, planSnapshot } from '../github/snapshot-plan.js'
import { computeChanges, type SnapshotView } from './changes.js'

const sha = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex')

type Entry = Omit<ManifestResource, 'sha256' | 'dependsOn'> & { dependsOn?: ResourceRef[]; text: string }

interface TestView extends SnapshotView {
  reads: string[]
}

/** An in-memory snapshot: manifest built from the entries (sha256 of their text), files readable. */
function view(entries: Entry[], unresolved: UnresolvedReference[] = []): TestView {
  const manifest: Manifest = {
    schemaVersion: 1,
    resources: entries.map(({ text, dependsOn, ...r }) => ({
      ...r,
      sha256: sha(text),
      dependsOn: dependsOn ?? []
    })),
    unresolved
  }
  const files = new Map(entries.map(e => [e.path, e.text]))
  files.set('manifest.json', JSON.stringify(manifest, null, 2))
  const reads: string[] = []
  return {
    manifest,
    reads,
    read: async p => {
      reads.push(p)
      return files.get(p)
    }
  }
}

/** A snapshot folder with files but no (readable) manifest. */
function bareView(files: Record<string, string>): TestView {
  const reads: string[] = []
  return {
    reads,
    read: async p => {
      reads.push(p)
      return files[p]
    }
  }
}

const queueYaml = (timeout: number, groups = 'g1,g2'): string =>
  [
    'acwSettings:',
    `  timeoutMs: ${timeout}`,
    'memberGroups:',
    ...groups.split(',').flatMap(g => [`  - id: ${g}`, `    name: Group ${g}`, '    type: GROUP']),
    'name: Sales',
    ''
  ].join('\n')

const salesQueue = (timeout: number, groups?: string): Entry => ({
  kind: 'queue',
  id: 'q1',
  name: 'Sales',
  path: 'queues/Sales.yaml',
  text: queueYaml(timeout, groups)
})

const mainFlow = (version: string, text: string, dependsOn: ResourceRef[] = []): Entry => ({
  kind: 'flow',
  id: 'f1',
  name: 'Main IVR',
  path: 'flows/inboundcall/Main_IVR.yaml',
  type: 'inboundcall',
  version,
  dependsOn,
  text
})

const skill = (id: string, name: string): Entry => ({
  kind: 'skill',
  id,
  name,
  path: `skills/${name}.yaml`,
  text: `name: ${name}\n`
})

describe('computeChanges', () => {
  it('finds nothing between identical snapshots and reads no file', async () => {
    const before = view([salesQueue(30000), mainFlow('3.0', 'a\n')])
    const after = view([salesQueue(30000), mainFlow('3.0', 'a\n')])
    const changes = await computeChanges(before, after)
    expect(changes.changed).toBe(false)
    expect(changes.resources).toEqual([])
    expect(changes.files).toEqual({ added: [], modified: [], removed: [] })
    expect([...before.reads, ...after.reads].filter(p => p !== 'manifest.json')).toEqual([])
  })

  it('reports added, removed and modified resources with field changes, reading only the changed files', async () => {
    const before = view([salesQueue(30000), skill('s1', 'French'), skill('s2', 'German')])
    const after = view([salesQueue(60000), skill('s1', 'French'), skill('s3', 'Dutch')])
    const changes = await computeChanges(before, after)
    expect(changes.changed).toBe(true)
    expect(changes.resources.map(c => [c.kind, c.name, c.change])).toEqual([
      ['queue', 'Sales', 'modified'],
      ['skill', 'Dutch', 'added'],
      ['skill', 'German', 'removed']
    ])
    expect(changes.resources[0].fields).toEqual([
      { path: 'acwSettings.timeoutMs', before: 30000, after: 60000 }
    ])
    expect(changes.files).toEqual({
      added: ['skills/Dutch.yaml'],
      modified: ['manifest.json', 'queues/Sales.yaml'],
      removed: ['skills/German.yaml']
    })
    expect(before.reads.filter(p => p !== 'manifest.json')).toEqual(['queues/Sales.yaml'])
    expect(after.reads.filter(p => p !== 'manifest.json')).toEqual(['queues/Sales.yaml'])
  })

  describe('a committed file that no longer matches its manifest entry (edited by hand)', () => {
    /** `before` whose Sales queue file was edited after its manifest entry was written. */
    function editedBefore(digestible: boolean): TestView {
      const committed = view([salesQueue(30000), skill('s1', 'French')])
      const edited = queueYaml(45000)
      const files = new Map<string, string>([
        ['queues/Sales.yaml', edited],
        ['skills/French.yaml', 'name: French\n']
      ])
      const read = async (p: string): Promise<string | undefined> => {
        committed.reads.push(p)
        return files.get(p) ?? (await committed.read(p))
      }
      return {
        manifest: committed.manifest,
        reads: committed.reads,
        read,
        ...(digestible
          ? {
              sha256: async (p: string) => ((await read(p)) === undefined ? undefined : sha((await read(p))!))
            }
          : {})
      }
    }

    it('is reported as modified, with the fields the run puts back, when the files can be digested', async () => {
      const changes = await computeChanges(
        editedBefore(true),
        view([salesQueue(30000), skill('s1', 'French')])
      )
      expect(changes.changed).toBe(true)
      expect(changes.files).toEqual({ added: [], modified: ['queues/Sales.yaml'], removed: [] })
      expect(changes.resources.map(c => [c.name, c.change])).toEqual([['Sales', 'modified']])
      expect(changes.resources[0].fields).toEqual([
        { path: 'acwSettings.timeoutMs', before: 45000, after: 30000 }
      ])
    })

    it('a file gone from the folder is modified too, never "no change"', async () => {
      const before = view([salesQueue(30000), skill('s1', 'French')])
      const missing: SnapshotView = {
        manifest: before.manifest,
        read: async p => (p === 'queues/Sales.yaml' ? undefined : before.read(p)),
        sha256: async p => {
          const text = p === 'queues/Sales.yaml' ? undefined : await before.read(p)
          return text === undefined ? undefined : sha(text)
        }
      }
      const changes = await computeChanges(missing, view([salesQueue(30000), skill('s1', 'French')]))
      expect(changes.files.modified).toEqual(['queues/Sales.yaml'])
      expect(changes.resources[0].note).toMatch(/could not be read before/)
    })

    it('is taken on the manifest’s word where files cannot be digested cheaply (the base branch through the API)', async () => {
      const before = editedBefore(false)
      const changes = await computeChanges(before, view([salesQueue(30000), skill('s1', 'French')]))
      expect(changes.changed).toBe(false)
      expect(before.reads.filter(p => p !== 'manifest.json')).toEqual([])
    })
  })

  it('treats a rename (same id, new name and file) as one modified change with both paths', async () => {
    const before = view([skill('s1', 'French')])
    const renamed = { ...skill('s1', 'Francais'), text: 'name: French\n' }
    const changes = await computeChanges(before, view([renamed]))
    expect(changes.resources).toHaveLength(1)
    expect(changes.resources[0]).toMatchObject({
      change: 'modified',
      name: 'Francais',
      previousName: 'French',
      path: 'skills/Francais.yaml',
      previousPath: 'skills/French.yaml'
    })
    expect(changes.files.added).toEqual(['skills/Francais.yaml'])
    expect(changes.files.removed).toEqual(['skills/French.yaml'])
  })

  it('does not count a reorder of id-matched objects as a field change', async () => {
    const changes = await computeChanges(
      view([salesQueue(30000, 'g1,g2')]),
      view([salesQueue(30000, 'g2,g1')])
    )
    // The bytes differ, so the resource is listed, but with no field changes and a note saying why.
    expect(changes.resources).toHaveLength(1)
    expect(changes.resources[0].fields).toEqual([])
    expect(changes.resources[0].note).toMatch(/order/)
  })

  it('reports a flow version change with line counts and no field diff', async () => {
    const changes = await computeChanges(
      view([mainFlow('3.0', 'inboundCall:\n  name: Main IVR\n  a: 1\n')]),
      view([mainFlow('4.0', 'inboundCall:\n  name: Main IVR\n  a: 2\n  b: 3\n')])
    )
    expect(changes.resources).toEqual([
      expect.objectContaining({
        kind: 'flow',
        change: 'modified',
        previousVersion: '3.0',
        version: '4.0',
        flowType: 'inboundcall',
        fields: [],
        linesAdded: 2,
        linesRemoved: 1
      })
    ])
  })

  it('reports dependsOn changes and knows the names of the references', async () => {
    const before = view([
      mainFlow('3.0', 'x\n', ['queue:q1', 'skill:s1']),
      salesQueue(1),
      skill('s1', 'French')
    ])
    const after = view([
      mainFlow('3.0', 'x\n', ['queue:q1', 'skill:s3']),
      salesQueue(1),
      skill('s3', 'Dutch')
    ])
    const changes = await computeChanges(before, after)
    const flow = changes.resources.find(c => c.kind === 'flow')!
    expect(flow.change).toBe('modified')
    expect(flow.dependsOnAdded).toEqual(['skill:s3'])
    expect(flow.dependsOnRemoved).toEqual(['skill:s1'])
    expect(flow.linesAdded).toBeUndefined()
    expect(changes.names).toMatchObject({ 'skill:s3': 'Dutch', 'skill:s1': 'French', 'queue:q1': 'Sales' })
  })

  it('treats everything as added on a first run without a snapshot, reading nothing but the manifest', async () => {
    const before = bareView({})
    const after = view([salesQueue(1), mainFlow('3.0', 'x\n')])
    const changes = await computeChanges(before, after)
    expect(changes.changed).toBe(true)
    expect(changes.resources.map(c => c.change)).toEqual(['added', 'added'])
    expect(changes.resources[0]).toMatchObject({ kind: 'flow', version: '3.0' })
    expect(changes.files.added).toEqual([
      'flows/inboundcall/Main_IVR.yaml',
      'manifest.json',
      'queues/Sales.yaml'
    ])
    expect(before.reads).toEqual(['manifest.json'])
  })

  it('compares files by content when the old manifest did not parse', async () => {
    const before = bareView({
      'manifest.json': '{ broken',
      'queues/Sales.yaml': queueYaml(1),
      'skills/French.yaml': 'old\n'
    })
    const after = view([salesQueue(1), skill('s1', 'French'), skill('s2', 'Dutch')])
    const changes = await computeChanges(before, after)
    expect(changes.files).toEqual({
      added: ['skills/Dutch.yaml'],
      modified: ['manifest.json', 'skills/French.yaml'],
      removed: []
    })
  })

  describe('files in the managed folders that the manifest does not list', () => {
    /** `base` plus files it holds without listing them, its managed folders listed as a view lists them. */
    function withStrays(base: TestView, strays: Record<string, string>): TestView {
      const read = base.read
      return {
        ...base,
        read: async p => strays[p] ?? (await read(p)),
        managedFiles: async () => [...base.manifest!.resources.map(r => r.path), ...Object.keys(strays)]
      }
    }

    it('counts them as removed, as the pull request\u2019s plan deletes them, and reads none', async () => {
      const before = withStrays(view([salesQueue(1), skill('s1', 'French')]), {
        'queues/README.md': 'notes\n',
        'flows/inboundcall/Old.yaml': 'left over\n'
      })
      const after = view([salesQueue(1), skill('s1', 'French')])
      const changes = await computeChanges(before, after)
      expect(changes.changed).toBe(true)
      expect(changes.resources).toEqual([])
      expect(changes.unlisted).toEqual(['flows/inboundcall/Old.yaml', 'queues/README.md'])
      expect(changes.files).toEqual({
        added: [],
        modified: [],
        removed: ['flows/inboundcall/Old.yaml', 'queues/README.md']
      })
      expect(before.reads.filter(p => p !== 'manifest.json')).toEqual([])

      // The publish plan of the same base removes exactly these files.
      const blob = (text: string) => ({ sha: gitBlobSha(Buffer.from(text)), mode: '100644' })
      const paths = [...(await before.managedFiles!()), 'manifest.json']
      const base = new Map(
        await Promise.all(paths.map(async p => [p, blob((await before.read(p))!)] as const))
      )
      const wanted = new Map(
        await Promise.all(
          ['queues/Sales.yaml', 'skills/French.yaml', 'manifest.json'].map(
            async p => [p, gitBlobSha(Buffer.from((await after.read(p))!))] as const
          )
        )
      )
      expect(planSnapshot(base, before.manifest, wanted).removed).toEqual(changes.files.removed)
    })

    it('compares one the new snapshot writes itself by its bytes, as the plan does, and sees nothing without a listing', async () => {
      const after = view([salesQueue(1), skill('s1', 'French')])
      const before = withStrays(view([salesQueue(1)]), { 'skills/French.yaml': 'by hand\n' })
      const changes = await computeChanges(before, after)
      expect(changes.unlisted).toEqual([])
      expect(changes.files).toEqual({
        added: [],
        modified: ['manifest.json', 'skills/French.yaml'],
        removed: []
      })
      // The same bytes as the new file: only the manifest changes, as in the commit.
      const same = withStrays(view([salesQueue(1)]), {
        'skills/French.yaml': (await after.read('skills/French.yaml'))!
      })
      expect((await computeChanges(same, after)).files).toEqual({
        added: [],
        modified: ['manifest.json'],
        removed: []
      })
      const unlisted = await computeChanges(view([salesQueue(1), skill('s1', 'French')]), after)
      expect(unlisted.changed).toBe(false)
    })

    it('before a first snapshot: reads only the files there, compares them, and removes the rest', async () => {
      const before: TestView = {
        ...bareView({ 'queues/Sales.yaml': queueYaml(1), 'queues/Old.yaml': 'old\n' }),
        managedFiles: async () => ['queues/Old.yaml', 'queues/Sales.yaml']
      }
      const after = view([salesQueue(1), skill('s1', 'French')])
      const changes = await computeChanges(before, after)
      expect(changes.unlisted).toEqual(['queues/Old.yaml'])
      expect(changes.files).toEqual({
        added: ['manifest.json', 'skills/French.yaml'],
        modified: [],
        removed: ['queues/Old.yaml']
      })
      expect(before.reads.sort()).toEqual(['manifest.json', 'queues/Sales.yaml'])
    })
  })

  it('says so, and does not throw, when YAML does not parse or a file cannot be read', async () => {
    const bad = { ...salesQueue(1), text: 'name: Sales\nname: Other\n' }
    const changes = await computeChanges(view([salesQueue(1)]), view([bad]))
    expect(changes.resources[0].fields).toEqual([])
    expect(changes.resources[0].note).toMatch(/could not be parsed/)

    const failing = view([salesQueue(2)])
    failing.read = async () => {
      throw new Error('EIO')
    }
    const unreadable = await computeChanges(view([salesQueue(1)]), failing)
    expect(unreadable.resources[0].note).toMatch(/could not be read/)
  })

  it('reports unresolved references that appeared and were resolved', async () => {
    const gone: UnresolvedReference = {
      from: 'flow:f1',
      kind: 'queue',
      id: 'q9',
      name: 'Old',
      reason: 'deleted'
    }
    const missing: UnresolvedReference = {
      from: 'flow:f1',
      kind: 'data-action',
      id: 'd1',
      reason: 'not found (404)'
    }
    const changes = await computeChanges(
      view([mainFlow('3.0', 'x\n')], [gone]),
      view([mainFlow('3.0', 'x\n')], [missing])
    )
    expect(changes.changed).toBe(true)
    expect(changes.resources).toEqual([])
    expect(changes.unresolved).toEqual({ added: [missing], removed: [gone], changed: [] })
    expect(changes.files.modified).toEqual(['manifest.json'])
  })

  describe('manifest-only changes', () => {
    const notRead = (reason?: string): Entry => ({
      ...mainFlow('3.0', 'x\n', ['queue:q1']),
      ...(reason !== undefined ? { dependenciesNotRead: reason } : {})
    })

    it.each([
      ['cleared (dependencies read again)', 'index BUILDINPROGRESS', undefined],
      ['appeared', undefined, 'index BUILDINPROGRESS'],
      ['changed', 'index BUILDINPROGRESS', 'dependency tracking answered 404']
    ])('reports a flow whose dependenciesNotRead %s as modified, reading no file', async (_, was, now) => {
      const before = view([notRead(was)])
      const after = view([notRead(now)])
      const changes = await computeChanges(before, after)
      expect(changes.changed).toBe(true)
      expect(changes.files).toEqual({ added: [], modified: ['manifest.json'], removed: [] })
      expect(changes.resources).toHaveLength(1)
      expect(changes.resources[0]).toMatchObject({
        kind: 'flow',
        name: 'Main IVR',
        change: 'modified',
        dependsOnAdded: [],
        dependsOnRemoved: []
      })
      // toEqual, as an unset side has no key (toMatchObject would want one holding undefined).
      expect(changes.resources[0].dependenciesNotRead).toEqual({ before: was, after: now })
      expect([...before.reads, ...after.reads].filter(p => p !== 'manifest.json')).toEqual([])
    })

    it('reports an unresolved reference whose reason or name changed, and leaves equal ones out', async () => {
      const ref = { from: 'flow:f1', kind: 'queue', id: 'q9' } as const
      const still = { from: 'flow:f1', kind: 'skill', id: 's9', reason: 'deleted' } as const
      const forbidden = { ...ref, name: 'Old', reason: 'forbidden (403)' }
      const deleted = { ...ref, name: 'Old', reason: 'deleted' }
      const renamed = { ...ref, name: 'Older', reason: 'forbidden (403)' }
      const flows = [mainFlow('3.0', 'x\n')]
      const reason = await computeChanges(view(flows, [forbidden, still]), view(flows, [deleted, still]))
      expect(reason.changed).toBe(true)
      expect(reason.resources).toEqual([])
      expect(reason.unresolved).toEqual({
        added: [],
        removed: [],
        changed: [{ before: forbidden, after: deleted }]
      })
      const name = await computeChanges(view(flows, [forbidden]), view(flows, [renamed]))
      expect(name.unresolved.changed).toEqual([{ before: forbidden, after: renamed }])
      const same = await computeChanges(view(flows, [forbidden, still]), view(flows, [forbidden, still]))
      expect(same.changed).toBe(false)
    })
  })

  it('sorts by kind (flow, queue, skill, data action), then name, then id', async () => {
    const da: Entry = {
      kind: 'data-action',
      id: 'd1',
      name: 'Lookup',
      path: 'data-actions/Lookup.yaml',
      text: 'a: 1\n'
    }
    const after = view([
      da,
      skill('s2', 'b'),
      skill('s1', 'B'),
      skill('s0', 'a'),
      salesQueue(1),
      mainFlow('1.0', 'x\n')
    ])
    const changes = await computeChanges(bareView({}), after)
    expect(changes.resources.map(c => `${c.kind}:${c.name}`)).toEqual([
      'flow:Main IVR',
      'queue:Sales',
      'skill:a',
      'skill:B',
      'skill:b',
      'data-action:Lookup'
    ])
  })
})
