// A self-hosted runner behind a proxy: the bundle, run as a runner runs it, sends its Genesys
// requests through http_proxy / https_proxy (a real tunnelling proxy on loopback), leaves hosts in
// no_proxy alone, and says what to do when the proxy refuses it. The org is named by a host the
// runner cannot resolve, so only the proxy can reach it.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startSimOrg, type SimOrg } from '../test/sim/index.js'
import { startConnectProxy, type ConnectProxy } from '../test/support/connect-proxy.js'
import { runAction, type ActionRun } from '../test/support/run-action.js'

let sim: SimOrg
let dir: string
let cases = 0
const proxies: ConnectProxy[] = []

beforeAll(async () => {
  sim = await startSimOrg({ seed: 3, flows: 6 })
  dir = await mkdtemp(path.join(tmpdir(), 'proxy-'))
})
afterAll(async () => {
  await sim?.close()
  for (const p of proxies) await p.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

async function proxy(options: { credentials?: string } = {}): Promise<ConnectProxy> {
  const started = await startConnectProxy(options)
  proxies.push(started)
  return started
}

/** The org behind a name only the proxy resolves (.invalid never resolves in DNS). */
function orgHost(): string {
  return `genesys-org.invalid:${new URL(sim.url).port}`
}

function act(env: Record<string, string>): Promise<ActionRun> {
  return runAction({
    workspace: path.join(dir, `ws-${++cases}`),
    inputs: {
      'client-id': sim.clientId,
      'client-secret': sim.clientSecret,
      'api-url': `http://${orgHost()}`,
      'pull-request': 'false'
    },
    env
  })
}

const published = () => sim.org.flows.filter(f => !f.deleted && f.publishedVersion).length

test('Genesys requests go through http_proxy, and the log says so', async () => {
  const p = await proxy()
  const run = await act({ http_proxy: p.url })
  expect(run.exitCode).toBe(0)
  expect(run.outputs.flows).toBe(String(published()))
  expect(p.tunnels.length).toBeGreaterThan(0)
  expect(new Set(p.tunnels)).toEqual(new Set([orgHost()]))
  expect(run.stdout).toContain(`Requests to ${orgHost()} go through the proxy ${p.url} (http_proxy).`)
})

test('a host in no_proxy is reached directly, so an unresolvable one fails naming no proxy', async () => {
  const p = await proxy()
  const run = await act({ HTTP_PROXY: p.url, NO_PROXY: 'localhost,.invalid' })
  expect(run.exitCode).toBe(1)
  expect(p.tunnels).toEqual([])
  const error = run.annotations.find(a => a.level === 'error')!.message
  expect(error).toMatch(/host name not found/)
  expect(error).not.toMatch(/proxy/)
})

test('a proxy that wants credentials is named with what to do; credentials in its URL work and stay secret', async () => {
  const p = await proxy({ credentials: 'runner:pr0xy-s3cret' })
  const refused = await act({ http_proxy: p.url })
  expect(refused.exitCode).toBe(1)
  const error = refused.annotations.find(a => a.level === 'error')!.message
  expect(error).toContain(`answered 407 to the tunnel request`)
  expect(error).toMatch(new RegExp(`[Tt]he proxy ${p.url} \\(http_proxy\\) wants credentials`))

  const url = new URL(p.url)
  const run = await act({ http_proxy: `http://runner:pr0xy-s3cret@${url.host}` })
  expect(run.exitCode).toBe(0)
  expect(run.outputs.flows).toBe(String(published()))
  expect(run.masked).toContain('pr0xy-s3cret')
  // Only the mask command itself carries it (the runner hides it everywhere else).
  const shown = `${run.stdout}\n${run.stderr}\n${run.summary}`
    .split('\n')
    .filter(line => !line.startsWith('::add-mask::'))
  expect(shown.join('\n')).not.toContain('pr0xy-s3cret')
})

test('a proxy variable that is not a URL fails before any request, naming the variable', async () => {
  const before = sim.stats().total
  const run = await act({ https_proxy: 'http://[bad' })
  expect(run.exitCode).toBe(1)
  expect(run.annotations.find(a => a.level === 'error')!.message).toMatch(
    /Environment variable https_proxy \('http:\/\/\[bad'\) is not a proxy URL/
  )
  expect(sim.stats().total).toBe(before)
})
