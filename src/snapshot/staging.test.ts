import { createHash } from 'node:crypto'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { memoryLog } from '../common/log.js'
import { buildManifest, serializeManifest, sha256Hex } from './manifest.js'
import { checkInsideWorkspace, SnapshotStaging } from './staging.js'
import { readCurrentSnapshot } from './read.js'

let work: string
let snap: string

beforeEach(() => {
  work = mkdtempSync(path.join(tmpdir(), 'staging-test-'))
  snap = path.join(work, 'genesys')
})
afterEach(() => rmSync(work, { recursive: true, force: true }))

function put(rel: string, text: string, root = snap): void {
  const full = path.join(root, rel)
  mkdirSync(path.dirname(full), { recursive: true })
  writeFileSync(full, text)
}

function read(rel: string, root = snap): string {
  return readFileSync(path.join(root, rel), 'utf8')
}

/** Every file under `root`, relative, sorted. */
function tree(root: string): string[] {
  const out: string[] = []
  const walk = (rel: string) => {
    for (const e of readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${e.name}` : e.name
      if (e.isDirectory()) walk(child)
      else out.push(child)
    }
  }
  walk('')
  return out.sort()
}

function leftovers(): string[] {
  return readdirSync(work).filter(n => n.startsWith('.genesys.'))
}

/** An existing snapshot with one queue, listed in its manifest. */
function seedSnapshot(): void {
  put('queues/Support.yaml', 'name: Support\n')
  const m = buildManifest(
    [
      {
        kind: 'queue',
        id: 'q1',
        name: 'Support',
        path: 'queues/Support.yaml',
        sha256: sha256Hex('name: Support\n'),
        dependsOn: []
      }
    ],
    []
  )
  put('manifest.json', serializeManifest(m))
}

describe('SnapshotStaging', () => {
  test('stages beside the snapshot folder and swaps in on commit', async () => {
    seedSnapshot()
    const staging = await SnapshotStaging.create(snap)
    expect(path.dirname(staging.dir)).toBe(work)
    expect(path.basename(staging.dir)).toMatch(/^\.genesys\.staging-/)

    const written = await staging.writeFile('queues/Sales.yaml', 'name: Sales\n')
    expect(written).toEqual({ sha256: sha256Hex('name: Sales\n'), size: 12 })
    await staging.writeFile('manifest.json', '{}\n')
    // Until commit, the workspace shows the old snapshot only.
    expect(tree(snap)).toEqual(['manifest.json', 'queues/Support.yaml'])

    await staging.commit()
    expect(tree(snap)).toEqual(['manifest.json', 'queues/Sales.yaml'])
    expect(read('manifest.json')).toBe('{}\n')
    expect(leftovers()).toEqual([])
    await expect(staging.writeFile('queues/x.yaml', 'x')).rejects.toThrow(/already committed/)
  })

  test('the first snapshot creates the folder (and missing parents)', async () => {
    const nested = path.join(work, 'config', 'genesys')
    const staging = await SnapshotStaging.create(nested)
    await staging.writeFile('skills/French.yaml', 'name: French\n')
    await staging.commit()
    expect(tree(nested)).toEqual(['skills/French.yaml'])
  })

  test.each(['../x', '/abs', 'a/../../x', 'a/../b', 'a\\b', '', './x', 'a//b', 'C:/x', 'queues/\u0000'])(
    'writeFile refuses %j',
    async rel => {
      const staging = await SnapshotStaging.create(snap)
      await expect(staging.writeFile(rel, 'x')).rejects.toThrow(/Refusing to write/)
      await expect(staging.writeStream(rel, Readable.from([Buffer.from('x')]))).rejects.toThrow(/Refusing/)
      expect(existsSync(path.join(work, 'x'))).toBe(false)
      await staging.discard()
    }
  )

  test('refuses two paths that differ only in case (they clash on macOS and Windows)', async () => {
    const staging = await SnapshotStaging.create(snap)
    await staging.writeFile('queues/Support.yaml', 'a')
    await staging.writeFile('queues/Support.yaml', 'b') // rewriting the same path is fine
    await expect(staging.writeFile('queues/support.yaml', 'c')).rejects.toThrow(/differs only in case/)
  })

  test('writeStream hashes what it writes, from async iterables and node streams', async () => {
    const staging = await SnapshotStaging.create(snap)
    const chunks = ['inboundCall:\n', '  name: Main\n', '  description: é\n']
    const expected = createHash('sha256').update(chunks.join('')).digest('hex')
    const fromIterable = await staging.writeStream(
      'flows/inboundcall/A.yaml',
      (async function* () {
        for (const c of chunks) yield new TextEncoder().encode(c)
      })()
    )
    const fromStream = await staging.writeStream(
      'flows/inboundcall/B.yaml',
      Readable.from(chunks.map(c => Buffer.from(c)))
    )
    expect(fromIterable).toEqual({ sha256: expected, size: Buffer.byteLength(chunks.join('')) })
    expect(fromStream).toEqual(fromIterable)
    expect(read('flows/inboundcall/A.yaml', staging.dir)).toBe(chunks.join(''))
  })

  test('a failing stream leaves no partial file', async () => {
    const staging = await SnapshotStaging.create(snap)
    const source = (async function* () {
      yield Buffer.from('partial')
      throw new Error('connection reset')
    })()
    await expect(staging.writeStream('flows/inboundcall/A.yaml', source)).rejects.toThrow('connection reset')
    expect(existsSync(path.join(staging.dir, 'flows/inboundcall/A.yaml'))).toBe(false)
  })

  test('copyFromCurrent reuses a file unchanged and refuses links', async () => {
    seedSnapshot()
    put('flows/inboundcall/Main.yaml', 'inboundCall:\n  name: Main\n')
    const outside = path.join(work, 'outside')
    put('secret.yaml', 'secret: 1\n', outside)
    symlinkSync(path.join(outside, 'secret.yaml'), path.join(snap, 'flows/inboundcall/Link.yaml'))
    symlinkSync(outside, path.join(snap, 'flows/linked'))

    const staging = await SnapshotStaging.create(snap)
    const copied = await staging.copyFromCurrent('flows/inboundcall/Main.yaml')
    expect(copied.sha256).toBe(sha256Hex('inboundCall:\n  name: Main\n'))
    expect(read('flows/inboundcall/Main.yaml', staging.dir)).toBe('inboundCall:\n  name: Main\n')
    await expect(staging.copyFromCurrent('flows/inboundcall/Link.yaml')).rejects.toThrow(/not a regular file/)
    await expect(staging.copyFromCurrent('flows/linked/secret.yaml')).rejects.toThrow(/outside/)
    await expect(staging.copyFromCurrent('../outside/secret.yaml')).rejects.toThrow(
      /not a safe relative path/
    )
    await expect(staging.copyFromCurrent('flows/inboundcall/Gone.yaml')).rejects.toThrow(
      /Cannot reuse "flows\/inboundcall\/Gone.yaml" from the current snapshot: it is gone/
    )
  })

  test.each([
    ['reading the manifest itself', false],
    ['given the manifest its caller read', true]
  ])('commit keeps files the action does not manage and drops what it does, %s', async (_how, given) => {
    seedSnapshot()
    put('README.md', '# Our Genesys config\n')
    put('docs/notes.md', 'notes\n')
    put('.gitattributes', '*.yaml text\n')
    symlinkSync('README.md', path.join(snap, 'LINK.md'))
    put('flows/inboundcall/Stale.yaml', 'old\n') // in a managed folder, not in the manifest
    const log = memoryLog()

    const staging = await SnapshotStaging.create(snap, log)
    await staging.writeFile('queues/Sales.yaml', 'name: Sales\n')
    await staging.writeFile('manifest.json', '{}\n')
    await staging.commit(given ? await readCurrentSnapshot(snap) : undefined)

    expect(tree(snap)).toEqual([
      '.gitattributes',
      'LINK.md',
      'README.md',
      'docs/notes.md',
      'manifest.json',
      'queues/Sales.yaml'
    ])
    expect(read('README.md')).toBe('# Our Genesys config\n')
    expect(readlinkSync(path.join(snap, 'LINK.md'))).toBe('README.md')
    expect(log.lines.some(l => l.message.includes('flows/inboundcall/Stale.yaml'))).toBe(true)
  })

  test('without a readable manifest, the managed folders still count as managed', async () => {
    put('queues/Old.yaml', 'x\n')
    put('manifest.json', '{ not json')
    put('README.md', 'keep\n')
    const staging = await SnapshotStaging.create(snap)
    await staging.writeFile('queues/New.yaml', 'y\n')
    await staging.commit()
    expect(tree(snap)).toEqual(['README.md', 'queues/New.yaml'])
  })

  test('a file the new snapshot writes itself wins over the old one', async () => {
    put('notes.txt', 'old\n')
    const staging = await SnapshotStaging.create(snap)
    await staging.writeFile('notes.txt', 'new\n')
    await staging.commit()
    expect(read('notes.txt')).toBe('new\n')
  })

  test('discard leaves the current snapshot as it was', async () => {
    seedSnapshot()
    const staging = await SnapshotStaging.create(snap)
    await staging.writeFile('queues/Sales.yaml', 'x')
    await staging.discard()
    await staging.discard()
    expect(tree(snap)).toEqual(['manifest.json', 'queues/Support.yaml'])
    expect(leftovers()).toEqual([])
  })

  describe('recovering from a killed run', () => {
    test('a leftover staging folder is removed', async () => {
      seedSnapshot()
      put('queues/Half.yaml', 'half', path.join(work, '.genesys.staging-abc123'))
      const log = memoryLog()
      const staging = await SnapshotStaging.create(snap, log)
      expect(leftovers()).toEqual([path.basename(staging.dir)])
      expect(tree(snap)).toEqual(['manifest.json', 'queues/Support.yaml'])
      expect(log.lines.some(l => l.message.includes('.genesys.staging-abc123'))).toBe(true)
    })

    test('killed between the two renames: the previous snapshot is restored', async () => {
      // State after `<path>` → previous-* and before staging → `<path>`.
      put('queues/Support.yaml', 'old\n', path.join(work, '.genesys.previous-k1ll3d'))
      put('queues/Support.yaml', 'new, never committed\n', path.join(work, '.genesys.staging-k1ll3d'))
      const log = memoryLog()
      const staging = await SnapshotStaging.create(snap, log)
      expect(read('queues/Support.yaml')).toBe('old\n')
      expect(leftovers()).toEqual([path.basename(staging.dir)])
      expect(log.lines.some(l => l.level === 'warning' && l.message.includes('Restored'))).toBe(true)
    })

    test('killed after the swap: the new snapshot stays and the previous folder goes', async () => {
      put('queues/Support.yaml', 'new\n')
      put('queues/Support.yaml', 'old\n', path.join(work, '.genesys.previous-k1ll3d'))
      const staging = await SnapshotStaging.create(snap)
      expect(read('queues/Support.yaml')).toBe('new\n')
      expect(leftovers()).toEqual([path.basename(staging.dir)])
    })

    test('leftovers of another folder with a similar name are not touched', async () => {
      put('x', 'other', path.join(work, '.genesys-old.staging-1'))
      await SnapshotStaging.create(snap)
      expect(existsSync(path.join(work, '.genesys-old.staging-1', 'x'))).toBe(true)
    })
  })

  test('refuses a snapshot path that is a file or a link', async () => {
    writeFileSync(snap, 'not a folder')
    await expect(SnapshotStaging.create(snap)).rejects.toThrow(/not a folder/)
    rmSync(snap)
    mkdirSync(path.join(work, 'real'))
    symlinkSync(path.join(work, 'real'), snap)
    await expect(SnapshotStaging.create(snap)).rejects.toThrow(/symbolic link/)
  })
})

describe('checkInsideWorkspace', () => {
  let root: string
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'inside-test-'))
    mkdirSync(path.join(root, 'ws', 'real'), { recursive: true })
    mkdirSync(path.join(root, 'outside', 'sub'), { recursive: true })
  })
  afterEach(() => rmSync(root, { recursive: true, force: true }))
  const ws = () => path.join(root, 'ws')

  test('refuses a folder a parent link places outside the workspace, naming the link', async () => {
    symlinkSync(path.join(root, 'outside'), path.join(ws(), 'cfg'))
    await expect(checkInsideWorkspace(path.join(ws(), 'cfg', 'genesys'), ws())).rejects.toThrow(
      `The path input's folder leads out of the workspace: cfg resolves to ${path.join(root, 'outside')} through a symbolic link. Point path at a folder inside the repository.`
    )
    // Deeper, through a folder that exists beyond the link.
    await expect(checkInsideWorkspace(path.join(ws(), 'cfg', 'sub', 'x', 'genesys'), ws())).rejects.toThrow(
      /cfg\/sub resolves to .*outside.sub through a symbolic link/
    )
  })

  test('takes folders that do not exist yet, real ones, and links that stay inside', async () => {
    await checkInsideWorkspace(path.join(ws(), 'genesys'), ws())
    await checkInsideWorkspace(path.join(ws(), 'a', 'b', 'genesys'), ws())
    await checkInsideWorkspace(path.join(ws(), 'real', 'genesys'), ws())
    mkdirSync(path.join(ws(), '..cfg'))
    await checkInsideWorkspace(path.join(ws(), '..cfg', 'genesys'), ws())
    symlinkSync(path.join(ws(), 'real'), path.join(ws(), 'alias'))
    await checkInsideWorkspace(path.join(ws(), 'alias', 'genesys'), ws())
  })
})
