import { fileURLToPath } from 'node:url'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parse } from 'yaml'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

export interface Annotation {
  level: 'error' | 'warning' | 'notice'
  message: string
  properties: Record<string, string>
}

export interface ActionRun {
  exitCode: number | null
  /** The signal that ended the process (SIGKILL when a test killed it or it timed out), else null. */
  signal: NodeJS.Signals | null
  /** The inputs as given (before action.yml's defaults). */
  given: Record<string, string>
  stdout: string
  stderr: string
  outputs: Record<string, string>
  summary: string
  annotations: Annotation[]
  /** Values the action asked the runner to mask (::add-mask::). */
  masked: string[]
}

export interface RunActionOptions {
  /** Inputs by their action.yml names; the rest take action.yml's defaults, as a runner gives them. */
  inputs: Record<string, string>
  workspace: string
  /** GITHUB_REPOSITORY, GITHUB_API_URL and anything else the run needs. */
  env?: Record<string, string>
  /** Stands in for ${{ github.token }} in the github-token default. */
  githubToken?: string
  timeoutMs?: number
}

let defaults: Record<string, string> | undefined
async function actionDefaults(): Promise<Record<string, string>> {
  if (!defaults) {
    const action = parse(await readFile(path.join(ROOT, 'action.yml'), 'utf8')) as {
      inputs: Record<string, { default?: string }>
    }
    defaults = Object.fromEntries(Object.entries(action.inputs).map(([k, v]) => [k, String(v.default ?? '')]))
  }
  return defaults
}

/** Parses a GITHUB_OUTPUT file: `name<<DELIM\nvalue\nDELIM` blocks (and plain `name=value` lines). */
export function parseFileCommands(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^=<]+)<<(.+)$/.exec(lines[i])
    if (heredoc) {
      const [, name, delimiter] = heredoc
      const value: string[] = []
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i])
      out[name] = value.join('\n')
    } else {
      const eq = lines[i].indexOf('=')
      if (eq > 0) out[lines[i].slice(0, eq)] = lines[i].slice(eq + 1)
    }
  }
  return out
}

function unescapeCommand(value: string): string {
  return value
    .replace(/%0D/g, '\r')
    .replace(/%0A/g, '\n')
    .replace(/%3A/g, ':')
    .replace(/%2C/g, ',')
    .replace(/%25/g, '%')
}

/** Workflow commands on stdout: annotations and masks. */
export function parseWorkflowCommands(stdout: string): { annotations: Annotation[]; masked: string[] } {
  const annotations: Annotation[] = []
  const masked: string[] = []
  for (const line of stdout.split('\n')) {
    const m = /^::(error|warning|notice|add-mask)( [^:]*)?::(.*)$/.exec(line)
    if (!m) continue
    const [, command, props, data] = m
    if (command === 'add-mask') {
      masked.push(unescapeCommand(data))
      continue
    }
    const properties: Record<string, string> = {}
    for (const pair of (props ?? '').trim().split(',').filter(Boolean)) {
      const eq = pair.indexOf('=')
      properties[pair.slice(0, eq)] = unescapeCommand(pair.slice(eq + 1))
    }
    annotations.push({ level: command as Annotation['level'], message: unescapeCommand(data), properties })
  }
  return { annotations, masked }
}

/**
 * Starts the bundled action (dist/index.js) as a runner does: inputs as INPUT_* variables with
 * action.yml's defaults, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, a real workspace. `child` lets a
 * test kill it at a chosen moment; `done` resolves once it has exited, with all it emitted.
 */
export async function startAction(
  options: RunActionOptions
): Promise<{ child: ChildProcess; done: Promise<ActionRun> }> {
  const files = await mkdtemp(path.join(tmpdir(), 'action-run-'))
  const outputFile = path.join(files, 'output')
  const summaryFile = path.join(files, 'summary')
  await writeFile(outputFile, '')
  await writeFile(summaryFile, '')
  const inputs = { ...(await actionDefaults()), ...options.inputs }
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? files,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_REPOSITORY: 'acme/contact-center',
    GITHUB_API_URL: 'https://api.github.invalid',
    RUNNER_TEMP: files,
    ...options.env
  }
  for (const [name, value] of Object.entries(inputs)) {
    const resolved = value.replace(/\$\{\{\s*github\.token\s*\}\}/g, options.githubToken ?? '')
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = resolved
  }
  // A runner's workspace always exists (the step runs in it).
  await mkdir(options.workspace, { recursive: true })
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/index.js')], {
    cwd: options.workspace,
    env,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')))
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
  const done = (async (): Promise<ActionRun> => {
    const timeout = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000)
    const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(resolve =>
      child.on('close', (code, sig) => resolve([code, sig]))
    )
    clearTimeout(timeout)
    try {
      const { annotations, masked } = parseWorkflowCommands(stdout)
      return {
        exitCode,
        signal,
        given: options.inputs,
        stdout,
        stderr,
        outputs: parseFileCommands(await readFile(outputFile, 'utf8')),
        summary: await readFile(summaryFile, 'utf8'),
        annotations,
        masked
      }
    } finally {
      await rm(files, { recursive: true, force: true })
    }
  })()
  return { child, done }
}

/** Runs the bundled action to its end (see startAction). */
export async function runAction(options: RunActionOptions): Promise<ActionRun> {
  return (await startAction(options)).done
}
