import fc from 'fast-check'
import { assignFileNames } from '../snapshot/names.js'
import type { Manifest } from '../snapshot/model.js'
import { committedFileNames, settledFlowPaths, type FlowLike, type FolderNames } from './flow-paths.js'

const flow = (n: number, name: string, type = 'INBOUNDCALL'): FlowLike => ({
  id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  name,
  type
})

/** The paths assignFileNames gives `snapshot`, as the exporter assigns them. */
function finalPaths(snapshot: FlowLike[], previous: FolderNames = new Map()): Map<string, string> {
  const folders = new Map<string, FlowLike[]>()
  for (const f of snapshot) {
    const folder = `flows/${f.type.toLowerCase()}`
    folders.set(folder, [...(folders.get(folder) ?? []), f])
  }
  const out = new Map<string, string>()
  for (const [folder, flows] of folders) {
    const names = assignFileNames(flows, '.yaml', previous.get(folder))
    for (const f of flows) out.set(f.id, `${folder}/${names.get(f.id)!}`)
  }
  return out
}

describe('settledFlowPaths', () => {
  it('settles every path when every published flow is a root', () => {
    const flows = [flow(1, 'Main IVR'), flow(2, 'main ivr'), flow(3, 'Billing', 'WORKFLOW')]
    const settled = settledFlowPaths(flows, flows)
    expect(settled).toEqual(finalPaths(flows))
    expect(settled.size).toBe(3)
  })

  it('leaves open a root whose name a flow outside the roots could still clash with', () => {
    const main = flow(1, 'Main IVR')
    const clash = flow(2, 'main ivr') // same folder, folds to the same name, not a root
    const elsewhere = flow(3, 'Main IVR', 'INQUEUECALL') // another folder: no clash
    const lone = flow(4, 'Billing')
    const settled = settledFlowPaths([main, elsewhere, lone], [main, clash, elsewhere, lone])
    expect(settled.has(main.id)).toBe(false)
    expect(settled.get(elsewhere.id)).toBe('flows/inqueuecall/Main_IVR.yaml')
    expect(settled.get(lone.id)).toBe('flows/inboundcall/Billing.yaml')
  })

  it('settles the committed path of a root whose name still fits it, whatever else is published', () => {
    const main = flow(1, 'Main IVR')
    const clash = flow(2, 'main ivr') // a newcomer, not a root
    const previous = new Map([['flows/inboundcall', new Map([[main.id, 'Main_IVR.yaml']])]])
    const settled = settledFlowPaths([main], [main, clash], previous)
    expect(settled.get(main.id)).toBe('flows/inboundcall/Main_IVR.yaml')
    expect(finalPaths([main, clash], previous).get(main.id)).toBe('flows/inboundcall/Main_IVR.yaml')
  })

  it('reads the committed names by folder, leaving out a resource outside its folder', () => {
    const resource = (kind: 'flow' | 'queue', id: string, p: string, type?: string) => ({
      kind,
      id,
      name: 'x',
      path: p,
      sha256: '',
      dependsOn: [],
      ...(type ? { type } : {})
    })
    const manifest: Manifest = {
      schemaVersion: 1,
      resources: [
        resource('flow', 'f1', 'flows/inboundcall/A__f1000000.yaml', 'inboundcall'),
        resource('flow', 'f2', 'flows/workflow/B.yaml', 'inboundcall'),
        resource('queue', 'q1', 'queues/Support.yaml'),
        resource('queue', 'q2', 'skills/Support.yaml')
      ],
      unresolved: []
    }
    expect(committedFileNames(manifest)).toEqual(
      new Map([
        ['flows/inboundcall', new Map([['f1', 'A__f1000000.yaml']])],
        ['queues', new Map([['q1', 'Support.yaml']])]
      ])
    )
    expect(committedFileNames(undefined).size).toBe(0)
  })

  it('never settles a path that some snapshot between the roots and all published flows would change', () => {
    const names = ['Main IVR', 'main ivr', 'MAIN_IVR', 'Billing', 'billing', 'x'.repeat(120), '', '***']
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...names), fc.constantFrom('INBOUNDCALL', 'WORKFLOW')), {
          minLength: 1,
          maxLength: 12
        }),
        fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
        fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
        fc.array(fc.tuple(fc.constantFrom(...names), fc.constantFrom('INBOUNDCALL', 'WORKFLOW')), {
          minLength: 12,
          maxLength: 12
        }),
        fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
        fc.array(fc.nat(11), { maxLength: 3 }),
        (specs, isRoot, inSnapshot, earlierSpecs, wasCommitted, copies) => {
          const published = specs.map(([name, type], i) => flow(i + 1, name, type))
          const roots = published.filter((_, i) => isRoot[i])
          // Any snapshot the closure can reach: the roots and some of the other published flows.
          const snapshot = published.filter((_, i) => isRoot[i] || inSnapshot[i])
          // The committed snapshot: some of the same flows, under these or other names and types...
          const earlier = earlierSpecs
            .map(([name, type], i) => flow(i + 1, i < specs.length && i % 2 === 0 ? specs[i][0] : name, type))
            .filter((_, i) => wasCommitted[i])
          const committed = new Map<string, Map<string, string>>()
          for (const [id, p] of finalPaths(earlier)) {
            const folder = p.slice(0, p.lastIndexOf('/'))
            committed.set(folder, (committed.get(folder) ?? new Map()).set(id, p.slice(folder.length + 1)))
          }
          // ...and, now and then, edited by hand so that two flows hold one name.
          for (const i of copies) {
            const names = [...committed.values()][0]
            if (!names || names.size < 2) break
            const list = [...names]
            names.set(list[i % list.length][0], list[(i + 1) % list.length][1])
          }
          const settled = settledFlowPaths(roots, published, committed)
          const actual = finalPaths(snapshot, committed)
          for (const [id, p] of settled) if (actual.get(id) !== p) return false
          return true
        }
      ),
      { numRuns: 300 }
    )
  })
})
