/**
 * The bundled action (dist/index.js) started as a runner starts it, with a handle on the process so
 * a test can kill it at a precise moment. Inputs get action.yml's defaults, as on a runner.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import type { GitHubStandIn } from '../github/index.js'
import { parseFileCommands, parseWorkflowCommands, type ActionRun } from './run-action.js'
import type { Emissions } from './reliability-emissions.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

export interface BundleRun extends ActionRun {
  /** The signal that ended the process (SIGKILL when a test killed it), else null. */
  signal: NodeJS.Signals | null
  /** The inputs as given (before action.yml's defaults). */
  given: Record<string, string>
}

export interface BundleOptions {
  inputs: Record<string, string>
  workspace: string
  env?: Record<string, string>
  /** Stands in for ${{ github.token }}. */
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

/** Starts the bundle; `done` resolves when it has exited (or was killed) with all it emitted. */
export async function startBundle(
  options: BundleOptions
): Promise<{ child: ChildProcess; done: Promise<BundleRun> }> {
  const files = await mkdtemp(path.join(tmpdir(), 'bundle-run-'))
  const outputFile = path.join(files, 'output')
  const summaryFile = path.join(files, 'summary')
  await writeFile(outputFile, '')
  await writeFile(summaryFile, '')
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
  for (const [name, value] of Object.entries({ ...(await actionDefaults()), ...options.inputs })) {
    const resolved = value.replace(/\$\{\{\s*github\.token\s*\}\}/g, options.githubToken ?? '')
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = resolved
  }
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/index.js')], {
    cwd: options.workspace,
    env,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')))
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
  const done = (async (): Promise<BundleRun> => {
    const timeout = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 90_000)
    const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(resolve =>
      child.on('close', (code, sig) => resolve([code, sig]))
    )
    clearTimeout(timeout)
    try {
      const { annotations, masked } = parseWorkflowCommands(stdout)
      return {
        exitCode,
        signal,
        stdout,
        stderr,
        outputs: parseFileCommands(await readFile(outputFile, 'utf8')),
        summary: await readFile(summaryFile, 'utf8'),
        annotations,
        masked,
        given: options.inputs
      }
    } finally {
      await rm(files, { recursive: true, force: true })
    }
  })()
  return { child, done }
}

export async function runBundle(options: BundleOptions): Promise<BundleRun> {
  return (await startBundle(options)).done
}

/** Adds what a bundle run emitted; ::add-mask:: lines are the runner's and never shown, so they are left out. */
export async function recordBundleRun(
  emissions: Emissions,
  label: string,
  run: BundleRun,
  workspace: string,
  gh?: GitHubStandIn
): Promise<void> {
  const shown = run.stdout
    .split('\n')
    .filter(line => !line.startsWith('::add-mask::'))
    .join('\n')
  emissions.add(`${label}: stdout`, shown)
  emissions.add(`${label}: stderr`, run.stderr)
  emissions.add(`${label}: annotations`, JSON.stringify(run.annotations))
  emissions.add(`${label}: outputs`, JSON.stringify(run.outputs))
  emissions.add(`${label}: job summary`, run.summary)
  await emissions.addFolder(`${label}: workspace`, workspace)
  if (gh) await emissions.addGitHub(`${label}: GitHub`, gh)
}
