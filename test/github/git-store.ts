/**
 * A real bare git repository driven with plumbing commands, so every sha the stand-in hands out
 * is the sha git (and GitHub) would compute.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

export interface TreeEntry {
  mode: string
  type: 'blob' | 'tree' | 'commit'
  sha: string
  /** Bytes, for blobs. */
  size?: number
  path: string
}

export interface CommitObject {
  sha: string
  tree: string
  parents: string[]
  author: Signature
  committer: Signature
  message: string
}

export interface Signature {
  name: string
  email: string
  /** ISO 8601. */
  date: string
}

export class GitError extends Error {
  constructor(
    message: string,
    readonly code: number | null
  ) {
    super(message)
  }
}

const ZERO = '0'.repeat(40)

export class GitStore {
  // Git objects never change, so what is read about one is kept (refs are always read afresh).
  private readonly types = new Map<string, string>()
  private readonly commits = new Map<string, CommitObject>()
  private readonly trees = new Map<string, TreeEntry[]>()

  private constructor(
    readonly dir: string,
    readonly gitDir: string
  ) {}

  static async create(defaultBranch: string): Promise<GitStore> {
    const dir = await mkdtemp(path.join(tmpdir(), 'gh-standin-'))
    const gitDir = path.join(dir, 'repo.git')
    const store = new GitStore(dir, gitDir)
    await store.run(['init', '-q', '--bare', `--initial-branch=${defaultBranch}`, gitDir], { noGitDir: true })
    return store
  }

