/**
 * Reading a snapshot folder from disk: the committed manifest (for incremental reruns, carry-over and
 * validation) and a read-only view of the files for the report stage.
 */
import { lstat, readdir, readFile, realpath } from 'node:fs/promises'
import path from 'node:path'
import { hashFile, parseManifest, pathProblem, type ManifestProblem } from './manifest.js'
import { MANAGED_FOLDERS, MANIFEST_FILE, type Manifest } from './model.js'

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

/**
 * The snapshot folder's manifest. `exists` says whether the folder exists at all; a missing manifest
 * in an existing folder is reported as a problem. `manifest` is set when the file is structurally
 * usable (see parseManifest), even if `manifestProblems` lists ordering or reference problems.
 */
export async function readCurrentSnapshot(snapshotDir: string): Promise<{
  manifest?: Manifest
  manifestProblems: ManifestProblem[]
  exists: boolean
  /** The manifest has CRLF line endings: Git converted the checkout (the action writes LF only). */
  crlf?: boolean
}> {
  try {
    const st = await lstat(snapshotDir)
    if (!st.isDirectory()) {
      return {
        exists: true,
        manifestProblems: [{ message: `${snapshotDir} is not a folder; point \`path\` at a folder` }]
      }
    }
  } catch (error) {
    if (isMissing(error)) return { exists: false, manifestProblems: [] }
    throw error
  }
  let text: string
  try {
    text = await readFile(path.join(snapshotDir, MANIFEST_FILE), 'utf8')
  } catch (error) {
    if (isMissing(error)) {
      return {
        exists: true,
        manifestProblems: [
          { message: `${MANIFEST_FILE} is missing; run the action in snapshot mode to write the snapshot` }
        ]
      }
    }
    throw error
  }
  const { manifest, problems } = parseManifest(text)
  return { manifest, manifestProblems: problems, exists: true, crlf: text.includes('\r\n') }
}

/**
 * Every entry under the managed folders, as snapshot-relative paths (folders themselves excluded;
 * links are listed, not followed). Validate mode checks them against the manifest; the change report
 * counts the unlisted ones as removed, since the snapshot run does not keep them.
 */
export async function listManaged(root: string): Promise<{ rel: string; kind: 'file' | 'link' | 'other' }[]> {
  const out: { rel: string; kind: 'file' | 'link' | 'other' }[] = []
  const walk = async (rel: string, depth: number): Promise<void> => {
    if (depth > 16) return
    let entries
    try {
      entries = await readdir(path.join(root, ...rel.split('/')), { withFileTypes: true })
    } catch (error) {
      if (isMissing(error)) return
      throw error
    }
    for (const e of entries) {
      const child = `${rel}/${e.name}`
      if (e.isDirectory()) await walk(child, depth + 1)
      else out.push({ rel: child, kind: e.isFile() ? 'file' : e.isSymbolicLink() ? 'link' : 'other' })
    }
  }
  for (const folder of MANAGED_FOLDERS) {
    // The managed folder itself must be a folder; a link there would point the snapshot elsewhere.
    try {
      const st = await lstat(path.join(root, folder))
      if (!st.isDirectory()) out.push({ rel: folder, kind: st.isSymbolicLink() ? 'link' : 'other' })
      else await walk(folder, 0)
    } catch (error) {
      if (!isMissing(error)) throw error
    }
  }
  return out
}

/** Where `rel` under `dir` is, or why it is not a file of that folder. */
export type Located =
  { full: string } | { refused: 'missing' | 'unsafe path' | 'not a regular file' | 'outside the folder' }

/**
 * Finds `rel` under `dir` as a regular file of that folder: refused when it is missing, its path is
 * unsafe (absolute, `..`, backslashes), it is a symbolic link or not a regular file, or a folder on
 * the way leads out of `dir`. The reuse check and the copy of a reused file both go through here.
 */
export async function locateInside(dir: string, rel: string): Promise<Located> {
  if (pathProblem(rel) !== undefined && rel !== MANIFEST_FILE) return { refused: 'unsafe path' }
  const full = path.resolve(dir, ...rel.split('/'))
  try {
    const st = await lstat(full)
    if (!st.isFile()) return { refused: 'not a regular file' }
    const [realDir, realFull] = await Promise.all([realpath(dir), realpath(full)])
    return realFull.startsWith(realDir + path.sep) ? { full } : { refused: 'outside the folder' }
  } catch (error) {
    if (isMissing(error)) return { refused: 'missing' }
    throw error
  }
}

/** Reads `rel` under `dir` as UTF-8 text, or undefined when locateInside refuses it or it is gone. */
export async function readInside(dir: string, rel: string): Promise<string | undefined> {
  return readUnlessMissing(dir, rel, full => readFile(full, 'utf8'))
}

/** sha256 of `rel` under `dir`, streamed (manifests of large orgs are megabytes), or undefined like readInside. */
export async function digestInside(dir: string, rel: string): Promise<string | undefined> {
  return readUnlessMissing(dir, rel, async full => (await hashFile(full)).sha256)
}

async function readUnlessMissing<T>(
  dir: string,
  rel: string,
  read: (full: string) => Promise<T>
): Promise<T | undefined> {
  const located = await locateInside(dir, rel)
  if (!('full' in located)) return undefined
  try {
    return await read(located.full)
  } catch (error) {
    if (isMissing(error)) return undefined
    throw error
  }
}

export interface FolderView {
  manifest?: Manifest
  read(path: string): Promise<string | undefined>
  /** Each file is digested once per view: a rerun's reuse check and its change report share them. */
  sha256(path: string): Promise<string | undefined>
  /** Every file in the managed folders, listed in the manifest or not. */
  managedFiles(): Promise<string[]>
}

/** A view of a snapshot folder on disk, for the export's reuse checks and the report stage. */
export function folderView(dir: string, manifest?: Manifest): FolderView {
  const digests = new Map<string, Promise<string | undefined>>()
  return {
    manifest,
    read: rel => readInside(dir, rel),
    sha256: rel => {
      let digest = digests.get(rel)
      if (digest === undefined) {
        digest = digestInside(dir, rel)
        digests.set(rel, digest)
      }
      return digest
    },
    managedFiles: async () => (await listManaged(dir)).map(e => e.rel)
  }
}
