/**
 * mode: validate: an offline check of a committed snapshot (no credentials, no network). It answers
 * "can this folder be trusted as what the action wrote?": the manifest follows the contract, every
 * listed file is there with its digest, YAML parses, nothing unlisted sits in the managed folders and
 * no credential slipped through. Every message says what to do about it.
 */
import { lstat, readFile, realpath } from 'node:fs/promises'
import path from 'node:path'
import { LineCounter, parseDocument } from 'yaml'
import { sha256Hex } from './manifest.js'
import { KIND_FOLDERS, MANIFEST_FILE, type Manifest } from './model.js'
import { listManaged, readCurrentSnapshot } from './read.js'
import { findUnredactedCredentials } from './redact.js'

export interface ValidationProblem {
  /** Relative to the snapshot folder, forward slashes ('.' for the folder itself). */
  file: string
  line?: number
  message: string
}

const RESTORE = 're-run the snapshot, or restore the file from the snapshot PR'

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

function yamlProblem(file: string, text: string): ValidationProblem | undefined {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: false })
  const error = doc.errors[0]
  if (!error) return undefined
  return {
    file,
    line: lineCounter.linePos(error.pos[0]).line,
    message: `not valid YAML (${error.message.split('\n')[0]}); ${RESTORE}`
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Reads a listed file if it is a plain file inside the folder; otherwise says why not. */
async function readListed(
  root: string,
  realRoot: string,
  rel: string
): Promise<{ bytes?: Buffer; problem?: string }> {
  const full = path.join(root, ...rel.split('/'))
  try {
    const st = await lstat(full)
    if (st.isSymbolicLink()) return { problem: `is a symbolic link, not a snapshot file; ${RESTORE}` }
    if (!st.isFile()) return { problem: `is not a regular file; ${RESTORE}` }
    const real = await realpath(full)
    if (!real.startsWith(realRoot + path.sep)) {
      return { problem: `resolves outside the snapshot folder (a linked folder on the way); ${RESTORE}` }
    }
    return { bytes: await readFile(full) }
  } catch (error) {
    if (isMissing(error)) return { problem: `is listed in ${MANIFEST_FILE} but missing; ${RESTORE}` }
    throw error
  }
}

function credentialAdvice(file: string): string {
  return file.startsWith(`${KIND_FOLDERS.flow}/`)
    ? 'move the secret out of the flow in Genesys Cloud (use integration credentials) and rotate it'
    : 're-run the snapshot, which redacts it, and rotate the credential if this file was ever pushed'
}

/** Content checks of one snapshot file: UTF-8, YAML, credentials. */
function checkContent(file: string, bytes: Buffer): ValidationProblem[] {
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    return [{ file, message: `is not UTF-8 text; ${RESTORE}` }]
  }
  const problems: ValidationProblem[] = []
  if (file.endsWith('.yaml') || file.endsWith('.yml')) {
    const bad = yamlProblem(file, text)
    if (bad) problems.push(bad)
  }
  for (const c of findUnredactedCredentials(text)) {
    problems.push({
      file,
      line: c.line,
      message: `holds a credential (${c.message}); ${credentialAdvice(file)}`
    })
  }
  return problems
}

/** True when the file differs from `sha256` only by CRLF line endings a Windows checkout gave it. */
function crlfOnly(bytes: Buffer, sha256: string): boolean {
  if (!bytes.includes('\r\n')) return false
  return sha256Hex(Buffer.from(bytes.toString('latin1').replace(/\r\n/g, '\n'), 'latin1')) === sha256
}

/**
 * Checks a snapshot folder offline. Returns the problems found (empty: valid), sorted by file and line.
 * Paths in the manifest that escape the folder are reported, never read.
 */
export async function validateSnapshot(snapshotDir: string): Promise<ValidationProblem[]> {
  const root = path.resolve(snapshotDir)
  const current = await readCurrentSnapshot(root)
  if (!current.exists) {
    return [
      {
        file: '.',
        message: `the snapshot folder ${root} does not exist; check the \`path\` input, or run the action with mode: snapshot to create it`
      }
    ]
  }
  const problems: ValidationProblem[] = []
  for (const p of current.manifestProblems) {
    problems.push({
      file: MANIFEST_FILE,
      ...(p.line !== undefined ? { line: p.line } : {}),
      message: `${p.message}; re-run the snapshot, or restore ${MANIFEST_FILE} from the snapshot PR`
    })
  }
  // A non-folder `path` was reported above; nothing else can be checked.
  if (!(await lstat(root)).isDirectory()) return problems

  const realRoot = await realpath(root)
  const manifest: Manifest | undefined = current.manifest
  const listed = new Set<string>()
  const checked = new Set<string>()

  if (manifest) {
    for (const r of manifest.resources) {
      listed.add(r.path)
      const { bytes, problem } = await readListed(root, realRoot, r.path)
      if (problem) {
        problems.push({ file: r.path, message: `${problem} (${r.kind} "${r.name}")` })
        continue
      }
      const actual = sha256Hex(bytes as Buffer)
      if (actual !== r.sha256 && crlfOnly(bytes as Buffer, r.sha256)) {
        problems.push({
          file: r.path,
          message:
            `has Windows line endings (CRLF) where the snapshot has LF: Git converted it at checkout (core.autocrlf), so its sha256 no longer matches. ` +
            `Add '<path>/** -text' to .gitattributes (<path>: the action's path input, genesys by default), or run on an ubuntu runner`
        })
      } else if (actual !== r.sha256) {
        problems.push({
          file: r.path,
          message:
            `was changed after the snapshot was taken (sha256 ${actual}, ${MANIFEST_FILE} says ${r.sha256}); ` +
            `changes belong in Genesys Cloud, so ${RESTORE}`
        })
      }
      problems.push(...checkContent(r.path, bytes as Buffer))
      checked.add(r.path)
    }
  }

  for (const entry of await listManaged(root)) {
    if (manifest && !listed.has(entry.rel)) {
      problems.push({
        file: entry.rel,
        message: `is in a folder the action manages but not listed in ${MANIFEST_FILE}; delete it, or re-run the snapshot`
      })
    }
    // Without a manifest, still check what the managed folders hold.
    if (!manifest && entry.kind === 'file' && !checked.has(entry.rel)) {
      const bytes = await readFile(path.join(root, ...entry.rel.split('/')))
      problems.push(...checkContent(entry.rel, bytes))
    }
  }

  return problems.sort(
    (a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || (a.line ?? 0) - (b.line ?? 0)
  )
}