  /** A new bare repository holding every object and ref of `source` (a bare repository's path). */
  static async copyOf(source: string): Promise<GitStore> {
    const dir = await mkdtemp(path.join(tmpdir(), 'gh-standin-'))
    const gitDir = path.join(dir, 'repo.git')
    const store = new GitStore(dir, gitDir)
    await store.run(['clone', '-q', '--mirror', source, gitDir], { noGitDir: true })
    return store
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true })
  }

  /** Runs git in the bare repository; rejects with GitError on a non-zero exit. */
  run(
    args: string[],
    options: { input?: string | Buffer; env?: NodeJS.ProcessEnv; noGitDir?: boolean; cwd?: string } = {}
  ): Promise<Buffer> {
    const env = {
      PATH: process.env.PATH,
      HOME: this.dir,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      LANG: 'C',
      ...(options.noGitDir ? {} : { GIT_DIR: this.gitDir }),
      ...options.env
    }
    return new Promise((resolve, reject) => {
      const child = execFile(
        'git',
        args,
        { env, cwd: options.cwd ?? this.dir, encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error) {
            const code = typeof error.code === 'number' ? error.code : null
            reject(new GitError(`git ${args.join(' ')}: ${stderr.toString().trim() || error.message}`, code))
          } else resolve(stdout)
        }
      )
      // git may exit before reading stdin (an error, or a command that takes none).
      child.stdin?.on('error', () => undefined)
      child.stdin?.end(options.input ?? '')
    })
  }

  private async text(args: string[], input?: string | Buffer, env?: NodeJS.ProcessEnv): Promise<string> {
    return (await this.run(args, { input, env })).toString('utf8').trim()
  }

  async writeBlob(bytes: Buffer): Promise<string> {
    return this.text(['hash-object', '-w', '--stdin'], bytes)
  }

  /** 'blob' | 'tree' | 'commit' | 'tag', or undefined when there is no such object. */
  async objectType(sha: string): Promise<string | undefined> {
    if (!/^[0-9a-f]{40}$/.test(sha)) return undefined
    const known = this.types.get(sha)
    if (known) return known
    try {
      const type = await this.text(['cat-file', '-t', sha])
      this.types.set(sha, type)
      return type
    } catch {
      return undefined
    }
  }

  async readBlob(sha: string): Promise<Buffer> {
    return this.run(['cat-file', 'blob', sha])
  }

  async readCommit(sha: string): Promise<CommitObject> {
    const known = this.commits.get(sha)
    if (known) return known
    const raw = (await this.run(['cat-file', 'commit', sha])).toString('utf8')
    const split = raw.indexOf('\n\n')
    const headers = raw.slice(0, split).split('\n')
    const message = raw.slice(split + 2)
    const parents: string[] = []
    let tree = ''
    let author: Signature | undefined
    let committer: Signature | undefined
    for (const line of headers) {
      const [key, ...rest] = line.split(' ')
      const value = rest.join(' ')
      if (key === 'tree') tree = value
      else if (key === 'parent') parents.push(value)
      else if (key === 'author') author = parseSignature(value)
      else if (key === 'committer') committer = parseSignature(value)
    }
    const commit = { sha, tree, parents, author: author!, committer: committer!, message }
    this.commits.set(sha, commit)
    return commit
  }

  /** Entries of a tree; recursive lists subtrees' contents too (and the subtrees themselves). */
  async listTree(treeish: string, recursive = false): Promise<TreeEntry[]> {
    const key = `${treeish}:${recursive}`
    const cacheable = /^[0-9a-f]{40}$/.test(treeish)
    const known = cacheable ? this.trees.get(key) : undefined
    if (known) return known
    const out = await this.run(['ls-tree', '-z', '-l', ...(recursive ? ['-r', '-t'] : []), treeish])
    const entries = out
      .toString('utf8')
      .split('\0')
      .filter(line => line !== '')
      .map(line => {
        const tab = line.indexOf('\t')
        const [mode, type, sha, size] = line.slice(0, tab).split(/\s+/)
        return {
          mode,
          type: type as TreeEntry['type'],
          sha,
          size: size === '-' ? undefined : Number(size),
          path: line.slice(tab + 1)
        }
      })
    if (cacheable) this.trees.set(key, entries)
    return entries
  }

  /** Writes a tree holding exactly these files (path → mode + sha); folders are made as needed. */
  async writeTree(files: Map<string, { mode: string; sha: string }>): Promise<string> {
    const index = path.join(this.dir, `index-${process.hrtime.bigint()}`)
    const env = { GIT_INDEX_FILE: index }
    try {
      await this.run(['read-tree', '--empty'], { env })
      const lines = [...files].map(([p, f]) => `${f.mode} ${f.sha}\t${p}\0`).join('')
      if (lines) await this.run(['update-index', '-z', '--index-info'], { input: lines, env })
      return await this.text(['write-tree'], undefined, env)
    } finally {
      await rm(index, { force: true })
    }
  }

  /** Every non-tree entry below a tree, by full path. */
  async flatTree(treeSha: string): Promise<Map<string, { mode: string; sha: string }>> {
    const files = new Map<string, { mode: string; sha: string }>()
    for (const e of await this.listTree(treeSha, true)) if (e.type !== 'tree') files.set(e.path, e)
    return files
  }

  async writeCommit(options: {
    tree: string
    parents: string[]
    message: string
    author: Signature
    committer: Signature
  }): Promise<string> {
    const env = {
      GIT_AUTHOR_NAME: options.author.name,
      GIT_AUTHOR_EMAIL: options.author.email,
      GIT_AUTHOR_DATE: options.author.date,
      GIT_COMMITTER_NAME: options.committer.name,
      GIT_COMMITTER_EMAIL: options.committer.email,
      GIT_COMMITTER_DATE: options.committer.date
    }
    const args = ['commit-tree', options.tree, ...options.parents.flatMap(p => ['-p', p]), '-F', '-']
    return this.text(args, options.message, env)
  }

  async readRef(name: string): Promise<string | undefined> {
    try {
      return await this.text(['rev-parse', '--verify', '-q', `${name}^{}`])
    } catch {
      return undefined
    }
  }

  /** All refs under a prefix ('refs/heads/'), name → sha. */
  async listRefs(prefix = 'refs/'): Promise<Map<string, string>> {
    const out = await this.text(['for-each-ref', '--format=%(refname) %(objectname)', prefix])
    const refs = new Map<string, string>()
    for (const line of out.split('\n').filter(Boolean)) {
      const [name, sha] = line.split(' ')
      refs.set(name, sha)
    }
    return refs
  }

  /** Sets a ref; with `expected` it only moves from that value (ZERO: must not exist). */
  async updateRef(name: string, sha: string, expected?: string): Promise<void> {
    await this.run(['update-ref', name, sha, ...(expected !== undefined ? [expected] : [])])
  }

  async deleteRef(name: string): Promise<void> {
    await this.run(['update-ref', '-d', name])
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    try {
      await this.run(['merge-base', '--is-ancestor', ancestor, descendant])
      return true
    } catch (error) {
      if (error instanceof GitError && error.code === 1) return false
      throw error
    }
  }

  /** The best common ancestor of two commits, or undefined when their histories never meet. */
  async mergeBase(a: string, b: string): Promise<string | undefined> {
    try {
      return await this.text(['merge-base', a, b])
    } catch (error) {
      if (error instanceof GitError && error.code === 1) return undefined
      throw error
    }
  }

  /** Commits reachable from `to` and not from `from`, oldest first (git rev-list --reverse from..to). */
  async commitsBetween(from: string, to: string): Promise<string[]> {
    const out = await this.text(['rev-list', '--reverse', `${from}..${to}`])
    return out === '' ? [] : out.split('\n')
  }

  /** The merged tree of two commits, or undefined when they conflict. */
  async mergeTrees(ours: string, theirs: string): Promise<string | undefined> {
    try {
      return (await this.text(['merge-tree', '--write-tree', ours, theirs])).split('\n')[0]
    } catch (error) {
      if (error instanceof GitError && error.code === 1) return undefined
      throw error
    }
  }
}

export const NO_REF = ZERO

function parseSignature(value: string): Signature {
  const m = /^(.*) <(.*)> (\d+) ([+-]\d{4})$/.exec(value)
  if (!m) return { name: value, email: '', date: new Date(0).toISOString() }
  return {
    name: m[1],
    email: m[2],
    date: new Date(Number(m[3]) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
  }
}
