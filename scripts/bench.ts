// npm run bench: how many requests, how much time and how much memory a snapshot costs, against the
// simulated org (fixed seed), for a full snapshot, an unchanged rerun and a naive tutorial-style
// exporter, with the rate limit binding and with latency binding. Writes docs/benchmark.md.
//
//   npm run bench                                   sizes 100, 1,000, 5,000 (about 10 minutes)
//   npm run bench -- --sizes 100,1000 --only full,rerun
//   npm run bench -- --sizes 10000 --scenarios binding,memory --memory-sizes 10000 --only full,rerun --label 10000
//   npm run bench -- --sizes 1000 --only naive --naive-sizes 1000 --label naive-1000
//
// The sim runs in this process; the action (node dist/index.js, as a runner starts it, with
// `pull-request: false`, so no GitHub is involved) and the naive exporter each run in a child
// process whose own peak RSS and run time a probe records.
import { cpus } from 'node:os'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { startSimOrg } from '../test/sim/index.js'
import { measureAction, measureNaive, treeDigest, type Measured } from './bench/measure.js'
import {
  bound,
  mergeSections,
  renderChecks,
  renderSize,
  RUN_LABEL,
  type Check,
  type RunKind,
  type RunRow,
  type Scenario,
  type SizeResult
} from './bench/table.js'

const ROOT = path.resolve(import.meta.dirname, '..')

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100,1000,5000' },
    scenarios: { type: 'string', default: 'binding,latency,memory' },
    only: { type: 'string', default: 'full,rerun,naive' },
    'naive-sizes': { type: 'string', default: '100' },
    'memory-sizes': { type: 'string', default: '5000' },
    seed: { type: 'string', default: '7' },
    'flow-bytes': { type: 'string', default: '6000' },
    'memory-flow-bytes': { type: 'string', default: '50000' },
    'latency-ms': { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '8' },
    label: { type: 'string', default: 'default' },
    out: { type: 'string', default: 'docs/benchmark.md' }
  }
})

const list = (s: string): string[] =>
  s
    .split(',')
    .map(x => x.trim())
    .filter(Boolean)
const sizes = list(args.sizes).map(Number)
const scenarioNames = list(args.scenarios) as Scenario['name'][]
const kinds = list(args.only) as RunKind[]
const naiveSizes = new Set(list(args['naive-sizes']).map(Number))
const memorySizes = new Set(list(args['memory-sizes']).map(Number))
const seed = Number(args.seed)
const flowBytes = Number(args['flow-bytes'])
const memoryFlowBytes = Number(args['memory-flow-bytes'])
const latencyMs = Number(args['latency-ms'])
const concurrency = Number(args.concurrency)

/**
 * The real limit is 300/min; at that rate 5,000 flows take about 20 minutes a run, so from 1,000
 * flows up the sim's limit and the action's `requests-per-minute` are both scaled to 3,000/min. The
 * time bound scales with them; the fixed costs (process start, the last requests) do not, so the
 * scaled runs are the harder test of the 1.10 ratio.
 *
 * Time is measured with the sim's default flow size: the sim renders and zips flow YAML on the one
 * thread that also answers the API, so large flows stall every other answer while a download is
 * made (about 0.25 s per 100 flows of 50 KB), which no Genesys org does. The memory scenario has the
 * 50 KB flows of the memory target, and no rate limit.
 */
function scenarioFor(name: Scenario['name'], flows: number): Scenario {
  if (name === 'binding') {
    return { name, rpm: flows <= 100 ? 300 : 3000, limited: true, latencyMs, concurrency, flowBytes }
  }
  // No limit in the sim; the action's budget at the highest value the input takes.
  const bytes = name === 'memory' ? memoryFlowBytes : flowBytes
  return { name, rpm: 100_000, limited: false, latencyMs, concurrency, flowBytes: bytes }
}

const say = (s: string): void => console.log(s)
const secondsOf = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

