// npm run demo: the built action snapshots a simulated Genesys Cloud org into a pull request on a
// local GitHub stand-in, then the org changes and it runs again. Nothing leaves this machine.
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startSimOrg } from '../test/sim/index.js'
import { startGitHubStandIn } from '../test/github/index.js'
import { runAction, type ActionRun } from '../test/support/run-action.js'

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s)
const rule = (title: string) =>
  console.log(`\n${bold(`── ${title} ${'─'.repeat(Math.max(0, 72 - title.length))}`)}`)

async function tree(dir: string, prefix = ''): Promise<string[]> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))
  const lines: string[] = []
  for (const [i, e] of entries.entries()) {
    const last = i === entries.length - 1
    lines.push(`${prefix}${last ? '└── ' : '├── '}${e.name}`)
    if (e.isDirectory())
      lines.push(...(await tree(path.join(dir, e.name), prefix + (last ? '    ' : '│   '))))
  }
  return lines
}

function showRun(run: ActionRun): void {
  console.log(`exit code ${run.exitCode}`)
  console.log('outputs:')
  for (const [k, v] of Object.entries(run.outputs)) console.log(`  ${k}: ${v}`)
  for (const a of run.annotations) console.log(`  ${a.level}: ${a.message.split('\n')[0]}`)
  if (run.exitCode !== 0) {
    console.log(run.stdout.split('\n').slice(-30).join('\n'))
    console.log(run.stderr)
  }
}

async function main(): Promise<void> {
  const scratch = await mkdtemp(path.join(tmpdir(), 'genesys-snapshot-demo-'))
  const sim = await startSimOrg({ seed: 7, flows: 24 })
  const gh = await startGitHubStandIn({ owner: 'acme', repo: 'contact-center', defaultBranch: 'main' })
  try {
    await gh.commitFiles('main', { 'README.md': '# Contact center configuration\n' }, 'Initial commit')
    console.log(`Simulated Genesys Cloud org: ${sim.url} (seed 7, 24 flows)`)
    console.log(
      `GitHub stand-in:             ${gh.url} (${gh.owner}/${gh.repo}, bare repository ${gh.bareRepo})`
    )

    const act = async (label: string): Promise<ActionRun> => {
      const workspace = path.join(scratch, label)
      await gh.checkout('main', workspace)
      const run = await runAction({
        workspace,
        inputs: {
          'client-id': sim.clientId,
          'client-secret': sim.clientSecret,
          'api-url': sim.url,
          labels: 'genesys'
        },
        githubToken: gh.token,
        env: { GITHUB_REPOSITORY: `${gh.owner}/${gh.repo}`, GITHUB_API_URL: gh.url }
      })
      showRun(run)
      return run
    }

    rule('Run 1: first snapshot (node dist/index.js, inputs as INPUT_* variables)')
    const first = await act('run-1')
    if (first.exitCode !== 0) throw new Error('the first run failed')
    rule('Snapshot written to the workspace (genesys/)')
    console.log((await tree(path.join(scratch, 'run-1', 'genesys'))).join('\n'))

    const opened = gh.pulls().find(p => p.state === 'open')!
    rule(`Pull request #${opened.number} is reviewed and merged`)
    await gh.mergePull(opened.number)
    console.log(`merged #${opened.number} "${opened.title}" into main`)

    rule('The org changes: a flow is republished, a queue edited, a flow deleted')
    const manifest = JSON.parse((await gh.readFile('genesys-snapshot', 'genesys/manifest.json'))!) as {
      resources: { kind: string; id: string; name: string; version?: string }[]
    }
    const flows = manifest.resources.filter(r => r.kind === 'flow')
    const queue = manifest.resources.find(r => r.kind === 'queue')!
    const version = sim.publishFlow(flows[0].id)
    console.log(`published ${flows[0].name}: ${flows[0].version} → ${version}`)
    sim.editQueue(queue.id, { acwSettings: { timeoutMs: 60000 } })
    console.log(`edited queue ${queue.name}: acwSettings.timeoutMs → 60000`)
    sim.deleteFlow(flows[1].id)
    console.log(`deleted flow ${flows[1].name}`)

    rule('Run 2: the same action, an hour later, on the merged main')
    await act('run-2')

    const pr = gh.pulls().find(p => p.state === 'open')
    rule(`Pull request #${pr?.number}: ${pr?.title}`)
    console.log(pr?.body ?? '(none)')
    rule('Genesys requests')
    console.log(sim.stats().byEndpoint)
  } finally {
    await sim.close()
    await gh.close()
    await rm(scratch, { recursive: true, force: true })
  }
}

main().catch(error => {
  console.error(error)
  process.exitCode = 1
})
