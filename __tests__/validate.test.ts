/**
 * mode: validate against a snapshot folder built with the snapshot module itself (real Archy flows,
 * canonical queues/skills, redacted data actions, manifest), then against each kind of corruption.
 */
import { fileURLToPath } from 'node:url'
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { parse } from 'yaml'
import { canonicalYaml } from '../src/snapshot/canonical.js'
import { buildManifest, parseManifest, serializeManifest, sha256Hex } from '../src/snapshot/manifest.js'
import type { Manifest, ManifestResource, ResourceRef } from '../src/snapshot/model.js'
import { assignFileNames } from '../src/snapshot/names.js'
import { REDACTED, redactDataAction } from '../src/snapshot/redact.js'
import { SnapshotStaging } from '../src/snapshot/staging.js'
import { validateSnapshot, type ValidationProblem } from '../src/snapshot/validate.js'

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../test/sim/fixtures')
const SECRET = 'Zx9kQ2mP7vR4tY8w'

let work: string
let pristine: string

/** Archy's top-level key → the flow type folder (inboundCall → inboundcall, botFlow → bot). */
function flowType(archyKey: string): string {
  return archyKey.toLowerCase().replace(/flow$/, '')
}

async function buildSnapshot(dir: string): Promise<void> {
  const staging = await SnapshotStaging.create(dir)
  const resources: ManifestResource[] = []

  const queues = [
    {
      id: 'a1b2c3d4-0000-4000-8000-000000000001',
      name: 'Support',
      memberCount: 3,
      selfUri: '/q/1',
      bullseye: {
        rings: [
          { actions: { skillsToRemove: [{ id: 'b0000000-0000-4000-8000-000000000002', name: 'spanish' }] } }
        ]
      }
    },
    { id: 'a1b2c3d4-0000-4000-8000-000000000002', name: 'support', memberCount: 9 }
  ]
  const skills = [
    { id: 'b0000000-0000-4000-8000-000000000001', name: 'French', version: '4' },
    { id: 'b0000000-0000-4000-8000-000000000002', name: 'Spanish', version: '2' }
  ]
  const actionFiles = readdirSync(path.join(FIXTURES, 'data-actions')).slice(0, 4)
  const actions = actionFiles.map((f, i) => ({
    id: `custom_-_c0000000-0000-4000-8000-00000000000${i}`,
    ...JSON.parse(readFileSync(path.join(FIXTURES, 'data-actions', f), 'utf8'))
  }))
  // One action as people really write them: a literal token, which the snapshot must not keep.
  actions[0].config.request.headers = { Authorization: `Bearer ${SECRET}` }

  for (const [kind, folder, list] of [
    ['queue', 'queues', queues],
    ['skill', 'skills', skills],
    ['data-action', 'data-actions', actions]
  ] as const) {
    const names = assignFileNames(list.map(o => ({ id: o.id, name: o.name })))
    for (const o of list) {
      const value = kind === 'data-action' ? redactDataAction(o).value : o
      const rel = `${folder}/${names.get(o.id)}`
      const written = await staging.writeFile(rel, canonicalYaml(kind, value))
      const dependsOn: ResourceRef[] =
        kind === 'queue' && o.id.endsWith('1') ? ['skill:b0000000-0000-4000-8000-000000000002'] : []
      resources.push({ kind, id: o.id, name: o.name, path: rel, sha256: written.sha256, dependsOn })
    }
  }

  const byType = new Map<string, { id: string; name: string; text: string }[]>()
  readdirSync(path.join(FIXTURES, 'flows')).forEach((f, i) => {
    // Blueprint placeholders ({{name}}) replaced, as a real export would have names there.
    const text = readFileSync(path.join(FIXTURES, 'flows', f), 'utf8').replace(
      /\{\{\s*([\w.-]+)\s*\}\}/g,
      '$1'
    )
    const doc = parse(text) as Record<string, { name?: string }>
    const key = Object.keys(doc)[0]
    const type = flowType(key)
    const list = byType.get(type) ?? []
    list.push({
      id: `f0000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      name: String(doc[key].name ?? f),
      text
    })
    byType.set(type, list)
  })
  for (const [type, flows] of byType) {
    const names = assignFileNames(flows)
    for (const f of flows) {
      const rel = `flows/${type}/${names.get(f.id)}`
      const written = await staging.writeStream(rel, Readable.from([Buffer.from(f.text)]))
      resources.push({
        kind: 'flow',
        id: f.id,
        name: f.name,
        type,
        version: '1.0',
        path: rel,
        sha256: written.sha256,
        dependsOn: ['queue:a1b2c3d4-0000-4000-8000-000000000001', 'queue:deleted-queue']
      })
    }
  }
  const unresolved = resources
    .filter(r => r.kind === 'flow')
    .map(r => ({
      from: `flow:${r.id}` as ResourceRef,
      kind: 'queue' as const,
      id: 'deleted-queue',
      reason: 'deleted'
    }))
  await staging.writeFile('manifest.json', serializeManifest(buildManifest(resources, unresolved)))
  await staging.commit()
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'validate-test-'))
  pristine = path.join(work, 'pristine')
  await buildSnapshot(pristine)
  writeFileSync(path.join(pristine, 'README.md'), '# Genesys snapshot\nManaged by a workflow.\n')
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

let counter = 0
/** A fresh copy of the valid snapshot to corrupt. */
function copy(): string {
  const dir = path.join(work, `case-${counter++}`, 'genesys')
  cpSync(pristine, dir, { recursive: true })
  return dir
}

function manifestOf(dir: string): Manifest {
  return parseManifest(readFileSync(path.join(dir, 'manifest.json'), 'utf8')).manifest!
}

function writeManifest(dir: string, m: Manifest): void {
  writeFileSync(path.join(dir, 'manifest.json'), serializeManifest(m))
}

/** Rewrites a listed file and its digest, so only the content check can object. */
function replaceListed(dir: string, kind: string, text: string): string {
  const m = manifestOf(dir)
  const r = m.resources.find(x => x.kind === kind)!
  writeFileSync(path.join(dir, r.path), text)
  r.sha256 = sha256Hex(text)
  writeManifest(dir, m)
  return r.path
}

function only(problems: ValidationProblem[]): ValidationProblem {
  expect(problems).toHaveLength(1)
  return problems[0]
}

describe('validateSnapshot', () => {
  test('passes on a snapshot the snapshot module built (README at the root is fine)', async () => {
    expect(await validateSnapshot(pristine)).toEqual([])
    const m = manifestOf(pristine)
    expect(m.resources.filter(r => r.kind === 'flow').length).toBeGreaterThan(20)
    // The literal token was redacted on the way in.
    const action = m.resources.find(r => r.kind === 'data-action')!
    expect(readFileSync(path.join(pristine, action.path), 'utf8')).toContain(REDACTED)
  })

  test('a missing folder', async () => {
    const p = only(await validateSnapshot(path.join(work, 'nowhere')))
    expect(p.file).toBe('.')
    expect(p.message).toMatch(/does not exist/)
  })

  test('a missing manifest', async () => {
    const dir = copy()
    rmSync(path.join(dir, 'manifest.json'))
    const p = only(await validateSnapshot(dir))
    expect(p).toMatchObject({ file: 'manifest.json' })
    expect(p.message).toMatch(/missing.*snapshot/)
  })

  test('a manifest that is not JSON, with its line', async () => {
    const dir = copy()
    const text = readFileSync(path.join(dir, 'manifest.json'), 'utf8').split('\n')
    text[7] = text[7].replace(/,$/, '')
    writeFileSync(path.join(dir, 'manifest.json'), text.join('\n'))
    const problems = await validateSnapshot(dir)
    const p = problems.find(x => x.file === 'manifest.json')!
    expect(p.message).toMatch(/not valid JSON.*re-run the snapshot/)
    expect(p.line).toBeGreaterThanOrEqual(8)
  })

  test('a manifest that breaks the contract', async () => {
    const dir = copy()
    writeManifest(dir, { ...manifestOf(dir), schemaVersion: 2 as 1 })
    const p = only(await validateSnapshot(dir))
    expect(p).toMatchObject({ file: 'manifest.json', line: 2 })
    expect(p.message).toMatch(/schemaVersion/)
  })

  test.each([
    ['a reserved device name', 'CON.yaml'],
    ['a hidden file', '.hidden.yaml'],
    ['a space and a colon', 'a b:c.yaml'],
    ['another extension', 'Support.txt'],
    ['an id suffix of another id', 'Support__00000000.yaml']
  ])('a file renamed by hand, with its manifest entry: %s', async (_what, fileName) => {
    const dir = copy()
    const m = manifestOf(dir)
    const victim = m.resources.find(r => r.kind === 'queue')!
    const renamed = `queues/${fileName}`
    cpSync(path.join(dir, victim.path), path.join(dir, renamed))
    rmSync(path.join(dir, victim.path))
    victim.path = renamed
    writeManifest(dir, { ...m, resources: [...m.resources] })
    const p = only(await validateSnapshot(dir))
    expect(p.file).toBe('manifest.json')
    expect(p.message).toContain(`file name "${renamed}" is not one the action gives "${victim.name}"`)
  })

  test('a name edited by hand in the manifest no longer fits its file', async () => {
    const dir = copy()
    const m = manifestOf(dir)
    const victim = m.resources.find(r => r.kind === 'skill')!
    victim.name = 'Renamed by hand'
    writeManifest(dir, m)
    expect(only(await validateSnapshot(dir)).message).toContain(`file name "${victim.path}"`)
  })

  test.each([
    ['without its type', undefined],
    ['with its type in upper case', 'INBOUNDCALL']
  ])('a flow entry %s', async (_what, type) => {
    const dir = copy()
    const m = manifestOf(dir)
    const victim = m.resources.find(r => r.kind === 'flow')!
    if (type === undefined) delete victim.type
    else victim.type = type
    writeManifest(dir, m)
    expect(only(await validateSnapshot(dir)).message).toMatch(/"type" must be its flow type in lower case/)
  })

  test('a listed file that is missing', async () => {
    const dir = copy()
    const victim = manifestOf(dir).resources.find(r => r.kind === 'skill')!
    rmSync(path.join(dir, victim.path))
    const p = only(await validateSnapshot(dir))
    expect(p.file).toBe(victim.path)
    expect(p.message).toMatch(/missing; re-run the snapshot, or restore the file from the snapshot PR/)
  })

  test('a file whose sha256 differs', async () => {
    const dir = copy()
    const victim = manifestOf(dir).resources.find(r => r.kind === 'queue')!
    writeFileSync(
      path.join(dir, victim.path),
      readFileSync(path.join(dir, victim.path), 'utf8') + 'description: edited by hand\n'
    )
    const p = only(await validateSnapshot(dir))
    expect(p.file).toBe(victim.path)
    expect(p.message).toMatch(/sha256.*Genesys Cloud/)
  })

  test('a file Git gave CRLF line endings at checkout is named as such, with the fix', async () => {
    const dir = copy()
    const victim = manifestOf(dir).resources.find(r => r.kind === 'queue')!
    const file = path.join(dir, victim.path)
    writeFileSync(file, readFileSync(file, 'utf8').replace(/\n/g, '\r\n'))
    const p = only(await validateSnapshot(dir))
    expect(p.file).toBe(victim.path)
    expect(p.message).toMatch(/Windows line endings \(CRLF\).*-text' to \.gitattributes/)
    // CRLF and an edit: a change like any other.
    writeFileSync(file, readFileSync(file, 'utf8') + 'description: edited by hand\r\n')
    expect(only(await validateSnapshot(dir)).message).toMatch(/was changed after the snapshot was taken/)
  })

  test('a dependsOn edge that points nowhere', async () => {
    const dir = copy()
    const m = manifestOf(dir)
    const skill = m.resources.find(r => r.kind === 'skill')!
    skill.dependsOn = ['queue:no-such-queue']
    writeManifest(dir, m)
    const p = only(await validateSnapshot(dir))
    expect(p.file).toBe('manifest.json')
    expect(p.message).toMatch(/queue:no-such-queue.*neither a resource nor an unresolved entry/)
    const lines = readFileSync(path.join(dir, 'manifest.json'), 'utf8').split('\n')
    expect(lines[p.line! - 1]).toContain('queue:no-such-queue')
  })

  test('a YAML file that does not parse, with its line', async () => {
    const dir = copy()
    const file = replaceListed(dir, 'flow', 'inboundCall:\n  name: Broken\n  menus: [unclosed\n  other: x\n')
    const p = only(await validateSnapshot(dir))
    expect(p.file).toBe(file)
    expect(p.message).toMatch(/not valid YAML/)
    expect(p.line).toBeGreaterThanOrEqual(3)
  })

  test('an unlisted file in a managed folder', async () => {
    const dir = copy()
    mkdirSync(path.join(dir, 'flows/inboundcall'), { recursive: true })
    writeFileSync(path.join(dir, 'flows/inboundcall/Hand_made.yaml'), 'inboundCall:\n  name: Hand made\n')
    writeFileSync(path.join(dir, 'queues/notes.md'), 'notes\n')
    const problems = await validateSnapshot(dir)
    expect(problems.map(p => p.file)).toEqual(['flows/inboundcall/Hand_made.yaml', 'queues/notes.md'])
    expect(problems[0].message).toMatch(/not listed in manifest.json; delete it, or re-run the snapshot/)
  })

  test('an unredacted credential, with its line', async () => {
    const dir = copy()
    const text = [
      'config:',
      '  request:',
      '    headers:',
      `      Authorization: Bearer ${SECRET}`,
      '    requestUrlTemplate: https://api.example.com/x',
      'name: Leaky'
    ].join('\n')
    const file = replaceListed(dir, 'data-action', text + '\n')
    const p = only(await validateSnapshot(dir))
    expect(p).toMatchObject({ file, line: 4 })
    expect(p.message).toMatch(/credential.*Authorization.*re-run the snapshot/)
  })

  test('a credential in a flow is reported with flow-specific advice', async () => {
    const dir = copy()
    const file = replaceListed(
      dir,
      'flow',
      `inboundCall:\n  name: X\n  url: https://svc:${SECRET}@vendor.example/api\n`
    )
    const p = only(await validateSnapshot(dir))
    expect(p).toMatchObject({ file, line: 3 })
    expect(p.message).toMatch(/password in a URL.*move the secret out of the flow/)
  })

  test('paths that escape the folder are reported and never read', async () => {
    const dir = copy()
    writeFileSync(path.join(work, 'outside.yaml'), `token: Bearer ${SECRET}\nbroken: [\n`)
    const m = manifestOf(dir)
    m.resources.find(r => r.kind === 'skill')!.path = '../../outside.yaml'
    writeManifest(dir, m)
    const problems = await validateSnapshot(dir)
    expect(problems.length).toBeGreaterThan(0)
    expect(problems.every(p => p.file === 'manifest.json')).toBe(true)
    expect(problems.map(p => p.message).join('\n')).toMatch(/leaves the snapshot folder/)
    expect(problems.map(p => p.message).join('\n')).not.toMatch(/YAML|credential/)
  })

  test('a listed file that is a link out of the folder is reported, not followed', async () => {
    const dir = copy()
    const m = manifestOf(dir)
    const skill = m.resources.find(r => r.kind === 'skill')!
    writeFileSync(path.join(work, 'target.yaml'), 'name: French\n')
    rmSync(path.join(dir, skill.path))
    symlinkSync(path.join(work, 'target.yaml'), path.join(dir, skill.path))
    const p = only(await validateSnapshot(dir))
    expect(p.file).toBe(skill.path)
    expect(p.message).toMatch(/symbolic link/)
  })

  test('without a usable manifest, the managed folders are still checked', async () => {
    const dir = copy()
    writeFileSync(path.join(dir, 'manifest.json'), '{"schemaVersion": 1}')
    writeFileSync(path.join(dir, 'queues/Leak.yaml'), `url: https://u:${SECRET}@h.example/x\n`)
    const problems = await validateSnapshot(dir)
    expect(problems.some(p => p.file === 'manifest.json')).toBe(true)
    expect(problems).toContainEqual(expect.objectContaining({ file: 'queues/Leak.yaml', line: 1 }))
  })
})