async function benchSize(flows: number): Promise<SizeResult> {
  const rows: RunRow[] = []
  let published = 0
  for (const name of scenarioNames) {
    if (name === 'memory' && !memorySizes.has(flows)) continue
    const scenario = scenarioFor(name, flows)
    const sim = await startSimOrg({
      seed,
      flows,
      averageFlowBytes: scenario.flowBytes,
      latencyMs,
      rateLimitPerMinute: scenario.limited ? scenario.rpm : 0
    })
    published = sim.org.flows.filter(f => !f.deleted && f.publishedVersion).length
    const workspace = await mkdtemp(path.join(tmpdir(), 'bench-ws-'))
    // Generous: a run that hangs is cut off, and reported as failed.
    const timeoutMs = Math.max(300_000, (flows / scenario.rpm) * 60_000 * 3 + 120_000)
    const inputs = {
      concurrency: String(concurrency),
      'requests-per-minute': String(scenario.rpm),
      incremental: 'true'
    }
    try {
      let fullDigest: string | undefined
      for (const kind of kinds) {
        if (kind === 'naive' && (!naiveSizes.has(flows) || name === 'memory')) continue
        if (kind === 'rerun' && !kinds.includes('full')) continue
        say(`${flows} flows, ${name}: ${RUN_LABEL[kind]} ...`)
        let measured: Measured
        let identical: boolean | undefined
        if (kind === 'naive') {
          measured = await measureNaive(sim, concurrency, timeoutMs * 3)
        } else {
          measured = await measureAction(sim, workspace, inputs, timeoutMs)
          const digest = await treeDigest(path.join(workspace, 'genesys')).catch(() => undefined)
          if (kind === 'full') fullDigest = digest
          else identical = digest !== undefined && digest === fullDigest
        }
        const row: RunRow = { scenario, kind, measured, identical }
        rows.push(row)
        const b = bound(row)
        say(
          `  exit ${measured.exitCode}, ${measured.requests} requests, ${secondsOf(measured.wallMs)} (bound ${secondsOf(b.ms)}, ${b.kind}), peak RSS ${Math.round(measured.maxRssMb)} MB${identical === undefined ? '' : identical ? ', same bytes as the full run' : ', BYTES DIFFER'}`
        )
        if (measured.tail) say(measured.tail)
      }
    } finally {
      await sim.close()
      await rm(workspace, { recursive: true, force: true })
    }
  }
  return { flows, published, rows }
}

const NOTE_FIXED_REQUESTS =
  'Requests per flow: six requests come whatever the size (login, the organization check, the dependency index status, the first page of flows, queues and skills), 0.06 a flow at 100 flows. The rest is the floor of the method: one `consumedresources` call per flow (the API has no batch form) and one GET per data action (listings lack the contract), plus one export job (about four requests) per 100 flows.'
const NOTE_FIXED_TIME =
  'Time: the costs that do not shrink with a scaled rate limit (starting node and the bundle, about 0.3 s; the first requests, made one after another; the last answers and the files written after them) weigh more against a short bound.'
const NOTE_RERUN_MEMORY =
  'Memory of a rerun: the committed manifest.json of a large org is megabytes of JSON, parsed once (src/snapshot/read.ts) and held for the run; a peak far above the full run points at a second copy of it or a parse that builds more than the entries.'
const NOTE_FULL_MEMORY =
  'Memory: the live heap of a 5,000-flow run is about 35 MB (heap snapshots: 15 MB of strings, of which the bundle source is 4.5 MB because it holds non-Latin-1 characters; 6 MB of compiled code). The rest of the peak is node (its binary alone is 45 MB of RSS) and the bundle, about 75 MB before any work; a young generation V8 grows to 32 MB; old space, which src/common/heap.ts collects once it has grown by max(16 MB, half the live heap), because V8 left alone let it fill to twice the live heap; and native memory of the file reads and writes.'

function checksFor(results: SizeResult[]): Check[] {
  const checks: Check[] = []
  for (const r of results) {
    const size = r.flows.toLocaleString('en-US')
    const fullRss = Math.max(
      0,
      ...r.rows.filter(x => x.kind === 'full' && x.scenario.name === 'memory').map(x => x.measured.maxRssMb)
    )
    for (const row of r.rows) {
      const m = row.measured
      if (row.kind === 'naive') continue
      if (m.exitCode !== 0) {
        checks.push({
          what: `${size} flows, ${row.scenario.name}: ${RUN_LABEL[row.kind]}`,
          target: 'completes',
          measured: `exit ${m.exitCode}`,
          ok: false
        })
        continue
      }
      if (row.kind === 'full' && row.scenario.name === 'binding') {
        checks.push({
          what: `${size} flows: requests per flow, full snapshot`,
          target: '≤ 1.20',
          measured: `${(m.requests / m.flows).toFixed(3)} per flow in the snapshot (${(m.requests / r.flows).toFixed(3)} per flow in the org)`,
          ok: m.requests / m.flows <= 1.2,
          note: NOTE_FIXED_REQUESTS
        })
        const b = bound(row)
        checks.push({
          what: `${size} flows: wall time ÷ rate-limit bound, full snapshot`,
          target: '≤ 1.10',
          measured: (m.wallMs / b.ms).toFixed(2),
          ok: m.wallMs / b.ms <= 1.1,
          note: NOTE_FIXED_TIME
        })
      }
      if (row.kind === 'rerun') {
        // The issue's target is for 2,000 flows; above that the listings alone grow past a few
        // dozen requests, and the time with the files to read and write.
        const few = r.flows <= 2000
        checks.push({
          what: `${size} flows, ${row.scenario.name}: unchanged rerun`,
          target: few
            ? 'a few dozen requests (≤ 36), seconds, same bytes'
            : 'same bytes (no target beyond 2,000 flows)',
          measured: `${m.requests} requests, ${(m.wallMs / 1000).toFixed(1)} s, ${row.identical ? 'same bytes' : 'bytes differ'}`,
          ok: (!few || (m.requests <= 36 && m.wallMs <= 15_000)) && row.identical === true
        })
      }
      if (row.scenario.name === 'memory') {
        checks.push({
          what: `${size} flows of ${Math.round(row.scenario.flowBytes / 1000)} KB: peak RSS of the action, ${RUN_LABEL[row.kind]}`,
          target: '≤ 200 MB',
          measured: `${Math.round(m.maxRssMb)} MB`,
          ok: m.maxRssMb <= 200,
          note: row.kind === 'rerun' && m.maxRssMb > 2 * fullRss ? NOTE_RERUN_MEMORY : NOTE_FULL_MEMORY
        })
      }
    }
  }
  return checks
}

