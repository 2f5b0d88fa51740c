// Runs one measured process for the bench: the bundled action (node dist/index.js, as a runner runs
// it) or the naive exporter, each in its own child process with the RSS probe loaded, against a
// simulated org that runs in the bench's own process.
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createHash } from 'node:crypto'
import type { SimOrg } from '../../test/sim/index.js'
import { runAction } from '../../test/support/run-action.js'
import type { NaiveOptions, NaiveResult } from './naive.js'

const HERE = import.meta.dirname
const PROBE = path.join(HERE, 'rss-probe.mjs')
const ROOT = path.resolve(HERE, '../..')

export interface Measured {
  /** What the sim counted while the process ran: every request, 429s included. */
  requests: number
  byEndpoint: Record<string, number>
  rateLimited: number
  /** The process's own run time, from its start to its exit. */
  wallMs: number
  /** The process's own peak resident set size. */
  maxRssMb: number
  /** CPU time the process used (user + system). */
  cpuMs: number
  /** Flows in the result (the action's `flows` output, or the naive exporter's files). */
  flows: number
  exitCode: number | null
  /** The action's outputs (empty for the naive exporter). */
  outputs: Record<string, string>
  /** Last lines of output when the process failed. */
  tail?: string
}

interface Probe {
  maxRssKb: number
  wallMs: number
  cpuMs: number
}

async function readProbe(file: string): Promise<Probe> {
  return JSON.parse(await readFile(file, 'utf8')) as Probe
}

/** Runs the bundled action in `workspace` against `sim` with `pull-request: false` (no GitHub involved). */
export async function measureAction(
  sim: SimOrg,
  workspace: string,
  inputs: Record<string, string>,
  timeoutMs: number
): Promise<Measured> {
  const probeDir = await mkdtemp(path.join(tmpdir(), 'bench-probe-'))
  const probeFile = path.join(probeDir, 'probe.json')
  try {
    sim.resetStats()
    const run = await runAction({
      workspace,
      timeoutMs,
      inputs: {
        'client-id': sim.clientId,
        'client-secret': sim.clientSecret,
        'api-url': sim.url,
        'pull-request': 'false',
        ...inputs
      },
      env: { NODE_OPTIONS: `--import=${PROBE}`, BENCH_PROBE_FILE: probeFile }
    })
    const stats = sim.stats()
    const probe = await readProbe(probeFile).catch(() => ({ maxRssKb: NaN, wallMs: NaN, cpuMs: NaN }))
    return {
      requests: stats.total,
      byEndpoint: stats.byEndpoint,
      rateLimited: stats.rateLimited,
      wallMs: probe.wallMs,
      maxRssMb: probe.maxRssKb / 1024,
      cpuMs: probe.cpuMs,
      flows: Number(run.outputs.flows ?? NaN),
      exitCode: run.exitCode,
      outputs: run.outputs,
      tail: run.exitCode === 0 ? undefined : `${run.stdout}\n${run.stderr}`.split('\n').slice(-25).join('\n')
    }
  } finally {
    await rm(probeDir, { recursive: true, force: true })
  }
}

/** Runs scripts/bench/naive.ts in a child process (through tsx) against `sim`. */
export async function measureNaive(sim: SimOrg, concurrency: number, timeoutMs: number): Promise<Measured> {
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-naive-'))
  const probeFile = path.join(dir, 'probe.json')
  const resultFile = path.join(dir, 'result.json')
  try {
    const options: NaiveOptions = {
      apiUrl: sim.url,
      clientId: sim.clientId,
      clientSecret: sim.clientSecret,
      outDir: path.join(dir, 'out'),
      concurrency
    }
    sim.resetStats()
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--import',
        PROBE,
        path.join(HERE, 'naive.ts'),
        JSON.stringify(options),
        resultFile
      ],
      { cwd: ROOT, env: { ...process.env, BENCH_PROBE_FILE: probeFile }, stdio: ['ignore', 'pipe', 'pipe'] }
    )
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    const exitCode = await new Promise<number | null>(resolve => child.on('close', code => resolve(code)))
    clearTimeout(timer)
    const stats = sim.stats()
    const probe = await readProbe(probeFile).catch(() => ({ maxRssKb: NaN, wallMs: NaN, cpuMs: NaN }))
    const result = (await readFile(resultFile, 'utf8')
      .then(t => JSON.parse(t) as NaiveResult)
      .catch(() => undefined)) ?? { flows: NaN }
    return {
      requests: stats.total,
      byEndpoint: stats.byEndpoint,
      rateLimited: stats.rateLimited,
      wallMs: probe.wallMs,
      maxRssMb: probe.maxRssKb / 1024,
      cpuMs: probe.cpuMs,
      flows: result.flows,
      exitCode,
      outputs: {},
      tail: exitCode === 0 ? undefined : output.split('\n').slice(-25).join('\n')
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** sha256 of every file under `dir`, by relative path: to compare two snapshots byte for byte. */
export async function treeDigest(dir: string): Promise<string> {
  const entries = (await readdir(dir, { withFileTypes: true, recursive: true }))
    .filter(e => e.isFile())
    .map(e => path.join(e.parentPath, e.name))
    .sort()
  const hash = createHash('sha256')
  for (const file of entries) {
    hash.update(path.relative(dir, file)).update('\0')
    hash
      .update(
        createHash('sha256')
          .update(await readFile(file))
          .digest()
      )
      .update('\0')
  }
  return hash.digest('hex')
}
