/**
 * The reliability report: each reliability test file declares its cases through a Section (fault,
 * expected outcome, the test that injects it); the outcome of every case is recorded as the tests
 * run, and when the last file of a full run finishes, docs/reliability.md is generated from all of
 * them. The file holds nothing that varies between runs (no times, ports or ids), so an unchanged
 * suite writes an unchanged file; a partial run (one file) leaves it alone.
 */
import { fileURLToPath } from 'node:url'
import { createHash } from 'node:crypto'
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const REPORT_FILE = path.join(ROOT, 'docs', 'reliability.md')

export type SectionId = 'genesys' | 'github' | 'process' | 'inputs' | 'secrets'

interface SectionInfo {
  id: SectionId
  title: string
  file: string
  intro: string
}

/** The report's sections, in order; each is filled by one test file. */
const SECTIONS: SectionInfo[] = [
  {
    id: 'genesys',
    title: 'Genesys Cloud faults',
    file: '__tests__/reliability-genesys.test.ts',
    intro:
      'The whole pipeline in-process: the real Genesys client against the simulated org (test/sim) with the fault switched on, the real Octokit against the GitHub stand-in (test/github), all on one virtual clock, so a 60 s Retry-After costs no real time. Each case starts from the same state: main holds a merged snapshot, a snapshot PR is open, and the org has changed since, so a successful run updates the PR. A transient fault must end in the snapshot a clean run writes (the workspace files and the snapshot folder on the PR branch byte for byte); a permanent one in a failed step whose message names the endpoint, the status and what to do, with the workspace, every ref and every pull request exactly as before.'
  },
  {
    id: 'github',
    title: 'GitHub faults',
    file: '__tests__/reliability-github.test.ts',
    intro:
      'The same pipeline, with the fault on the GitHub stand-in instead. A transient fault must end in the snapshot a clean run publishes; a permanent one in a failed step that says what to change, the workspace untouched (it takes the new snapshot only after the PR is published), and the PR branch and pull requests as before.'
  },
  {
    id: 'process',
    title: 'Killed mid-run',
    file: '__tests__/reliability-process.test.ts',
    intro:
      'The bundled action (dist/index.js) run as a runner runs it, against a slowed simulated org, killed with SIGKILL at a precise point (the moment the sim or the stand-in receives a given request, or the moment the swap starts). The workspace must then hold exactly the old snapshot or exactly the new one, the PR branch the old or the new snapshot folder, and a rerun must end in the new snapshot with the PR up to date.'
  },
  {
    id: 'inputs',
    title: 'Malformed and contradictory inputs',
    file: '__tests__/reliability-inputs.test.ts',
    intro:
      'The bundled action with one bad input each: the step must fail before any request (the simulated org and the GitHub stand-in count zero requests) with a message naming the input.'
  },
  {
    id: 'secrets',
    title: 'Secrets',
    file: '(every reliability test file)',
    intro:
      'Each reliability test file collects everything its runs emitted (stdout and stderr without the ::add-mask:: lines the runner consumes, annotations, outputs, job summaries, failure messages, every file in the workspace, every commit with its diff in the repository, every PR title and body) and sweeps it for the client secret, its Basic form, every access token the sim issued, the GitHub token and every credential seeded into data actions.'
  }
]

/** Tests that already prove the rest at unit level; the report points at them. */
const ELSEWHERE: { what: string; where: string }[] = [
  {
    what: 'Generated resource names (fast-check: traversal, separators, control and bidi characters, NFC/NFD twins, case-only twins, reserved device names, 1,000-character names) stay inside the folder, unique case-insensitively, stable from run to run',
    where: 'src/snapshot/names.test.ts'
  },
  {
    what: 'YAML special characters, anchors, aliases and `<<` keys in names and descriptions round-trip exactly',
    where: 'src/snapshot/canonical.test.ts'
  },
  {
    what: 'A PR body cannot mention or ping anyone, nor break the markdown (mentions, links, HTML, bidi)',
    where: 'src/report/escape.test.ts'
  },
  { what: 'Every malformed input is refused, naming the input', where: 'src/inputs.test.ts' },
  {
    what: 'Client-level faults: login and renewal, 401, 429 on a virtual clock, retries, timeouts, paging, export jobs',
    where: 'src/genesys/*.test.ts, __tests__/genesys-client.test.ts, __tests__/genesys-client-export.test.ts'
  },
  { what: 'Publisher-level GitHub faults', where: '__tests__/github-publish.test.ts' },
  {
    what: 'Staging: atomic swap, carry-over of unmanaged files, recovery after a kill between the two renames',
    where: 'src/snapshot/staging.test.ts'
  }
]

type Status = 'held' | 'did not hold' | 'not run'

interface CaseResult {
  section: SectionId
  fault: string
  expected: string
  status: Status
  observed?: string
}

interface Fragment {
  run: number
  /** The test file that wrote it. */
  file: string
  cases: CaseResult[]
}

/** Jest runs files in child processes of one jest process (or in it, for a single file). */
function runId(): number {
  return typeof process.send === 'function' ? process.ppid : process.pid
}

