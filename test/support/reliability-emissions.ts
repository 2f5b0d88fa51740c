/**
 * Everything the action emitted during a test file's runs (logs, annotations, outputs, job summaries,
 * failure messages, written files, commits, PR bodies), swept at the end for secrets. A leak is
 * reported by where it was and which secret it was, never by the secret's value.
 */
import { execFile } from 'node:child_process'
import { readFile, readdir } from 'node:fs/promises'
import path from 'node:path'
import type { GitHubStandIn } from '../github/index.js'

/** Runs git on a bare repository. */
export function git(gitDir: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      {
        env: {
          PATH: process.env.PATH,
          GIT_DIR: gitDir,
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_CONFIG_GLOBAL: '/dev/null'
        },
        maxBuffer: 512 * 1024 * 1024
      },
      (error, stdout, stderr) =>
        error ? reject(new Error(`git ${args.join(' ')}: ${stderr}`)) : resolve(stdout)
    )
  })
}

export interface Secret {
  /** What it is ("client secret", "access token 3", ...), for the report. */
  label: string
  value: string
}

export interface Leak {
  source: string
  secret: string
}

export class Emissions {
  private readonly items: { source: string; text: string }[] = []

  add(source: string, text: string): void {
    if (text) this.items.push({ source, text })
  }

  /** Every file under `dir` (except .git), whatever the action wrote there. */
  async addFolder(source: string, dir: string): Promise<void> {
    let entries
    try {
      entries = await readdir(dir, { withFileTypes: true, recursive: true })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
      throw error
    }
    for (const entry of entries) {
      const full = path.join(entry.parentPath, entry.name)
      const rel = path.relative(dir, full).split(path.sep).join('/')
      if (!entry.isFile() || rel === '.git' || rel.startsWith('.git/')) continue
      this.add(`${source}/${rel}`, (await readFile(full)).toString('utf8'))
    }
  }

  /** Every commit of every ref with its full diff (git log -p --all), and every PR's title and body. */
  async addGitHub(source: string, gh: GitHubStandIn): Promise<void> {
    this.add(`${source}: commits`, await git(gh.bareRepo, ['log', '-p', '--all', '--format=fuller']))
    for (const pr of gh.pulls()) this.add(`${source}: PR #${pr.number}`, `${pr.title}\n${pr.body ?? ''}`)
  }

  get size(): { sources: number; bytes: number } {
    return {
      sources: this.items.length,
      bytes: this.items.reduce((n, item) => n + Buffer.byteLength(item.text), 0)
    }
  }

  /** Where each secret appears; empty when nothing leaked. Secrets shorter than 8 characters are refused. */
  sweep(secrets: Secret[]): Leak[] {
    for (const s of secrets)
      if (s.value.length < 8) throw new Error(`The secret "${s.label}" is too short to sweep for`)
    const leaks: Leak[] = []
    for (const item of this.items)
      for (const secret of secrets)
        if (item.text.includes(secret.value)) leaks.push({ source: item.source, secret: secret.label })
    return leaks
  }
}

/** The secrets a run against the sim and the stand-in knows: client secret, its Basic form, tokens, seeded credentials. */
export function knownSecrets(
  sim: { clientId: string; clientSecret: string; issuedTokens(): string[]; seededSecrets(): string[] },
  githubTokens: string[]
): Secret[] {
  return [
    { label: 'client secret', value: sim.clientSecret },
    {
      label: 'client credentials (Basic)',
      value: Buffer.from(`${sim.clientId}:${sim.clientSecret}`).toString('base64')
    },
    ...sim.issuedTokens().map((value, i) => ({ label: `access token ${i + 1}`, value })),
    ...githubTokens.map((value, i) => ({ label: `GitHub token ${i + 1}`, value })),
    ...sim.seededSecrets().map((value, i) => ({ label: `seeded credential ${i + 1}`, value }))
  ]
}
