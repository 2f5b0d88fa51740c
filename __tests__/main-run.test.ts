// run() as the bundle runs it, in-process: inputs from INPUT_* variables, outputs to the GITHUB_OUTPUT
// file through @actions/core, the step's result in process.exitCode; Genesys is the simulated org.
// Every output the contract lists is set, also when the step fails.
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { VirtualClock } from '../src/common/clock.js'
import { memoryLog } from '../src/common/log.js'
import { clientOptionsFromInputs, GenesysClient } from '../src/genesys/client.js'
import { createOctokit } from '../src/github/octokit.js'
import { run } from '../src/main.js'
import type { Outputs, PipelineEdges } from '../src/pipeline.js'
import { startSimOrg, type SimOrg } from '../test/sim/index.js'

const OUTPUT_NAMES = [
  'changed',
  'added',
  'modified',
  'removed',
  'flows',
  'queues',
  'skills',
  'data-actions',
  'requests',
  'pull-request-number',
  'pull-request-url',
  'pull-request-operation',
  'manifest'
].sort()

let sim: SimOrg
let clock: VirtualClock
let dir: string
let cases = 0

beforeAll(async () => {
  clock = new VirtualClock()
  sim = await startSimOrg({ seed: 5, flows: 8, clock })
  dir = await mkdtemp(path.join(tmpdir(), 'main-run-'))
})

afterAll(async () => {
  await sim?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

/** The GITHUB_OUTPUT file's `name<<delimiter` blocks, by name (a name set twice is listed twice). */
function parseOutputFile(text: string): [string, string][] {
  const entries: [string, string][] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<]+)<<(.+)$/.exec(lines[i])
    if (!m) continue
    const value: string[] = []
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i])
    entries.push([m[1], value.join('\n')])
  }
  return entries
}

interface RunResult {
  outputs: Outputs
  names: string[]
  exitCode: number
  summary: string
  stdout: string
}

/** Runs run() with `inputs` over working defaults (the sim's credentials, no pull request). */
async function runAction(inputs: Record<string, string>): Promise<RunResult> {
  const workspace = path.join(dir, `ws-${++cases}`)
  const outputFile = path.join(dir, `output-${cases}`)
  await writeFile(outputFile, '')
  const given: Record<string, string> = {
    'client-id': sim.clientId,
    'client-secret': sim.clientSecret,
    'api-url': sim.url,
    'pull-request': 'false',
    ...inputs
  }
  const saved = { ...process.env }
  const savedExitCode = process.exitCode
  for (const [name, value] of Object.entries(given)) process.env[`INPUT_${name.toUpperCase()}`] = value
  Object.assign(process.env, {
    GITHUB_WORKSPACE: workspace,
    GITHUB_REPOSITORY: 'acme/contact-center',
    GITHUB_OUTPUT: outputFile
  })
  delete process.env.GITHUB_STEP_SUMMARY
  const log = memoryLog()
  let summary = ''
  const edges: PipelineEdges = {
    log,
    clock,
    genesys: i => new GenesysClient({ ...clientOptionsFromInputs(i), clock, log }),
    github: i => createOctokit(i.githubToken, { baseUrl: i.githubApiUrl, log, clock }),
    summary: async markdown => {
      summary += markdown
    }
  }
  const written: string[] = []
  const write = process.stdout.write
  process.stdout.write = ((chunk: string | Uint8Array) => {
    written.push(String(chunk))
    return true
  }) as typeof process.stdout.write
  let exitCode: number
  try {
    process.exitCode = 0
    await run(edges)
    exitCode = Number(process.exitCode ?? 0)
  } finally {
    process.stdout.write = write
    process.exitCode = savedExitCode
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name]
    Object.assign(process.env, saved)
  }
  const entries = parseOutputFile(await readFile(outputFile, 'utf8'))
  return {
    outputs: Object.fromEntries(entries) as Outputs,
    names: entries.map(([name]) => name).sort(),
    exitCode,
    summary,
    stdout: written.join('')
  }
}

const NOTHING_CHANGED = {
  changed: 'false',
  added: '0',
  modified: '0',
  removed: '0',
  flows: '0',
  queues: '0',
  skills: '0',
  'data-actions': '0',
  'pull-request-number': '',
  'pull-request-url': '',
  'pull-request-operation': 'none'
}

