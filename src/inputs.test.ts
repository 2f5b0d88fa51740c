import path from 'node:path'
import { readInputs, InputError, parseList, branchNameProblem, snapshotPathInput } from './inputs.js'

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
    [{ path: '.GIT/x' }, 'path'],
    [{ path: 'a/.Git' }, 'path'],
    [{ path: 'GIT~1/x' }, 'path'],
    [{ draft: 'maybe' }, 'draft'],
    [{ branch: 'bad..name' }, 'branch'],
    [{ 'client-id': '' }, 'client-id'],
    [{ 'client-secret': '' }, 'client-secret']
  ])('%j is refused, naming %s', (values, name) => {
    const error = refusal({ ...creds, ...values })
    expect(error.input).toBe(name)
    expect(error.message).toContain(`'${name}'`)
  })

  test.each([
    'HEAD',
    '-x',
    '--force',
    '@',
    'a..b',
    'a@{1}',
    'a b',
    'tab\there',
    'new\nline',
    'a~1',
    'a^',
    'a:b',
    'a?',
    'a*',
    'a[1]',
    'a\\b',
    'snap.lock',
    'snap.lock/x',
    'snap/',
    '/snap',
    'a//b',
    '.hidden',
    'a/.hidden',
    'snap.'
  ])('branch %j is refused as git check-ref-format --branch refuses it', name => {
    const error = refusal({ ...creds, branch: name })
    expect(error.input).toBe('branch')
    expect(error.message).toMatch(
      /^Input 'branch': '.*' is not a valid git branch name \(.+\); give one such as 'genesys-snapshot'\.$/s
    )
    expect(branchNameProblem(name)).toBeDefined()
    // The same rule for base, when given.
    expect(refusal({ ...creds, base: name }).input).toBe('base')
  })

  test.each(['genesys-snapshot', 'feature/genesys', 'x-', 'a/-b', 'HEAD/x', 'x/HEAD', 'a@b', 'v1.2', 'é'])(
    'branch %j is accepted, as git accepts it',
    name => {
      expect(branchNameProblem(name)).toBeUndefined()
      expect(inputs({ ...creds, branch: name }).branch).toBe(name)
      expect(inputs({ ...creds, branch: 'snapshots', base: name }).base).toBe(name)
    }
  )

  test('refs/heads/<name> (as ${{ github.ref }} gives it) is taken as the branch <name>', () => {
    const i = inputs({ ...creds, branch: 'refs/heads/snapshots', base: ' refs/heads/main ' })
    expect(i.branch).toBe('snapshots')
    expect(i.base).toBe('main')
    expect(inputs({ ...creds, base: 'refs/heads/release/2026' }).base).toBe('release/2026')
    // Compared after the prefix is taken off.
    expect(refusal({ ...creds, branch: 'main', base: 'refs/heads/main' }).message).toContain(
      "'main' is also the base input"
    )
    // What is left is still checked as a branch name.
    expect(refusal({ ...creds, base: 'refs/heads/a..b' }).message).toMatch(
      /^Input 'base': 'a\.\.b' is not a valid git branch name/
    )
  })

  test.each([
    ['base', 'refs/tags/v1.0'],
    ['base', 'refs/pull/1/merge'],
    ['base', 'refs/heads/'],
    ['base', 'refs/heads/refs/tags/v1'],
    ['branch', 'refs/remotes/origin/main'],
    ['branch', 'refs/heads/']
  ])('%s %j, a ref that is not a branch, is refused naming the input and the value', (input, value) => {
    const error = refusal({ ...creds, [input]: value })
    expect(error.input).toBe(input)
    expect(error.message).toBe(
      `Input '${input}': '${value}' is a git ref, not a branch name; give a branch name such as '${input === 'base' ? 'main' : 'genesys-snapshot'}' (refs/heads/<name> is taken as <name>).`
    )
  })

  test('branch equal to a given base is refused before any request, naming both inputs', () => {
    const error = refusal({ ...creds, branch: 'main', base: 'main' })
    expect(error.input).toBe('branch')
    expect(error.message).toContain("'main' is also the base input")
    expect(error.message).toMatch(/branch.*base/s)
    // Without a pull request the branch is not used; an empty base is checked against GitHub later.
    expect(inputs({ ...creds, branch: 'main', base: 'main', 'pull-request': 'false' }).base).toBe('main')
    expect(inputs({ ...creds, mode: 'check', branch: 'main', base: 'main' }).base).toBe('main')
    expect(inputs({ ...creds, branch: 'main' }).base).toBe('')
    expect(inputs({ ...creds, branch: 'snapshots', base: ' main ' }).base).toBe('main')
  })

  test('reviewers: a leading @ is dropped; teams of the repository owner are kept as org/team', () => {
    expect(inputs({ ...creds, reviewers: '@alice, bob\n@acme/cc-admins, @alice' }).reviewers).toEqual([
      'alice',
      'bob',
      'acme/cc-admins'
    ])
  })

  test.each([
    ['@', /neither a user login/],
    ['@@alice', /neither a user login/],
    ['alice bob', /neither a user login/],
    ['acme/cc/admins', /neither a user login/],
    ['acme/', /neither a user login/],
    ['other-org/admins', /a team of 'other-org', but only teams of the repository's owner 'acme'/]
  ])('reviewers %j is refused', (value, pattern) => {
    const error = refusal({ ...creds, reviewers: value })
    expect(error.input).toBe('reviewers')
    expect(error.message).toMatch(pattern)
  })

  test('dependencies: empty is the default, none is flows only, a list of nothing is refused', () => {
    expect(inputs({ ...creds, dependencies: '' }).dependencies).toEqual(['queues', 'skills', 'data-actions'])
    expect(inputs({ ...creds, dependencies: 'None' }).dependencies).toEqual([])
    expect(inputs({ ...creds, dependencies: 'skills,\nQueues, skills' }).dependencies).toEqual([
      'skills',
      'queues'
    ])
    for (const value of [',', ' , \n ,']) {
      const error = refusal({ ...creds, dependencies: value })
      expect(error.input).toBe('dependencies')
      expect(error.message).toContain('lists no dependency kind')
      expect(error.message).toContain('none for flows only')
    }
    expect(refusal({ ...creds, dependencies: 'none, queues' }).message).toMatch(/either none or the kinds/)
  })

  test.each([
    ['https://apps.mypurecloud.ie', 'mypurecloud.ie'],
    ['https://apps.mypurecloud.ie/', 'mypurecloud.ie'],
    ['https://apps.mypurecloud.ie/directory/#/person/123', 'mypurecloud.ie'],
    ['apps.mypurecloud.ie', 'mypurecloud.ie'],
    ['apps.mypurecloud.com.au/', 'mypurecloud.com.au'],
    ['https://login.usw2.pure.cloud', 'usw2.pure.cloud'],
    ['HTTPS://API.MYPURECLOUD.DE/api/v2', 'mypurecloud.de'],
    ['http://apps.euw2.pure.cloud?x=1', 'euw2.pure.cloud']
  ])('region %j (an org URL or host) maps to %s', (region, domain) => {
    expect(inputs({ ...creds, region }).hosts).toEqual({
      apiUrl: `https://api.${domain}`,
      loginUrl: `https://login.${domain}`
    })
  })

  test.each([
    'https://apps.example.com',
    'apps.mypurecloud.io',
    'https://mypurecloud.ie.evil.example',
    'www.mypurecloud.ie'
  ])('region %j on an unknown domain is refused', region => {
    const error = refusal({ ...creds, region })
    expect(error.input).toBe('region')
    expect(error.message).toContain('is not a Genesys Cloud region')
    expect(error.message).toContain("your org's URL")
  })

  test('snapshotPathInput: the folder of a valid path input, else undefined', () => {
    expect(snapshotPathInput(() => '')).toBe('genesys')
    expect(snapshotPathInput(() => 'config/genesys/')).toBe('config/genesys')
    expect(snapshotPathInput(() => '../outside')).toBeUndefined()
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
