import path from 'node:path'
import { readInputs, InputError, parseList } from './inputs.js'

const workspace = path.resolve('/tmp/ws')

function inputs(values: Record<string, string>, env: NodeJS.ProcessEnv = {}) {
  return readInputs(name => values[name] ?? '', {
    GITHUB_WORKSPACE: workspace,
    GITHUB_REPOSITORY: 'acme/cc-config',
    ...env
  })
}

function refusal(values: Record<string, string>, env?: NodeJS.ProcessEnv): InputError {
  try {
    inputs(values, env)
  } catch (error) {
    if (error instanceof InputError) return error
    throw error
  }
  throw new Error('expected an InputError')
}

const creds = { 'client-id': 'id', 'client-secret': 'secret', 'github-token': 'ghs_x' }

describe('readInputs', () => {
  test('defaults follow the contract', () => {
    const i = inputs(creds)
    expect(i.mode).toBe('snapshot')
    expect(i.path).toBe('genesys')
    expect(i.snapshotDir).toBe(path.join(workspace, 'genesys'))
    expect(i.hosts).toEqual({
      apiUrl: 'https://api.mypurecloud.com',
      loginUrl: 'https://login.mypurecloud.com'
    })
    expect(i.dependencies).toEqual(['queues', 'skills', 'data-actions'])
    expect(i.flowTypes).toEqual([])
    expect(i.pullRequest).toBe(true)
    expect(i.branch).toBe('genesys-snapshot')
    expect(i.concurrency).toBe(8)
    expect(i.requestsPerMinute).toBe(300)
    expect(i.incremental).toBe(true)
    expect(i.failOnDrift).toBe(true)
    expect(i.repository).toEqual({ owner: 'acme', repo: 'cc-config' })
    expect(i.githubApiUrl).toBe('https://api.github.com')
  })

  test('lists split on commas and newlines', () => {
    expect(parseList(' a, b\n c ,,\n')).toEqual(['a', 'b', 'c'])
    const i = inputs({ ...creds, 'flow-types': 'InboundCall,\ncommonmodule', labels: 'genesys, drift' })
    expect(i.flowTypes).toEqual(['inboundcall', 'commonmodule'])
    expect(i.labels).toEqual(['genesys', 'drift'])
  })

  test('region names and domains, and api-url serving login too', () => {
    expect(inputs({ ...creds, region: 'eu-west-1' }).hosts?.apiUrl).toBe('https://api.mypurecloud.ie')
    expect(inputs({ ...creds, region: 'usw2.pure.cloud' }).hosts?.loginUrl).toBe(
      'https://login.usw2.pure.cloud'
    )
    expect(inputs({ ...creds, 'api-url': 'http://127.0.0.1:8080/' }).hosts).toEqual({
      apiUrl: 'http://127.0.0.1:8080',
      loginUrl: 'http://127.0.0.1:8080'
    })
  })

  test.each([
    [{ mode: 'export' }, 'mode'],
    [{ region: 'mars-north-1' }, 'region'],
    [{ 'api-url': 'not a url' }, 'api-url'],
    [{ 'flow-types': 'inboundcall, ivr' }, 'flow-types'],
    [{ dependencies: 'queues, users' }, 'dependencies'],
    [{ concurrency: '-1' }, 'concurrency'],
    [{ concurrency: '0' }, 'concurrency'],
    [{ 'requests-per-minute': 'fast' }, 'requests-per-minute'],
    [{ path: '../outside' }, 'path'],
    [{ path: '/etc' }, 'path'],
    [{ path: 'a/../..' }, 'path'],
    [{ path: '.git/hooks' }, 'path'],
    [{ draft: 'maybe' }, 'draft'],
    [{ branch: 'bad..name' }, 'branch'],
    [{ 'client-id': '' }, 'client-id'],
    [{ 'client-secret': '' }, 'client-secret']
  ])('%j is refused, naming %s', (values, name) => {
    const error = refusal({ ...creds, ...values })
    expect(error.input).toBe(name)
    expect(error.message).toContain(`'${name}'`)
  })

  test('validate mode needs no credentials; snapshot mode does', () => {
    expect(inputs({ mode: 'validate' }).hosts).toBeUndefined()
    expect(refusal({ mode: 'snapshot' }).input).toBe('client-id')
    expect(refusal({ mode: 'check', 'client-id': 'x' }).input).toBe('client-secret')
  })

  test('a pull request needs a token and a repository', () => {
    expect(refusal({ ...creds, 'github-token': '' }).input).toBe('github-token')
    expect(refusal(creds, { GITHUB_REPOSITORY: '' }).input).toBe('pull-request')
    expect(inputs({ ...creds, 'pull-request': 'false', 'github-token': '' }).pullRequest).toBe(false)
  })
})