describe('run() sets every output', () => {
  test('on a refused input, before any request', async () => {
    const before = sim.stats().total
    const r = await runAction({ branch: 'HEAD', path: 'config/genesys' })
    expect(r.exitCode).toBe(1)
    expect(r.stdout).toContain("::error::Input 'branch'")
    expect(sim.stats().total).toBe(before)
    expect(r.names).toEqual(OUTPUT_NAMES)
    expect(r.outputs).toEqual({ ...NOTHING_CHANGED, requests: '0', manifest: 'config/genesys/manifest.json' })
  })

  test('with an empty manifest when the path input itself is refused', async () => {
    const r = await runAction({ path: '../outside' })
    expect(r.exitCode).toBe(1)
    expect(r.names).toEqual(OUTPUT_NAMES)
    expect(r.outputs).toEqual({ ...NOTHING_CHANGED, requests: '0', manifest: '' })
  })

  test('when a link in the path leads out of the workspace: before any request, nothing written there', async () => {
    const outside = path.join(dir, 'outside')
    await mkdir(outside, { recursive: true })
    // runAction's next workspace, with a committed link in it.
    const workspace = path.join(dir, `ws-${cases + 1}`)
    await mkdir(workspace, { recursive: true })
    await symlink(outside, path.join(workspace, 'cfg'))
    const before = sim.stats().total
    const r = await runAction({ path: 'cfg/genesys' })
    expect(r.exitCode).toBe(1)
    expect(r.stdout).toContain(
      `::error::The path input's folder leads out of the workspace: cfg resolves to ${outside} through a symbolic link.`
    )
    expect(sim.stats().total).toBe(before)
    expect(await readdir(outside)).toEqual([])
    expect(r.names).toEqual(OUTPUT_NAMES)
  })

  test('when login fails (wrong client secret): the one login request', async () => {
    const before = sim.stats().total
    const r = await runAction({ 'client-secret': 'not-the-secret' })
    expect(r.exitCode).toBe(1)
    expect(r.stdout).toMatch(/::error::.*401/)
    expect(r.summary).toContain('Genesys Cloud snapshot failed')
    expect(sim.stats().total - before).toBe(1)
    expect(r.names).toEqual(OUTPUT_NAMES)
    expect(r.outputs).toEqual({ ...NOTHING_CHANGED, requests: '1', manifest: 'genesys/manifest.json' })
  })

  test('when the run fails midway: the requests made until then', async () => {
    sim.setFaults({ forbiddenEndpoints: ['GET /api/v2/flows'] })
    const before = sim.stats().total
    let r: RunResult
    try {
      r = await runAction({})
    } finally {
      sim.setFaults({ forbiddenEndpoints: [] })
    }
    // Each request the client made reached the sim: a login, /users/me, the flow listing.
    expect(r.outputs.requests).toBe(String(sim.stats().total - before))
    expect(r.exitCode).toBe(1)
    expect(r.stdout).toMatch(/::error::.*403/)
    expect(r.names).toEqual(OUTPUT_NAMES)
    expect(Number(r.outputs.requests)).toBeGreaterThan(0)
    expect(r.outputs).toEqual({
      ...NOTHING_CHANGED,
      requests: r.outputs.requests,
      manifest: 'genesys/manifest.json'
    })
  })

  test('once each when the run works', async () => {
    const r = await runAction({})
    expect(r.stdout).not.toContain('::error::')
    expect(r.exitCode).toBe(0)
    expect(r.names).toEqual(OUTPUT_NAMES)
    expect(r.outputs.changed).toBe('true')
    expect(Number(r.outputs.flows)).toBeGreaterThan(0)
    expect(Number(r.outputs.requests)).toBeGreaterThan(0)
  })
})

describe('check and validate on a workspace with no snapshot folder', () => {
  test.each(['check', 'validate'])('%s fails saying to check out the repository', async mode => {
    const inputs: Record<string, string> =
      mode === 'validate' ? { mode, 'client-id': '', 'client-secret': '' } : { mode }
    const r = await runAction(inputs)
    expect(r.exitCode).toBe(1)
    const errors = r.stdout.split('\n').filter(l => l.startsWith('::error'))
    expect(errors.at(-1)).toMatch(/There is no genesys folder in the workspace: check out the repository/)
  })
})
