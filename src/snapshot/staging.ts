/**
 * The new snapshot is written into a temporary folder beside `<path>` (same file system, so renames are
 * atomic) and swapped in at the end, so a run killed at any point leaves the workspace with the old
 * snapshot or the new one, never a mix.
 *
 * Swap: `<path>` → `.<base>.previous-*`, staging → `<path>`, then the previous folder is removed. A run
 * killed between the two renames leaves no `<path>` but a previous-* folder: the next run restores it.
 */
import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import {
  copyFile,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readlink,
  realpath,
  rename,
  rm,
  stat,
  symlink,
  writeFile as writeBytes
} from 'node:fs/promises'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { silentLog, type Log } from '../common/log.js'
import { hashFile, pathProblem } from './manifest.js'
import { foldName } from './names.js'
import { MANAGED_FOLDERS, MANIFEST_FILE, type Manifest } from './model.js'
import { locateInside, readCurrentSnapshot, type Located } from './read.js'

export interface WrittenFile {
  sha256: string
  size: number
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p)
    return true
  } catch (error) {
    if (isMissing(error)) return false
    throw error
  }
}

/** Windows may hold a folder briefly (indexer, antivirus): a few quick retries, then the real error. */
async function renameWithRetry(from: string, to: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await rename(from, to)
      return
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      const transient = code === 'EPERM' || code === 'EBUSY' || code === 'EACCES'
      if (!transient || process.platform !== 'win32' || attempt >= 5) throw error
      await new Promise(resolve => setTimeout(resolve, 100 * (attempt + 1)))
    }
  }
}

/** Why a file of the current snapshot cannot be reused, as copyFromCurrent says it. */
const REFUSALS: Record<Extract<Located, { refused: unknown }>['refused'], string> = {
  missing: 'it is gone',
  'unsafe path': 'the path is not a safe relative path',
  'not a regular file': 'not a regular file',
  // A folder on the way may be a link out of the snapshot; a file reached that way is not the snapshot's.
  'outside the folder': 'it resolves outside the folder'
}

/**
 * Refuses a snapshot folder that a symbolic link in one of its parent folders places outside the
 * workspace: the run would write there. (A link at the folder itself is refused when staging starts.)
 */
export async function checkInsideWorkspace(snapshotDir: string, workspace: string): Promise<void> {
  let root: string
  try {
    root = await realpath(workspace)
  } catch (error) {
    // No workspace yet: no link in it either (the run creates the folders).
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw error
  }
  // The deepest part of the path that exists decides where the rest would be created.
  let existing = path.dirname(path.resolve(snapshotDir))
  let real: string
  for (;;) {
    try {
      real = await realpath(existing)
      break
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error
      if (path.dirname(existing) === existing) return
      existing = path.dirname(existing)
    }
  }
  const rel = path.relative(root, real)
  // `..` as a whole segment only: a folder named ..cfg is inside.
  if (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel)) return
  const shown = path.relative(path.resolve(workspace), existing).split(path.sep).join('/')
  throw new Error(
    `The path input's folder leads out of the workspace: ${shown} resolves to ${real} through a symbolic link. Point path at a folder inside the repository.`
  )
}

/**
 * Recovers from a killed earlier run: when `snapshotDir` is missing but a `.<base>.previous-*` folder
 * exists, the newest one is restored; then leftover staging-* and previous-* folders are removed.
 * Returns the snapshot folder's absolute path.
 */
export async function recoverInterruptedRun(snapshotDir: string, log: Log = silentLog): Promise<string> {
  const target = path.resolve(snapshotDir)
  const parent = path.dirname(target)
  const base = path.basename(target)
  await mkdir(parent, { recursive: true })

  const leftovers = (await readdir(parent)).filter(
    n => n.startsWith(`.${base}.staging-`) || n.startsWith(`.${base}.previous-`)
  )
  const previous = leftovers.filter(n => n.startsWith(`.${base}.previous-`))
  if (!(await exists(target)) && previous.length > 0) {
    // Newest first: a previous-* folder is the committed snapshot of the run that was cut short.
    const dated = await Promise.all(
      previous.map(async n => ({ n, mtime: (await stat(path.join(parent, n))).mtimeMs }))
    )
    dated.sort((a, b) => b.mtime - a.mtime || (a.n < b.n ? 1 : -1))
    await renameWithRetry(path.join(parent, dated[0].n), target)
    log.warning(
      `Restored ${base} from ${dated[0].n}: an earlier run was stopped while swapping in a new snapshot.`
    )
  }
  for (const n of leftovers) {
    const p = path.join(parent, n)
    if (await exists(p)) {
      await rm(p, { recursive: true, force: true })
      log.info(`Removed ${n}, left behind by an earlier run that did not finish.`)
    }
  }
  return target
}