async function main(): Promise<void> {
  const started = Date.now()
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`
  const results: SizeResult[] = []
  for (const flows of sizes) results.push(await benchSize(flows))
  const took = Date.now() - started

  const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, Node ${process.version}`
  const scenarios = scenarioNames.map(n => {
    if (n === 'binding')
      return `- **rate limit binds**: the sim allows 300 requests per minute per token (the real limit) for orgs of up to 100 flows and 3,000 above that (scaled, so a 5,000-flow run takes 2 minutes, not 20), and the action's \`requests-per-minute\` is the same. Bound: budgeted requests (all but login and signed downloads) ÷ requests per minute.`
    if (n === 'latency')
      return `- **latency binds**: no rate limit in the sim, \`requests-per-minute: 100000\`. Bound: requests × ${latencyMs} ms ÷ ${concurrency} in flight.`
    return `- **memory**: as "latency binds", with flows of ${memoryFlowBytes.toLocaleString('en-US')} bytes of YAML on average, for ${[...memorySizes].map(n => n.toLocaleString('en-US')).join(' and ')} flows.`
  })
  const section = [
    `## Run: ${args.label}`,
    '',
    `Command: \`${command}\` (${(took / 60_000).toFixed(1)} minutes on ${machine}).`,
    '',
    `Simulated org: seed ${seed}, default reference density, flows of ${flowBytes.toLocaleString('en-US')} bytes of YAML on average (the sim's default; ${memoryFlowBytes.toLocaleString('en-US')} in the memory scenario), ${latencyMs} ms added to every response. The sim runs in the bench's process; the action (\`node dist/index.js\` as a runner starts it, \`concurrency: ${concurrency}\`, \`pull-request: false\`: the Genesys side only, no GitHub) and the naive exporter (through tsx) each run in a child process, whose own peak RSS and run time (process start to exit) are measured.`,
    '',
    ...scenarios,
    '',
    '"Unchanged rerun" runs the action again in the same workspace (`incremental: true`) against the unchanged org; its snapshot is compared byte for byte with the full run\'s. "Naive exporter" is what the tutorials do (`scripts/bench/naive.ts`): flows listed 25 a page, one export job per flow polled every 2 s, one `consumedresources` call per flow, one GET per queue, skill and data action (each once), up to ' +
      `${concurrency} flows at a time, honouring 429 Retry-After. It runs only for ${[...naiveSizes].map(n => n.toLocaleString('en-US')).join(' and ')} flows: with 2 s polls it needs over 4 s a flow.`,
    '',
    '### Targets',
    '',
    renderChecks(checksFor(results)),
    '',
    ...results.map(renderSize)
  ].join('\n')

  const header = [
    '# Benchmark',
    '',
    'Written by `npm run bench` (scripts/bench.ts); each labelled run replaces only its own section. Request counts are deterministic for a seed; times and memory are measurements of one run on the machine named.'
  ].join('\n')
  const out = path.resolve(ROOT, args.out)
  const existing = await readFile(out, 'utf8').catch(() => undefined)
  await writeFile(out, mergeSections(existing, header, args.label, section))
  say(`\n${section}\n\nWritten to ${path.relative(ROOT, out)} (${(took / 60_000).toFixed(1)} min).`)
}

main().catch(error => {
  console.error(error)
  process.exitCode = 1
})
