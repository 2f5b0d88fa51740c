import { execFileSync } from 'node:child_process'
import fc from 'fast-check'
import type { Manifest } from '../snapshot/model.js'
import type { TreeFile } from './git-read.js'
import { gitBlobSha, isSnapshotPath, plannedFolder, planSnapshot, sameFiles } from './snapshot-plan.js'

const tree = (entries: Record<string, string>): Map<string, TreeFile> =>
  new Map(Object.entries(entries).map(([p, sha]) => [p, { sha, mode: '100644' }]))
const files = (entries: Record<string, string>) => new Map(Object.entries(entries))

function manifest(paths: string[]): Manifest {
  return {
    schemaVersion: 1,
    resources: paths.map(p => ({ kind: 'queue', id: p, name: p, path: p, sha256: 'x', dependsOn: [] })),
    unresolved: []
  }
}

describe('gitBlobSha', () => {
  test('is what git hash-object computes, for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), bytes => {
        const expected = execFileSync('git', ['hash-object', '--stdin'], { input: Buffer.from(bytes) })
          .toString()
          .trim()
        expect(gitBlobSha(bytes)).toBe(expected)
      }),
      { numRuns: 25 }
    )
  })

  test('the empty blob has git’s well-known id', () => {
    expect(gitBlobSha(new Uint8Array())).toBe('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391')
  })
})

describe('isSnapshotPath', () => {
  test.each(['manifest.json', 'flows/inboundcall/Main.yaml', 'queues/a b.yaml'])('accepts %s', p => {
    expect(isSnapshotPath(p)).toBe(true)
  })
  test.each(['', '/abs', 'a//b', '../x', 'a/./b', 'a/..', 'a\\b', 'trailing/'])('refuses %j', p => {
    expect(isSnapshotPath(p)).toBe(false)
  })
})

describe('planSnapshot', () => {
  test('added, modified and unchanged files against the base', () => {
    const plan = planSnapshot(
      tree({ 'manifest.json': 'm1', 'queues/A.yaml': 'a1', 'queues/B.yaml': 'b1' }),
      manifest(['queues/A.yaml', 'queues/B.yaml']),
      files({ 'manifest.json': 'm2', 'queues/A.yaml': 'a1', 'queues/B.yaml': 'b2', 'queues/C.yaml': 'c1' })
    )
    expect(plan).toEqual({
      added: ['queues/C.yaml'],
      modified: ['manifest.json', 'queues/B.yaml'],
      removed: [],
      changes: [
        { path: 'manifest.json', sha: 'm2' },
        { path: 'queues/B.yaml', sha: 'b2' },
        { path: 'queues/C.yaml', sha: 'c1' }
      ]
    })
  })

  test('removes what the base manifest lists and what else sits in the managed folders, nothing beside them', () => {
    const plan = planSnapshot(
      tree({
        'manifest.json': 'm1',
        'queues/A.yaml': 'a1',
        'queues/Gone.yaml': 'g1',
        'queues/hand-made.yaml': 'h1',
        'README.md': 'r1'
      }),
      manifest(['queues/A.yaml', 'queues/Gone.yaml', 'queues/never-committed.yaml', '../outside.yaml']),
      files({ 'manifest.json': 'm2', 'queues/A.yaml': 'a1' })
    )
    // hand-made.yaml would fail validate mode on the base once merged (the workspace drops it too).
    expect(plan.removed).toEqual(['queues/Gone.yaml', 'queues/hand-made.yaml'])
    expect(plan.changes).toContainEqual({ path: 'queues/Gone.yaml', sha: null })
  })

  test('without a manifest, removes stale files of the managed folders only', () => {
    const plan = planSnapshot(
      tree({
        'flows/inboundcall/Old.yaml': 'o',
        'skills/S.yaml': 's',
        'data-actions/D.yaml': 'd',
        'flowsextra/keep.yaml': 'k',
        'notes.md': 'n',
        'queues/Q.yaml': 'q'
      }),
      undefined,
      files({ 'manifest.json': 'm', 'queues/Q.yaml': 'q' })
    )
    expect(plan.removed).toEqual(['data-actions/D.yaml', 'flows/inboundcall/Old.yaml', 'skills/S.yaml'])
    expect(plan.added).toEqual(['manifest.json'])
  })

  test('the same snapshot as the base needs no change', () => {
    const base = tree({ 'manifest.json': 'm', 'queues/Q.yaml': 'q', 'README.md': 'r' })
    const plan = planSnapshot(
      base,
      manifest(['queues/Q.yaml']),
      files({ 'manifest.json': 'm', 'queues/Q.yaml': 'q' })
    )
    expect(plan.changes).toEqual([])
    expect(sameFiles(base, plannedFolder(base, plan))).toBe(true)
  })

  test('the planned folder is the base with the changes applied', () => {
    const base = tree({ 'manifest.json': 'm1', 'queues/Gone.yaml': 'g', 'README.md': 'r' })
    const plan = planSnapshot(
      base,
      manifest(['queues/Gone.yaml']),
      files({ 'manifest.json': 'm2', 'queues/New.yaml': 'n' })
    )
    expect(Object.fromEntries(plannedFolder(base, plan))).toEqual({
      'manifest.json': 'm2',
      'queues/New.yaml': 'n',
      'README.md': 'r'
    })
    expect(sameFiles(base, plannedFolder(base, plan))).toBe(false)
  })
})