export class SnapshotStaging {
  private state: 'open' | 'committed' | 'discarded' = 'open'
  /** Case-folded relative path → the spelling written, to catch names that clash on macOS/Windows. */
  private readonly written = new Map<string, string>()

  private constructor(
    readonly snapshotDir: string,
    readonly dir: string,
    private readonly log: Log
  ) {}

  /**
   * Creates the staging folder beside `snapshotDir`, after recovering from a killed earlier run
   * (`recoverInterruptedRun`).
   */
  static async create(snapshotDir: string, log: Log = silentLog): Promise<SnapshotStaging> {
    const target = await recoverInterruptedRun(snapshotDir, log)
    const parent = path.dirname(target)
    const base = path.basename(target)
    if (await exists(target)) {
      const st = await lstat(target)
      if (st.isSymbolicLink()) {
        throw new Error(`${target} is a symbolic link; point the \`path\` input at a real folder.`)
      }
      if (!st.isDirectory())
        throw new Error(`${target} exists and is not a folder; remove it or choose another path.`)
    }
    const dir = await mkdtemp(path.join(parent, `.${base}.staging-`))
    return new SnapshotStaging(target, dir, log)
  }

  private ensureOpen(): void {
    if (this.state !== 'open') throw new Error(`The snapshot staging area was already ${this.state}.`)
  }

  /** Checks a relative path and returns its absolute place under `root`. */
  private resolveInside(root: string, relPath: string): string {
    const why = pathProblem(relPath)
    if (why !== undefined && relPath !== MANIFEST_FILE) {
      throw new Error(`Refusing to write "${relPath}": the path ${why}.`)
    }
    const full = path.resolve(root, ...relPath.split('/'))
    if (!full.startsWith(root + path.sep)) {
      throw new Error(`Refusing to write "${relPath}": it resolves outside the snapshot folder.`)
    }
    return full
  }

  private async prepare(relPath: string): Promise<string> {
    this.ensureOpen()
    const full = this.resolveInside(this.dir, relPath)
    // The folding file names are made unique by (names.ts), so a name they let through is never refused here.
    const folded = foldName(relPath)
    const earlier = this.written.get(folded)
    if (earlier !== undefined && earlier !== relPath) {
      throw new Error(
        `Refusing to write "${relPath}": "${earlier}" differs only in case and was written already.`
      )
    }
    this.written.set(folded, relPath)
    await mkdir(path.dirname(full), { recursive: true })
    return full
  }

  /** Writes a file under the staging folder; refuses unsafe paths. Returns its sha256 and size. */
  async writeFile(relPath: string, data: Buffer | string): Promise<WrittenFile> {
    const full = await this.prepare(relPath)
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
    await writeBytes(full, bytes)
    return { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length }
  }

