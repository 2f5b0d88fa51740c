// The export pipeline in-process, against the simulated org over real HTTP: completeness of the
// closure, exact flow bytes, unresolved references, hostile names, redaction, determinism, filters,
// incremental reruns and validate mode on the result.
import { cp, lstat, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { VirtualClock } from '../src/common/clock.js'
import type { Outputs } from '../src/pipeline.js'
import type { Manifest } from '../src/snapshot/model.js'
import { validateSnapshot } from '../src/snapshot/validate.js'
import { startSimOrg, type SimOrg } from '../test/sim/index.js'
import { runInProcess, treeOf, type InProcessRun } from '../test/support/in-process.js'

let scratch: string
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'export-'))
})
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

let workspaces = 0
function newWorkspace(): string {
  return path.join(scratch, `ws-${++workspaces}`)
}

interface Run extends InProcessRun {
  outputs: Outputs
  manifest: Manifest
}

/** A run of the pipeline in-process (test/support), without GitHub, on the sim's clock; it may fail. */
function attempt(sim: SimOrg, workspace: string, inputs: Record<string, string> = {}) {
  return runInProcess({ sim, clock: sim.clock, workspace, inputs, label: 'export' })
}

/** A snapshot run that must work, with the manifest it wrote. */
async function snapshot(sim: SimOrg, workspace: string, values: Record<string, string> = {}): Promise<Run> {
  const run = await attempt(sim, workspace, values)
  if (run.error) throw run.error
  const manifest = JSON.parse(
    await readFile(path.join(workspace, 'genesys', 'manifest.json'), 'utf8')
  ) as Manifest
  return { ...run, outputs: run.outputs!, manifest }
}

const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i

