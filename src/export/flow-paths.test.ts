import fc from 'fast-check'
import { assignFileNames } from '../snapshot/names.js'
import { settledFlowPaths, type FlowLike } from './flow-paths.js'

const flow = (n: number, name: string, type = 'INBOUNDCALL'): FlowLike => ({
  id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  name,
  type
})

/** The paths assignFileNames gives `snapshot`, as the exporter assigns them. */
function finalPaths(snapshot: FlowLike[]): Map<string, string> {
  const folders = new Map<string, FlowLike[]>()
  for (const f of snapshot) {
    const folder = `flows/${f.type.toLowerCase()}`
    folders.set(folder, [...(folders.get(folder) ?? []), f])
  }
  const out = new Map<string, string>()
  for (const [folder, flows] of folders) {
    const names = assignFileNames(flows, '.yaml')
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
        (specs, isRoot, inSnapshot) => {
          const published = specs.map(([name, type], i) => flow(i + 1, name, type))
          const roots = published.filter((_, i) => isRoot[i])
          // Any snapshot the closure can reach: the roots and some of the other published flows.
          const snapshot = published.filter((_, i) => isRoot[i] || inSnapshot[i])
          const settled = settledFlowPaths(roots, published)
          const actual = finalPaths(snapshot)
          for (const [id, p] of settled) if (actual.get(id) !== p) return false
          return true
        }
      ),
      { numRuns: 300 }
    )
  })
})