  /** Streams a file in (large flow YAML), hashing as it goes; a failed stream leaves no partial file. */
  async writeStream(
    relPath: string,
    source: AsyncIterable<Uint8Array> | NodeJS.ReadableStream
  ): Promise<WrittenFile> {
    const full = await this.prepare(relPath)
    const hash = createHash('sha256')
    let size = 0
    const out = createWriteStream(full)
    try {
      await pipeline(
        source,
        async function* (chunks: AsyncIterable<Uint8Array | string>) {
          for await (const chunk of chunks) {
            const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk)
            hash.update(buf)
            size += buf.length
            yield buf
          }
        },
        out
      )
    } catch (error) {
      // A stream that failed early may still be opening the file: removed before that, it would be
      // created again, empty, after the removal.
      if (!out.closed) await new Promise<void>(resolve => out.once('close', () => resolve()))
      await rm(full, { force: true })
      this.written.delete(foldName(relPath))
      throw error
    }
    return { sha256: hash.digest('hex'), size }
  }

  /**
   * Reuses a file of the current snapshot unchanged (incremental reruns), at `toPath` when its name
   * moved. The file system copies the bytes and the copy is hashed in chunks, so the run never holds
   * the file whole. Symbolic links are refused.
   */
  async copyFromCurrent(relPath: string, toPath = relPath): Promise<WrittenFile> {
    this.ensureOpen()
    const source = await locateInside(this.snapshotDir, relPath)
    if (!('full' in source)) {
      throw new Error(`Cannot reuse "${relPath}" from the current snapshot: ${REFUSALS[source.refused]}.`)
    }
    const full = await this.prepare(toPath)
    await copyFile(source.full, full)
    return hashFile(full)
  }

  /**
   * Files of the current snapshot the action does not manage, copied into staging so they survive
   * the swap: everything except manifest.json, the managed folders (flows/, queues/, skills/,
   * data-actions/) and any path the current manifest lists. Files in the managed folders that the
   * manifest does not list are not kept (mode: validate would reject them); each is logged, and the
   * change report lists them as removed (unlistedManagedFiles).
   */
  private async carryOver(current?: { manifest?: Manifest }): Promise<void> {
    if (!(await exists(this.snapshotDir))) return
    const { manifest } = current ?? (await readCurrentSnapshot(this.snapshotDir))
    const listed = new Set((manifest?.resources ?? []).map(r => r.path))

    const walk = async (rel: string): Promise<void> => {
      const from = rel === '' ? this.snapshotDir : path.join(this.snapshotDir, ...rel.split('/'))
      for (const entry of await readdir(from, { withFileTypes: true })) {
        const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`
        const top = childRel.split('/')[0]
        const managed = childRel === MANIFEST_FILE || MANAGED_FOLDERS.includes(top) || listed.has(childRel)
        if (entry.isDirectory()) {
          await walk(childRel)
          continue
        }
        if (managed) {
          if (MANAGED_FOLDERS.includes(top) && !listed.has(childRel) && manifest) {
            this.log.info(
              `Not keeping ${childRel}: it is in a folder the action manages but not in the manifest.`
            )
          }
          continue
        }
        const to = path.join(this.dir, ...childRel.split('/'))
        if (await exists(to)) continue // the new snapshot wrote this path itself
        await mkdir(path.dirname(to), { recursive: true })
        if (entry.isSymbolicLink()) await symlink(await readlink(path.join(from, entry.name)), to)
        else if (entry.isFile()) await copyFile(path.join(from, entry.name), to)
      }
    }
    await walk('')
  }

  /**
   * Swaps the staged folder into `<path>`, keeping the files the action does not manage. `current`
   * is the folder's manifest as the caller already read it (a large one costs tens of megabytes to
   * parse again); without it, the manifest is read here.
   */
  async commit(current?: { manifest?: Manifest }): Promise<void> {
    this.ensureOpen()
    await this.carryOver(current)
    const parent = path.dirname(this.snapshotDir)
    const base = path.basename(this.snapshotDir)
    if (await exists(this.snapshotDir)) {
      const previous = await mkdtemp(path.join(parent, `.${base}.previous-`))
      // mkdtemp made an empty folder to reserve the name; rename replaces an empty folder on POSIX but
      // not on Windows, so remove it first.
      await rm(previous, { recursive: true, force: true })
      await renameWithRetry(this.snapshotDir, previous)
      try {
        await renameWithRetry(this.dir, this.snapshotDir)
      } catch (error) {
        await renameWithRetry(previous, this.snapshotDir)
        throw error
      }
      this.state = 'committed'
      await rm(previous, { recursive: true, force: true })
    } else {
      await renameWithRetry(this.dir, this.snapshotDir)
      this.state = 'committed'
    }
  }

  /** Removes the staging folder; the current snapshot stays as it was. Safe to call more than once. */
  async discard(): Promise<void> {
    if (this.state === 'committed') return
    this.state = 'discarded'
    await rm(this.dir, { recursive: true, force: true })
  }
}
