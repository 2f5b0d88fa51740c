import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { buildManifest, serializeManifest, sha256Hex } from './manifest.js'
import { folderView, readCurrentSnapshot } from './read.js'

let work: string
let snap: string

beforeEach(() => {
  work = mkdtempSync(path.join(tmpdir(), 'read-test-'))
  snap = path.join(work, 'genesys')
})
afterEach(() => rmSync(work, { recursive: true, force: true }))

function put(rel: string, text: string, root = snap): void {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true })
  writeFileSync(path.join(root, rel), text)
}

describe('readCurrentSnapshot', () => {
  test('a missing folder is not an error: there is no snapshot yet', async () => {
    expect(await readCurrentSnapshot(snap)).toEqual({ exists: false, manifestProblems: [] })
  })

  test('a folder without manifest.json says so', async () => {
    mkdirSync(snap)
    const r = await readCurrentSnapshot(snap)
    expect(r.exists).toBe(true)
    expect(r.manifest).toBeUndefined()
    expect(r.manifestProblems[0].message).toMatch(/manifest.json is missing/)
  })

  test('reads a valid manifest', async () => {
    const m = buildManifest(
      [
        {
          kind: 'skill',
          id: 's',
          name: 'French',
          path: 'skills/French.yaml',
          sha256: sha256Hex('x'),
          dependsOn: []
        }
      ],
      []
    )
    put('manifest.json', serializeManifest(m))
    expect(await readCurrentSnapshot(snap)).toEqual({
      exists: true,
      manifest: m,
      manifestProblems: [],
      crlf: false
    })
    // A checkout with CRLF line endings still parses, and says so.
    put('manifest.json', serializeManifest(m).replace(/\n/g, '\r\n'))
    expect(await readCurrentSnapshot(snap)).toEqual({
      exists: true,
      manifest: m,
      manifestProblems: [],
      crlf: true
    })
  })

  test('an unreadable manifest gives problems and no manifest', async () => {
    put('manifest.json', '[]')
    const r = await readCurrentSnapshot(snap)
    expect(r.manifest).toBeUndefined()
    expect(r.manifestProblems.length).toBeGreaterThan(0)
  })
})

describe('folderView', () => {
  test('reads files inside the folder and nothing outside it', async () => {
    put('queues/Support.yaml', 'name: Support\n')
    put('manifest.json', '{}\n')
    put('secret.txt', 'secret', work)
    mkdirSync(path.join(snap, 'skills'))
    symlinkSync(path.join(work, 'secret.txt'), path.join(snap, 'skills/link.yaml'))
    symlinkSync(work, path.join(snap, 'flows'))
    const view = folderView(snap)
    expect(await view.read('queues/Support.yaml')).toBe('name: Support\n')
    expect(await view.read('manifest.json')).toBe('{}\n')
    expect(await view.read('queues/Missing.yaml')).toBeUndefined()
    expect(await view.read('../secret.txt')).toBeUndefined()
    expect(await view.read(path.join(work, 'secret.txt'))).toBeUndefined()
    expect(await view.read('skills/link.yaml')).toBeUndefined()
    expect(await view.read('flows/secret.txt')).toBeUndefined()
    expect(await view.read('queues')).toBeUndefined()
  })

  test('lists the files of the managed folders, listed in the manifest or not, and nothing beside them', async () => {
    put('queues/Support.yaml', 'name: Support\n')
    put('queues/README.md', 'notes\n')
    put('flows/inboundcall/Main.yaml', 'x\n')
    put('README.md', 'ours\n')
    put('docs/queues/notes.md', 'ours\n')
    put('manifest.json', '{}\n')
    symlinkSync('Support.yaml', path.join(snap, 'queues/link.yaml'))
    expect((await folderView(snap).managedFiles()).sort()).toEqual([
      'flows/inboundcall/Main.yaml',
      'queues/README.md',
      'queues/Support.yaml',
      'queues/link.yaml'
    ])
    expect(await folderView(path.join(work, 'missing')).managedFiles()).toEqual([])
  })

  test('carries the manifest it was given', () => {
    const m = buildManifest([], [])
    expect(folderView(snap, m).manifest).toBe(m)
  })
})