describe('a full snapshot of an org with every flow type', () => {
  let sim: SimOrg
  let run: Run
  let workspace: string
  beforeAll(async () => {
    sim = await startSimOrg({ seed: 5, flows: 60, clock: new VirtualClock() })
    // A data action the flows call made secure, so dependency tracking lists it as SECUREACTION.
    const used = sim.org.flows.find(f => !f.deleted && f.publishedVersion && f.deps.dataActions.length > 0)
    sim.editDataAction(used!.deps.dataActions[0], { secure: true })
    workspace = newWorkspace()
    run = await snapshot(sim, workspace)
  })
  afterAll(() => sim.close())

  test('every published flow is there, as the export job returned it, byte for byte', async () => {
    const published = sim.org.flows.filter(f => !f.deleted && f.publishedVersion)
    const flows = run.manifest.resources.filter(r => r.kind === 'flow')
    expect(flows.map(f => f.id).sort()).toEqual(published.map(f => f.id).sort())
    // The org has every flow type; each published one lands in its own folder.
    expect(new Set(sim.org.flows.map(f => f.type)).size).toBe(20)
    expect(new Set(flows.map(f => f.type))).toEqual(new Set(published.map(f => f.type)))
    for (const f of flows) {
      const info = sim.org.flow(f.id)!
      expect(f.version).toBe(info.publishedVersion)
      expect(f.path.startsWith(`flows/${info.type}/`)).toBe(true)
      const bytes = await readFile(path.join(workspace, 'genesys', f.path), 'utf8')
      expect(bytes).toBe(sim.org.flowYaml(f.id))
    }
    expect(run.outputs.flows).toBe(String(flows.length))
  })

  test('never-published flows are reported as skipped, not dropped silently', () => {
    const unpublished = sim.org.flows.filter(f => !f.deleted && !f.publishedVersion)
    expect(unpublished.length).toBeGreaterThan(0)
    for (const f of unpublished) {
      expect(run.manifest.resources.some(r => r.id === f.id)).toBe(false)
      expect(run.summary).toContain('never published')
    }
  })

  test('the closure is complete: every queue, skill, data action and flow the flows use', () => {
    const published = sim.org.flows.filter(f => !f.deleted && f.publishedVersion).map(f => f.id)
    const closure = sim.org.closure(published) as unknown as Record<string, Iterable<string>>
    const have = new Set(run.manifest.resources.map(r => `${r.kind}:${r.id}`))
    const missing: string[] = []
    for (const [key, kind] of [
      ['queues', 'queue'],
      ['skills', 'skill'],
      ['dataActions', 'data-action'],
      ['flows', 'flow']
    ] as const) {
      for (const id of closure[key] ?? []) {
        const deleted = sim.org.deletedQueues.some(q => q.id === id)
        if (!deleted && !have.has(`${kind}:${id}`)) missing.push(`${kind}:${id}`)
      }
    }
    expect(missing).toEqual([])
    // Secure data actions come under their own dependency type; the closure must hold one to show it.
    const secure = new Set(sim.org.dataActions.filter(a => a.secure).map(a => a.id))
    expect([...(closure.dataActions ?? [])].filter(id => secure.has(id)).length).toBeGreaterThan(0)
    expect(run.outputs.queues).toBe(String(run.manifest.resources.filter(r => r.kind === 'queue').length))
    expect(Number(run.outputs.skills)).toBeGreaterThan(0)
    expect(Number(run.outputs['data-actions'])).toBeGreaterThan(0)
  })

  test('references to deleted queues are unresolved, with the referring flow', () => {
    expect(sim.org.deletedQueues.length).toBeGreaterThan(0)
    for (const q of sim.org.deletedQueues) {
      const entries = run.manifest.unresolved.filter(u => u.kind === 'queue' && u.id === q.id)
      expect(entries.length).toBeGreaterThan(0)
      for (const u of entries)
        expect(run.manifest.resources.some(r => `${r.kind}:${r.id}` === u.from)).toBe(true)
    }
  })

  test('every dependsOn edge names a resource or an unresolved entry', () => {
    const resources = new Set(run.manifest.resources.map(r => `${r.kind}:${r.id}`))
    const unresolved = new Set(run.manifest.unresolved.map(u => `${u.kind}:${u.id}`))
    for (const r of run.manifest.resources)
      for (const d of r.dependsOn) expect(resources.has(d) || unresolved.has(d)).toBe(true)
  })

  test('hostile names land in safe, unique paths inside the folder', () => {
    const byFolder = new Map<string, Set<string>>()
    for (const r of run.manifest.resources) {
      const segments = r.path.split('/')
      const file = segments[segments.length - 1]
      expect(r.path).not.toMatch(/\\|\.\.|^\//)
      // eslint-disable-next-line no-control-regex
      expect(file).not.toMatch(/^[.\s]|[.\s]$|[<>:"|?*\x00-\x1f]/)
      expect(file.replace(/\.yaml$/, '')).not.toMatch(RESERVED)
      expect(Buffer.byteLength(file)).toBeLessThanOrEqual(255)
      const folder = segments.slice(0, -1).join('/')
      const seen = byFolder.get(folder) ?? new Set()
      expect(seen.has(file.toLowerCase())).toBe(false)
      seen.add(file.toLowerCase())
      byFolder.set(folder, seen)
    }
    expect(run.manifest.resources.some(r => /[^\x20-\x7e]/.test(r.name))).toBe(true)
  })

  test('credentials never reach a file, and the summary says what was redacted', async () => {
    const secrets = sim.seededSecrets()
    expect(secrets.length).toBeGreaterThan(0)
    for (const file of Object.keys(await treeOf(path.join(workspace, 'genesys'))).filter(
      f => !f.endsWith('/')
    )) {
      const text = await readFile(path.join(workspace, 'genesys', file), 'utf8')
      for (const secret of secrets) expect(text).not.toContain(secret)
    }
    expect(run.summary.toLowerCase()).toContain('redact')
  })

  test('validate mode passes on the snapshot the action wrote', async () => {
    expect(await validateSnapshot(path.join(workspace, 'genesys'))).toEqual([])
  })

  test('a second full run against the unchanged org writes identical bytes', async () => {
    const second = newWorkspace()
    await snapshot(sim, second, { incremental: 'false' })
    expect(await treeOf(path.join(second, 'genesys'))).toEqual(await treeOf(path.join(workspace, 'genesys')))
  })

  test('an incremental rerun exports nothing and gives the same bytes as a full run', async () => {
    sim.resetStats()
    const rerun = await snapshot(sim, workspace)
    expect(rerun.outputs.changed).toBe('false')
    expect(sim.stats().byEndpoint['POST /api/v2/flows/export/jobs'] ?? 0).toBe(0)
    expect(sim.stats().byEndpoint['GET /api/v2/architect/dependencytracking/consumedresources'] ?? 0).toBe(0)
    const full = newWorkspace()
    await snapshot(sim, full, { incremental: 'false' })
    expect(await treeOf(path.join(workspace, 'genesys'))).toEqual(await treeOf(path.join(full, 'genesys')))
  })
})

describe('changes, filters and faults', () => {
  let sim: SimOrg
  beforeEach(async () => {
    sim = await startSimOrg({ seed: 9, flows: 40, clock: new VirtualClock() })
  })
  afterEach(() => sim.close())

  test('a republished flow is the only one exported again; a deleted one vanishes', async () => {
    const workspace = newWorkspace()
    const first = await snapshot(sim, workspace)
    const flows = first.manifest.resources.filter(r => r.kind === 'flow')
    const version = sim.publishFlow(flows[0].id)
    sim.deleteFlow(flows[1].id)
    sim.resetStats()
    const second = await snapshot(sim, workspace)
    expect(second.outputs.changed).toBe('true')
    expect(sim.stats().byEndpoint['POST /api/v2/flows/export/jobs']).toBe(1)
    const republished = second.manifest.resources.find(r => r.id === flows[0].id)!
    expect(republished.version).toBe(version)
    expect(await readFile(path.join(workspace, 'genesys', republished.path), 'utf8')).toBe(
      sim.org.flowYaml(flows[0].id)
    )
    const removedStillUsed = second.manifest.resources.some(r => r.dependsOn.includes(`flow:${flows[1].id}`))
    expect(second.manifest.resources.some(r => r.id === flows[1].id)).toBe(false)
    if (!removedStillUsed) {
      await expect(readFile(path.join(workspace, 'genesys', flows[1].path))).rejects.toThrow()
    }
  })

  test('a second flow of the same name leaves the first one\u2019s file where it is, and so does its going', async () => {
    const workspace = newWorkspace()
    const first = await snapshot(sim, workspace)
    const existing = first.manifest.resources.find(r => r.kind === 'flow' && !r.path.includes('__'))!
    const twin = sim.addFlow({ name: existing.name, type: existing.type! })
    // The same committed snapshot, rerun incrementally and in full.
    const full = newWorkspace()
    await cp(workspace, full, { recursive: true })
    const second = await snapshot(sim, workspace)
    await snapshot(sim, full, { incremental: 'false' })
    expect(await treeOf(path.join(full, 'genesys'))).toEqual(await treeOf(path.join(workspace, 'genesys')))

    const pathOf = (run: Run, id: string) => run.manifest.resources.find(r => r.id === id)?.path
    expect(pathOf(second, existing.id)).toBe(existing.path)
    const twinPath = pathOf(second, twin)!
    expect(twinPath).toBe(existing.path.replace(/\.yaml$/, `__${twin.replace(/-/g, '').slice(0, 8)}.yaml`))
    // Every other file stayed where it was.
    for (const r of first.manifest.resources) expect(pathOf(second, r.id)).toBe(r.path)

    // The first one goes: the second keeps its suffixed name.
    sim.deleteFlow(existing.id)
    const third = await snapshot(sim, workspace)
    expect(pathOf(third, twin)).toBe(twinPath)
    expect(pathOf(third, existing.id)).toBeUndefined()
    expect(await validateSnapshot(path.join(workspace, 'genesys'))).toEqual([])
  })

  test('a committed flow file edited by hand, or made a link, is exported again, not reused', async () => {
    const workspace = newWorkspace()
    const first = await snapshot(sim, workspace)
    const [edited, linked] = first.manifest.resources.filter(r => r.kind === 'flow')
    const editedFile = path.join(workspace, 'genesys', edited.path)
    await writeFile(editedFile, (await readFile(editedFile, 'utf8')) + '# edited by hand\n')
    // Same bytes, so the digest matches: only the link gives it away, and a link may point anywhere.
    const linkedFile = path.join(workspace, 'genesys', linked.path)
    const outside = path.join(workspace, 'outside.yaml')
    await writeFile(outside, await readFile(linkedFile))
    await rm(linkedFile)
    await symlink(outside, linkedFile)

    sim.resetStats()
    await snapshot(sim, workspace)
    // Only these two were looked up again: every other flow was reused.
    expect(sim.stats().byEndpoint['GET /api/v2/architect/dependencytracking/consumedresources']).toBe(2)
    for (const flow of [edited, linked]) {
      const file = path.join(workspace, 'genesys', flow.path)
      expect((await lstat(file)).isFile()).toBe(true)
      expect(await readFile(file, 'utf8')).toBe(sim.org.flowYaml(flow.id))
    }
    const full = newWorkspace()
    await snapshot(sim, full, { incremental: 'false' })
    expect(await treeOf(path.join(workspace, 'genesys'))).toEqual(await treeOf(path.join(full, 'genesys')))
  })

  test('with filters, a rerun reuses the flows it found and gives the same bytes as a full run', async () => {
    const filters = { 'flow-types': 'inboundcall,inqueuecall', exclude: '*test*' }
    const workspace = newWorkspace()
    await snapshot(sim, workspace, filters)
    sim.resetStats()
    const rerun = await snapshot(sim, workspace, filters)
    expect(rerun.outputs.changed).toBe('false')
    expect(sim.stats().byEndpoint['POST /api/v2/flows/export/jobs'] ?? 0).toBe(0)
    const full = newWorkspace()
    await snapshot(sim, full, { ...filters, incremental: 'false' })
    expect(await treeOf(path.join(workspace, 'genesys'))).toEqual(await treeOf(path.join(full, 'genesys')))
  })

  test('what dependency tracking calls deleted but the org still has is exported, and a gone one costs no GET', async () => {
    const usedQueues = (f: { deps: { queues: string[] } }) => f.deps.queues
    const live = sim.org.queues.find(q =>
      sim.org.flows.some(f => !f.deleted && f.publishedVersion && usedQueues(f).includes(q.id))
    )!
    // A stale index: this live queue is flagged deleted.
    sim.setFaults({ reportedDeletedIds: [live.id] })
    sim.resetStats()
    const run = await snapshot(sim, newWorkspace())
    expect(run.manifest.resources.some(r => r.kind === 'queue' && r.id === live.id)).toBe(true)
    expect(run.manifest.unresolved.some(u => u.id === live.id)).toBe(false)
    // Queues that are really gone are still "deleted", without a GET of their own.
    const gone = run.manifest.unresolved.filter(u => u.kind === 'queue')
    expect(gone.length).toBeGreaterThan(0)
    for (const u of gone) expect(u.reason).toBe('deleted')
    expect(sim.stats().byEndpoint['GET /api/v2/routing/queues/{queueId}'] ?? 0).toBe(0)
  })

  test('a skill Genesys keeps but marks deleted leaves the snapshot and is unresolved, "deleted"', async () => {
    const workspace = newWorkspace()
    const first = await snapshot(sim, workspace)
    const skill = first.manifest.resources.find(r => r.kind === 'skill')!
    const users = first.manifest.resources
      .filter(r => r.dependsOn.includes(`skill:${skill.id}`))
      .map(r => `${r.kind}:${r.id}`)
    expect(users.length).toBeGreaterThan(0)
    // Soft-deleted: its GET and the listing by id still answer 200, with state "deleted".
    sim.deleteSkill(skill.id)
    const second = await snapshot(sim, workspace)
    expect(second.manifest.resources.some(r => r.id === skill.id)).toBe(false)
    await expect(readFile(path.join(workspace, 'genesys', skill.path))).rejects.toThrow()
    const unresolved = second.manifest.unresolved.filter(u => u.id === skill.id)
    expect(unresolved.map(u => u.from).sort()).toEqual(users.sort())
    for (const u of unresolved) expect(u).toMatchObject({ kind: 'skill', reason: 'deleted' })
    expect(await validateSnapshot(path.join(workspace, 'genesys'))).toEqual([])
  })

  test('a queue another queue watches or overflows to is exported with it, though no flow names it', async () => {
    // One flow that names a queue, so most of the org's queues stay out of the snapshot.
    const root = sim.org.flows.find(
      f =>
        !f.deleted &&
        f.publishedVersion &&
        /^[\w ]+$/.test(f.name) &&
        f.deps.queues.some(q => sim.org.queue(q))
    )!
    const filters = { include: root.name }
    const workspace = newWorkspace()
    const first = await snapshot(sim, workspace, filters)
    const inSnapshot = new Set(first.manifest.resources.map(r => `${r.kind}:${r.id}`))
    const [watched, overflow] = sim.org.queues.filter(q => !inSnapshot.has(`queue:${q.id}`))
    expect(overflow).toBeDefined()
    const watcher = first.manifest.resources.find(r => r.kind === 'queue')!
    sim.editQueue(watcher.id, {
      conditionalGroupActivation: {
        pilotRule: {
          conditions: [{ simpleMetric: { metric: 'IdleAgentCount' }, operator: 'LessThan', value: 1 }]
        },
        rules: [
          {
            conditions: [
              {
                simpleMetric: { metric: 'EstimatedWaitTime', queue: { id: watched.id } },
                operator: 'GreaterThan',
                value: 60
              }
            ]
          }
        ]
      },
      conditionalGroupRouting: {
        rules: [{ queue: { id: overflow.id }, metric: 'EstimatedWaitTime', operator: 'MeetsThreshold' }]
      }
    })
    const second = await snapshot(sim, workspace, filters)
    const resource = (id: string) => second.manifest.resources.find(r => r.kind === 'queue' && r.id === id)
    expect(resource(watcher.id)!.dependsOn).toEqual(
      expect.arrayContaining([`queue:${watched.id}`, `queue:${overflow.id}`])
    )
    for (const q of [watched, overflow]) {
      expect(resource(q.id)?.name).toBe(q.name)
      const text = await readFile(path.join(workspace, 'genesys', resource(q.id)!.path), 'utf8')
      expect(text).toContain(q.id)
    }
    expect(await validateSnapshot(path.join(workspace, 'genesys'))).toEqual([])
  })

  test('every dependsOn lists what the resource uses, unresolved references included', async () => {
    const run = await snapshot(sim, newWorkspace())
    expect(run.manifest.unresolved.length).toBeGreaterThan(0)
    for (const u of run.manifest.unresolved) {
      const from = run.manifest.resources.find(r => `${r.kind}:${r.id}` === u.from)!
      expect(from.dependsOn).toContain(`${u.kind}:${u.id}`)
    }
  })

  test('a flow whose dependencies cannot be read keeps what the committed snapshot lists, and is asked about again', async () => {
    const live = sim.org.flows.filter(f => !f.deleted && f.publishedVersion)
    // A flow type and a queue only flows of that type use: dropping the type's lookups would drop the queue.
    const [type, queue] = [...new Set(live.map(f => f.type))]
      .map(t => {
        const others = new Set(live.filter(f => f.type !== t).flatMap(f => f.deps.queues))
        return [
          t,
          live
            .filter(f => f.type === t)
            .flatMap(f => f.deps.queues)
            .find(q => !others.has(q))
        ] as const
      })
      .find(([, q]) => q !== undefined)!
    const user = live.find(f => f.type === type && f.deps.queues.includes(queue!))!
    const workspace = newWorkspace()
    const first = await snapshot(sim, workspace)
    expect(first.manifest.resources.some(r => r.id === queue)).toBe(true)

    const version = sim.publishFlow(user.id)
    sim.setFaults({ untrackedFlowTypes: [type] })
    const second = await snapshot(sim, workspace)
    const entry = second.manifest.resources.find(r => r.id === user.id)!
    expect(entry.version).toBe(version)
    expect(entry.dependenciesNotRead).toBe('dependency tracking answered 400')
    expect(entry.dependsOn).toContain(`queue:${queue}`)
    expect(second.manifest.resources.some(r => r.id === queue)).toBe(true)
    expect(second.manifest.unresolved.some(u => u.id === queue)).toBe(false)
    expect(await readFile(path.join(workspace, 'genesys', entry.path), 'utf8')).toBe(
      sim.org.flowYaml(user.id)
    )
    const warned = second.lines.filter(l => l.level === 'warning' && l.message.includes(user.id))
    expect(warned.map(l => l.message)).toEqual([
      expect.stringMatching(
        /^Could not read what flow .* uses: dependency tracking answered 400 .*Kept what the committed snapshot lists/
      )
    ])
    expect(second.summary).toContain('uses: dependency tracking answered 400')
    expect(second.summary).toContain('### Dependencies not read (1)')
    // Only the republished flow was asked about: the others of its type were reused.
    const unread = second.manifest.resources.filter(r => r.dependenciesNotRead !== undefined)
    expect(unread.map(r => r.id)).toEqual([user.id])
    expect(await validateSnapshot(path.join(workspace, 'genesys'))).toEqual([])

    // A snapshot with nothing committed has nothing to keep: the type's flows list nothing.
    const fresh = await snapshot(sim, newWorkspace())
    for (const r of fresh.manifest.resources.filter(r => r.type === type)) {
      expect(r.dependenciesNotRead).toBe('dependency tracking answered 400')
      expect(r.dependsOn).toEqual([])
    }

    // Once the lookup works, the flow is asked about again although its version did not change.
    sim.setFaults({ untrackedFlowTypes: [] })
    sim.resetStats()
    const third = await snapshot(sim, workspace)
    const now = third.manifest.resources.find(r => r.id === user.id)!
    expect(now.dependenciesNotRead).toBeUndefined()
    expect(now.dependsOn).toContain(`queue:${queue}`)
    expect(sim.stats().byEndpoint['GET /api/v2/architect/dependencytracking/consumedresources']).toBe(1)
    // Its published version did not change, so its file is reused: asked about, not exported.
    expect(sim.stats().byEndpoint['POST /api/v2/flows/export/jobs']).toBeUndefined()
    const full = newWorkspace()
    await snapshot(sim, full, { incremental: 'false' })
    expect(await treeOf(path.join(full, 'genesys'))).toEqual(await treeOf(path.join(workspace, 'genesys')))

    // Refused for every flow of every type: the request is at fault, and the run says so.
    sim.setFaults({ untrackedFlowTypes: [...new Set(live.map(f => f.type))] })
    const refused = await attempt(sim, workspace, { incremental: 'false' })
    expect(refused.failure).toMatch(/consumedresources failed with 400/)
    expect(await treeOf(path.join(workspace, 'genesys'))).toEqual(await treeOf(path.join(full, 'genesys')))
  })

  test('flows of several types dependency tracking refuses are asked again by later runs, which do not fail for it', async () => {
    const live = sim.org.flows.filter(f => !f.deleted && f.publishedVersion)
    const types = [...new Set(live.map(f => f.type))].slice(0, 2)
    sim.setFaults({ untrackedFlowTypes: types })
    const workspace = newWorkspace()
    const first = await snapshot(sim, workspace)
    const unread = first.manifest.resources.filter(r => r.dependenciesNotRead !== undefined)
    expect(new Set(unread.map(r => r.type))).toEqual(new Set(types))
    expect(unread.length).toBeLessThan(first.manifest.resources.filter(r => r.kind === 'flow').length)

    // Only the refused flows are asked about, and all are refused again: the others were read before,
    // so the refusal is about these types, not a request the service does not take.
    sim.resetStats()
    const second = await snapshot(sim, workspace)
    expect(second.outputs.changed).toBe('false')
    expect(sim.stats().byEndpoint['GET /api/v2/architect/dependencytracking/consumedresources']).toBe(
      unread.length
    )
    expect(sim.stats().byEndpoint['POST /api/v2/flows/export/jobs']).toBeUndefined()
  })

  test('flows of types the API does not document for dependency tracking may all be refused: the run still finishes', async () => {
    // The SDK's objectType values for consumedresources leave out SPEECHFLOW and EMAILSENDFLOW.
    const types = ['speech', 'emailsend']
    const live = sim.org.flows.filter(f => !f.deleted && f.publishedVersion && types.includes(f.type))
    expect(new Set(live.map(f => f.type))).toEqual(new Set(types))
    sim.setFaults({ untrackedFlowTypes: types })
    const run = await snapshot(sim, newWorkspace(), { 'flow-types': types.join(', ') })
    expect(run.failure).toBeUndefined()
    const flows = run.manifest.resources.filter(r => r.kind === 'flow')
    expect(flows.map(r => r.id).sort()).toEqual(live.map(f => f.id).sort())
    for (const r of flows) expect(r.dependenciesNotRead).toBe('dependency tracking answered 400')
    const warned = run.lines.filter(l => l.level === 'warning' && /^Could not read what flow/.test(l.message))
    expect(warned).toHaveLength(live.length)
    for (const l of warned)
      expect(l.message).toMatch(/documentation does not list (SPEECHFLOW|EMAILSENDFLOW) among the types/)

    // Two documented types refused for every flow still end the run: the request is at fault.
    sim.setFaults({ untrackedFlowTypes: ['inboundcall', 'inqueuecall'] })
    const refused = await attempt(sim, newWorkspace(), { 'flow-types': 'inboundcall, inqueuecall' })
    expect(refused.failure).toMatch(/consumedresources failed with 400/)
  })

  test('a flow whose dependency listing never adds up is exported with its committed dependencies; the run goes on', async () => {
    const workspace = newWorkspace()
    const first = await snapshot(sim, workspace)
    const flow = first.manifest.resources.find(r => r.kind === 'flow' && r.dependsOn.length > 0)!
    sim.setFaults({ repeatedDependencyFlowIds: [flow.id] })
    const second = await snapshot(sim, workspace, { incremental: 'false' })
    const entry = second.manifest.resources.find(r => r.id === flow.id)!
    expect(entry.dependsOn).toEqual(flow.dependsOn)
    expect(entry.dependenciesNotRead).toMatch(/did not add up/)
    expect(second.lines.some(l => l.level === 'warning' && l.message.includes(flow.id))).toBe(true)
    // Every other flow was read as usual.
    expect(second.manifest.resources.filter(r => r.dependenciesNotRead !== undefined)).toHaveLength(1)
  })

  test('while the dependency index is not built, flows read keep their committed dependencies and are asked about again', async () => {
    const live = sim.org.flows.filter(f => !f.deleted && f.publishedVersion)
    const workspace = newWorkspace()
    const first = await snapshot(sim, workspace)
    const queues = first.manifest.resources.filter(r => r.kind === 'queue')
    expect(queues.length).toBeGreaterThan(0)

    // An index not built answers, with nothing in it: without the committed lists every queue would go.
    sim.setFaults({ dependencyBuildStatus: 'NOTBUILT', unindexedFlowIds: live.map(f => f.id) })
    const user = first.manifest.resources.find(
      r => r.kind === 'flow' && r.dependsOn.some(d => d.startsWith('queue:'))
    )!
    sim.publishFlow(user.id)
    const second = await snapshot(sim, workspace)
    expect(second.manifest.resources.filter(r => r.kind === 'queue').map(r => r.id)).toEqual(
      queues.map(r => r.id)
    )
    const entry = second.manifest.resources.find(r => r.id === user.id)!
    expect(entry.dependsOn).toEqual(user.dependsOn)
    expect(entry.dependenciesNotRead).toBe('the dependency index was not ready')
    // Only the republished flow was read; the rest were reused, as the index state does not change them.
    expect(second.manifest.resources.filter(r => r.dependenciesNotRead !== undefined).map(r => r.id)).toEqual(
      [user.id]
    )
    const warnings = second.lines.filter(l => l.level === 'warning').map(l => l.message)
    expect(warnings).toEqual([
      expect.stringMatching(/dependency index is NOTBUILT.*keeps what the committed snapshot lists/)
    ])
    expect(second.summary).toContain('### Dependencies not read (1)')
    expect(await validateSnapshot(path.join(workspace, 'genesys'))).toEqual([])

    // A full run keeps every committed list too.
    const full = await snapshot(sim, workspace, { incremental: 'false' })
    expect(full.manifest.resources.filter(r => r.kind === 'queue').map(r => r.id)).toEqual(
      queues.map(r => r.id)
    )
    expect(
      full.manifest.resources.filter(r => r.kind === 'flow').every(r => r.dependenciesNotRead !== undefined)
    ).toBe(true)

    // While the index is not ready, reruns reuse those flows outright: asking again would get the
    // same doubtful answer. A rebuild starting changes nothing in the snapshot. Every state but the
    // operational ones counts as not ready, also those only newer SDKs name, and one given as none.
    const before = await treeOf(path.join(workspace, 'genesys'))
    for (const status of ['NOTBUILT', 'BUILDINITIALIZING', 'BUILDINPROGRESS', 'BUILDINCOMPLETE', '']) {
      sim.setFaults({ dependencyBuildStatus: status })
      sim.resetStats()
      const rerun = await snapshot(sim, workspace)
      expect(rerun.outputs.changed).toBe('false')
      expect(
        sim.stats().byEndpoint['GET /api/v2/architect/dependencytracking/consumedresources']
      ).toBeUndefined()
      expect(sim.stats().byEndpoint['POST /api/v2/flows/export/jobs']).toBeUndefined()
      expect(await treeOf(path.join(workspace, 'genesys'))).toEqual(before)
    }

    // Once the index is ready, those flows are asked about again (their files reused, not exported),
    // and the snapshot is a clean run's.
    sim.setFaults({ dependencyBuildStatus: 'OPERATIONAL', unindexedFlowIds: [] })
    sim.resetStats()
    const third = await snapshot(sim, workspace)
    expect(third.manifest.resources.some(r => r.dependenciesNotRead !== undefined)).toBe(false)
    expect(sim.stats().byEndpoint['GET /api/v2/architect/dependencytracking/consumedresources']).toBe(
      full.manifest.resources.filter(r => r.kind === 'flow').length
    )
    expect(sim.stats().byEndpoint['POST /api/v2/flows/export/jobs']).toBeUndefined()
    const clean = newWorkspace()
    await snapshot(sim, clean)
    expect(await treeOf(path.join(clean, 'genesys'))).toEqual(await treeOf(path.join(workspace, 'genesys')))
  })

  test('a flow the last index build failed on keeps its committed dependencies, with a warning of its own', async () => {
    const workspace = newWorkspace()
    const first = await snapshot(sim, workspace)
    const flows = first.manifest.resources.filter(r => r.kind === 'flow' && r.dependsOn.length > 0)
    const [failed, other] = flows
    sim.setFaults({ failedIndexFlowIds: [failed.id] })
    const second = await snapshot(sim, workspace, { incremental: 'false' })
    const entry = second.manifest.resources.find(r => r.id === failed.id)!
    expect(entry.dependsOn).toEqual(failed.dependsOn)
    expect(entry.dependenciesNotRead).toBe("dependency tracking's last build could not index it")
    expect(second.manifest.resources.find(r => r.id === other.id)!.dependenciesNotRead).toBeUndefined()
    const warnings = second.lines.filter(l => l.level === 'warning').map(l => l.message)
    expect(warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `could not index flow .*${failed.id}\\) \\(FLOW_PARSE_FAILED\\).*Kept what the committed snapshot lists`
        )
      )
    ])

    // Once the build no longer names it, it is asked about again and the marker goes.
    sim.setFaults({ failedIndexFlowIds: [] })
    sim.resetStats()
    const third = await snapshot(sim, workspace)
    expect(third.manifest.resources.find(r => r.id === failed.id)!.dependenciesNotRead).toBeUndefined()
    expect(sim.stats().byEndpoint['GET /api/v2/architect/dependencytracking/consumedresources']).toBe(1)
  })

  test('a run that ends in no snapshot says nothing of the dependencies it could not read', async () => {
    const flow = sim.org.flows.find(f => !f.deleted && f.publishedVersion)!
    // Its lookup is refused and its export fails every time: the run fails on the export.
    sim.setFaults({ untrackedFlowTypes: [flow.type], failExportFlowIds: [flow.id] })
    const run = await attempt(sim, newWorkspace())
    expect(run.failure).toMatch(/Could not export/)
    expect(
      sim.stats().byEndpoint['GET /api/v2/architect/dependencytracking/consumedresources']
    ).toBeGreaterThan(0)
    expect(run.lines.filter(l => /Could not read what flow/.test(l.message))).toEqual([])
  })

  test('a flow deleted as it is looked up is exported again without it, and its 404 is not reported as unread', async () => {
    const gone = sim.org.flows.find(f => !f.deleted && f.publishedVersion)!
    // Deleted when the first lookup or export job arrives, whichever is first: its lookup answers 404
    // and its export fails, as when someone deletes it in Architect while the run is under way.
    let deleted = false
    const stop = sim.onRequest(info => {
      const first =
        info.key === 'POST /api/v2/flows/export/jobs' ||
        info.key === 'GET /api/v2/architect/dependencytracking/consumedresources'
      if (first && !deleted) {
        deleted = true
        sim.deleteFlow(gone.id)
      }
    })
    const workspace = newWorkspace()
    const run = await snapshot(sim, workspace).finally(stop)
    expect(deleted).toBe(true)
    const messages = run.lines.map(l => l.message)
    expect(messages.some(m => /changed in Genesys Cloud while the snapshot was being made/.test(m))).toBe(
      true
    )
    expect(messages.some(m => /Exporting again \(attempt 2/.test(m))).toBe(true)
    // Told apart from a failed export by the lookup endpoint (the listing's id filter is deprecated).
    expect(sim.stats().byEndpoint['GET /api/v2/flows/lookup']).toBe(1)
    expect(messages.filter(m => /Could not read what flow/.test(m))).toEqual([])
    expect(run.manifest.resources.some(r => r.id === gone.id)).toBe(false)
    expect(run.manifest.resources.some(r => r.dependenciesNotRead !== undefined)).toBe(false)
    expect(run.summary).not.toMatch(/Dependencies not read/i)
    expect(await validateSnapshot(path.join(workspace, 'genesys'))).toEqual([])
  })

  test('a committed flow that leaves the listing is kept while it answers 403, and goes once it answers 404', async () => {
    const workspace = newWorkspace()
    const first = await snapshot(sim, workspace)
    // A flow no other resource uses: only the listing put it in the snapshot.
    const used = new Set(first.manifest.resources.flatMap(r => r.dependsOn))
    const hidden = first.manifest.resources.find(r => r.kind === 'flow' && !used.has(`flow:${r.id}`))!
    const file = path.join(workspace, 'genesys', hidden.path)
    const bytes = await readFile(file, 'utf8')

    // Its division is no longer visible to the OAuth client: not listed, GET answers 403.
    sim.setFaults({ forbiddenFlowIds: [hidden.id] })
    sim.resetStats()
    const second = await snapshot(sim, workspace, { incremental: 'false' })
    expect(second.manifest.resources.find(r => r.id === hidden.id)).toEqual(hidden)
    expect(await readFile(file, 'utf8')).toBe(bytes)
    expect(second.lines.some(l => l.level === 'warning' && l.message.includes(hidden.id))).toBe(true)
    expect(sim.stats().byEndpoint['GET /api/v2/flows/{flowId}']).toBe(1)

    // Deleted for real: the GET answers 404 and the flow leaves the snapshot.
    sim.setFaults({ forbiddenFlowIds: [] })
    sim.deleteFlow(hidden.id)
    const third = await snapshot(sim, workspace)
    expect(third.manifest.resources.some(r => r.id === hidden.id)).toBe(false)
    await expect(readFile(file)).rejects.toThrow()
    expect(await validateSnapshot(path.join(workspace, 'genesys'))).toEqual([])
  })

  test('a called flow the OAuth client cannot see is unresolved as forbidden; once committed, it is kept with what it uses', async () => {
    const published = (id: string) => {
      const f = sim.org.flow(id)
      return f !== undefined && f.publishedVersion !== undefined
    }
    // A caller and the flow it calls, both published; the caller alone is picked by the filter.
    const caller = sim.org.flows.find(
      f => !f.deleted && published(f.id) && f.deps.flows.some(id => id !== f.id && published(id))
    )!
    const called = caller.deps.flows.find(id => id !== caller.id && published(id))!
    const filters = { include: caller.name, 'flow-types': caller.type }
    const workspace = newWorkspace()
    const first = await snapshot(sim, workspace, filters)
    const committed = first.manifest.resources.find(r => r.id === called)!
    expect(committed).toBeDefined()
    const bytes = await readFile(path.join(workspace, 'genesys', committed.path), 'utf8')

    // A division the client lost: the flow leaves the listing and answers 403.
    sim.setFaults({ forbiddenFlowIds: [called] })
    const fresh = await snapshot(sim, newWorkspace(), filters)
    const entry = fresh.manifest.unresolved.find(u => u.kind === 'flow' && u.id === called)
    expect(entry?.reason).toMatch(/403|forbidden/i)

    const second = await snapshot(sim, workspace, { ...filters, incremental: 'false' })
    expect(second.failure).toBeUndefined()
    const kept = second.manifest.resources.find(r => r.id === called)!
    expect(kept.path).toBe(committed.path)
    expect(await readFile(path.join(workspace, 'genesys', kept.path), 'utf8')).toBe(bytes)
    // What only the kept flow uses is still in the snapshot: its edges all survive.
    expect(kept.dependsOn).toEqual(committed.dependsOn)
    expect(
      second.lines.some(l => l.level === 'warning' && l.message.includes('Kept the committed copy'))
    ).toBe(true)
    expect(await validateSnapshot(path.join(workspace, 'genesys'))).toEqual([])
  })

  test('filters pick the roots; what they use comes along whatever its type', async () => {
    const run = await snapshot(sim, newWorkspace(), { 'flow-types': 'inboundcall', exclude: '*test*' })
    const roots = sim.org.flows.filter(
      f => !f.deleted && f.publishedVersion && f.type === 'inboundcall' && !/test/i.test(f.name)
    )
    const ids = new Set(run.manifest.resources.filter(r => r.kind === 'flow').map(r => r.id))
    for (const f of roots) expect(ids.has(f.id)).toBe(true)
    const closure = sim.org.closure(roots.map(f => f.id)) as unknown as { flows: Iterable<string> }
    for (const id of closure.flows) expect(ids.has(id)).toBe(true)
    for (const id of ids) {
      const info = sim.org.flow(id)!
      if (info.type === 'inboundcall' && !/test/i.test(info.name)) continue
      expect([...closure.flows]).toContain(id)
    }
  })

  test('an include that picks no flow, now or in the committed snapshot, stops the run; other empty picks warn', async () => {
    const workspace = newWorkspace()
    const first = await snapshot(sim, workspace)
    const committedFlows = first.manifest.resources.filter(r => r.kind === 'flow').length
    expect(committedFlows).toBeGreaterThan(0)
    const before = await treeOf(path.join(workspace, 'genesys'))

    // A typo in the only glob: every committed flow would read as deleted.
    sim.resetStats()
    const typo = await attempt(sim, workspace, { include: 'Mian IVR*' })
    expect(typo.failure).toBe(
      `Input 'include': the filters (include: 'Mian IVR*') pick none of the org's ${sim.org.flows.filter(f => !f.deleted).length} flows, nor any of the ${committedFlows} committed flows, so the snapshot would drop them all. Check the globs for a typo (each matches a whole flow name, case-insensitively; * is any run of characters, ? one character). Nothing was changed.`
    )
    expect(await treeOf(path.join(workspace, 'genesys'))).toEqual(before)
    expect(sim.stats().byEndpoint['POST /api/v2/flows/export/jobs']).toBeUndefined()

    // One glob of several matching nothing is a warning; the others still pick their flows.
    const flow = sim.org.flows.find(f => !f.deleted && f.publishedVersion && !/[,\n*?]/.test(f.name))!
    const picked = newWorkspace()
    const partial = await snapshot(sim, picked, { include: `${flow.name}, Mian IVR*` })
    expect(partial.manifest.resources.some(r => r.kind === 'flow' && r.id === flow.id)).toBe(true)
    expect(partial.lines.filter(l => l.level === 'warning' && /^Input 'include'/.test(l.message))).toEqual([
      expect.objectContaining({
        message: "Input 'include': 'Mian IVR*' matches none of the org's flows; check it for a typo."
      })
    ])

    // The one flow a glob named is deleted: the glob matched a committed flow, so that is no typo,
    // and the run records the deletion (with a warning) instead of stopping on every later run.
    sim.deleteFlow(flow.id)
    const gone = await snapshot(sim, picked, { include: flow.name })
    expect(gone.failure).toBeUndefined()
    expect(gone.manifest.resources.some(r => r.id === flow.id)).toBe(false)
    expect(
      gone.lines.some(l => l.level === 'warning' && /pick none of the org's \d+ flows/.test(l.message))
    ).toBe(true)

    // An exclude that takes everything is a choice, not a typo: a warning.
    const all = await snapshot(sim, newWorkspace(), { exclude: '*' })
    expect(all.manifest.resources).toEqual([])
    expect(all.lines.some(l => l.level === 'warning' && /\(exclude: '\*'\) pick none/.test(l.message))).toBe(
      true
    )

    // Nothing committed, nothing to lose: a warning, and a snapshot without flows.
    const fresh = await snapshot(sim, newWorkspace(), { include: 'Mian IVR*' })
    expect(fresh.failure).toBeUndefined()
    expect(fresh.manifest.resources).toEqual([])
    expect(
      fresh.lines.some(
        l =>
          l.level === 'warning' &&
          /pick none of the org's \d+ flows: the snapshot holds no flows/.test(l.message)
      )
    ).toBe(true)
  })

  test('a forbidden queue is unresolved with the reason, and the run goes on', async () => {
    const queue = sim.org.queues.find(q =>
      sim.org.flows.some(f => !f.deleted && f.publishedVersion && f.deps.queues.includes(q.id))
    )!
    sim.setFaults({ forbiddenQueueIds: [queue.id] })
    const run = await snapshot(sim, newWorkspace())
    expect(run.failure).toBeUndefined()
    const entry = run.manifest.unresolved.find(u => u.kind === 'queue' && u.id === queue.id)
    expect(entry?.reason).toMatch(/403|forbidden/i)
    expect(run.manifest.resources.some(r => r.id === queue.id)).toBe(false)
  })

  test.each([
    ['', false],
    [', even when a stale dependency index calls it deleted', true]
  ])(
    'a queue that became unreadable (403) keeps its committed file: unreadable is not deleted%s',
    async (_, stale) => {
      const workspace = newWorkspace()
      const first = await snapshot(sim, workspace)
      const queue = first.manifest.resources.find(r => r.kind === 'queue')!
      const before = await readFile(path.join(workspace, 'genesys', queue.path), 'utf8')
      sim.setFaults({ forbiddenQueueIds: [queue.id], reportedDeletedIds: stale ? [queue.id] : [] })
      sim.resetStats()
      // Not incremental: every flow is looked up again, so a stale flag is seen.
      const second = await snapshot(sim, workspace, { incremental: 'false' })
      // The flag alone does not settle it while a committed copy depends on the answer: one GET does.
      expect(sim.stats().byEndpoint['GET /api/v2/routing/queues/{queueId}']).toBe(1)
      expect(second.failure).toBeUndefined()
      const kept = second.manifest.resources.find(r => r.id === queue.id)
      expect(kept?.path).toBe(queue.path)
      expect(await readFile(path.join(workspace, 'genesys', queue.path), 'utf8')).toBe(before)
      expect(
        second.lines.some(l => l.level === 'warning' && l.message.includes('Kept the committed copy'))
      ).toBe(true)
      expect(await validateSnapshot(path.join(workspace, 'genesys'))).toEqual([])
    }
  )

  test('a checkout Git gave CRLF line endings is named once, with the fix, instead of drift alone', async () => {
    const workspace = newWorkspace()
    await snapshot(sim, workspace)
    const root = path.join(workspace, 'genesys')
    for (const file of Object.keys(await treeOf(root)).filter(f => !f.endsWith('/'))) {
      const full = path.join(root, file)
      await writeFile(full, (await readFile(full, 'utf8')).replace(/\n/g, '\r\n'))
    }
    const check = await snapshot(sim, workspace, { mode: 'check', 'fail-on-drift': 'false' })
    const crlf = check.lines.filter(
      l => l.level === 'warning' && /Windows line endings \(CRLF\)/.test(l.message)
    )
    expect(crlf).toHaveLength(1)
    expect(crlf[0].message).toContain("Add 'genesys/** -text' to .gitattributes")
  })

  test('a flow that cannot be exported fails the run and leaves the workspace as it was', async () => {
    const workspace = newWorkspace()
    const first = await snapshot(sim, workspace)
    const before = await treeOf(path.join(workspace, 'genesys'))
    const flow = first.manifest.resources.find(r => r.kind === 'flow')!
    sim.publishFlow(flow.id)
    sim.setFaults({ failExportFlowIds: [flow.id] })
    await expect(snapshot(sim, workspace)).rejects.toThrow(/Could not export 1 flow/)
    expect(await treeOf(path.join(workspace, 'genesys'))).toEqual(before)
  })
})