function fragmentsDir(): string {
  const key = createHash('sha256').update(ROOT).digest('hex').slice(0, 12)
  return path.join(tmpdir(), `reliability-report-${key}`)
}

/** One test file's cases. */
export class ReliabilityReport {
  private readonly cases: CaseResult[] = []

  /** `file`: the test file's name, e.g. 'reliability-genesys'. */
  constructor(readonly file: string) {}

  /**
   * Declares a case and its test. `fn` runs the case and makes its assertions; what it returns is
   * quoted as what was observed (it must not vary between runs). A thrown assertion marks the case
   * as not held and fails the test. Concurrent cases run together (each must use servers of its own).
   */
  test(
    section: SectionId,
    fault: string,
    expected: string,
    fn: () => Promise<string | void>,
    options: { timeoutMs?: number; concurrent?: boolean } = {}
  ): void {
    if (!SECTIONS.some(s => s.id === section)) throw new Error(`Unknown report section ${section}`)
    const result: CaseResult = { section, fault, expected, status: 'not run' }
    this.cases.push(result)
    const declare = options.concurrent ? test.concurrent : test
    declare(
      fault,
      async () => {
        try {
          const observed = await fn()
          result.status = 'held'
          if (observed) result.observed = observed
        } catch (error) {
          result.status = 'did not hold'
          throw error
        }
      },
      options.timeoutMs
    )
  }

  /** Records this file's cases; when every reliability file of this run is in, writes docs/reliability.md. */
  async write(): Promise<void> {
    const dir = fragmentsDir()
    await mkdir(dir, { recursive: true })
    const fragment: Fragment = { run: runId(), file: this.file, cases: this.cases }
    await atomicWrite(path.join(dir, `${this.file}.json`), JSON.stringify(fragment))
    const fragments: Fragment[] = []
    for (const file of (await readdir(dir)).sort()) {
      if (!file.endsWith('.json')) continue
      try {
        const f = JSON.parse(await readFile(path.join(dir, file), 'utf8')) as Fragment
        if (f.run === fragment.run) fragments.push(f)
      } catch {
        // another worker is writing it; the last file to finish sees it whole
      }
    }
    const files = await reliabilityFiles()
    if (!files.every(f => fragments.some(x => x.file === f))) return
    await atomicWrite(REPORT_FILE, renderReport(fragments.filter(f => files.includes(f.file))))
  }
}

/** The reliability test files of the suite ('reliability-genesys', ...), sorted. */
async function reliabilityFiles(): Promise<string[]> {
  const files = await readdir(path.join(ROOT, '__tests__'))
  return files
    .filter(f => /^reliability.*\.test\.ts$/.test(f))
    .map(f => f.replace(/\.test\.ts$/, ''))
    .sort()
}

async function atomicWrite(file: string, text: string): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`
  await writeFile(temp, text)
  await rename(temp, file)
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>')
}

/** A long message (one line per flow) keeps its head and its last line (what to do). */
function brief(text: string): string {
  const lines = text.split('\n')
  if (lines.length <= 4) return text
  return [...lines.slice(0, 2), `… (${lines.length - 3} more lines)`, lines[lines.length - 1]].join('\n')
}

const MARK: Record<Status, string> = { held: 'yes', 'did not hold': '**NO**', 'not run': 'not run' }

export function renderReport(fragments: Fragment[]): string {
  const bySection = new Map<SectionId, CaseResult[]>()
  // Files in name order, whatever order they finished in; cases in the order they are declared.
  const ordered = [...fragments].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
  for (const f of ordered)
    for (const c of f.cases) bySection.set(c.section, [...(bySection.get(c.section) ?? []), c])
  const all = [...bySection.values()].flat()
  const held = all.filter(c => c.status === 'held').length
  const lines: string[] = [
    '# Reliability and security',
    '',
    '<!-- Generated by the reliability suite (__tests__/reliability-*.test.ts, test/support/reliability-report.ts) on every full test run. Do not edit by hand. -->',
    '',
    'A snapshot that is wrong is worse than no snapshot. Each case below is a test that injects the fault or the bad input into a real run of the action and checks the outcome; this page is written from that test run. Run it with `npm run jest -- reliability`.',
    '',
    `**${all.length} cases, ${held} held${all.length - held > 0 ? `, ${all.length - held} did not` : ''}.**`,
    ''
  ]
  for (const section of SECTIONS) {
    const cases = bySection.get(section.id) ?? []
    lines.push(`## ${section.title}`, '', `Test: \`${section.file}\`.`, '', section.intro, '')
    if (cases.length === 0) {
      lines.push('_Not run._', '')
      continue
    }
    lines.push('| # | Fault or input | Expected outcome | Held | Observed |', '|---|---|---|---|---|')
    cases.forEach((c, i) => {
      lines.push(
        `| ${i + 1} | ${cell(c.fault)} | ${cell(c.expected)} | ${MARK[c.status]} | ${cell(brief(c.observed ?? ''))} |`
      )
    })
    lines.push('')
  }
  lines.push(
    '## Covered by unit and property tests',
    '',
    'These hold at unit level and are not repeated end to end:',
    '',
    ...ELSEWHERE.map(e => `- ${e.what}: \`${e.where}\``),
    ''
  )
  return lines.join('\n')
}
