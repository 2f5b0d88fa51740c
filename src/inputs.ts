import path from 'node:path'
import { InputError } from './common/errors.js'
import { proxySettingsFrom, type ProxySettings } from './genesys/proxy.js'
import { resolveHosts, type GenesysHosts } from './genesys/regions.js'

export { InputError }

export type Mode = 'snapshot' | 'check' | 'validate'
export type DependencyKind = 'queues' | 'skills' | 'data-actions'

export const FLOW_TYPES = [
  'bot',
  'commonmodule',
  'digitalbot',
  'emailsend',
  'inboundcall',
  'inboundchat',
  'inboundemail',
  'inboundshortmessage',
  'inqueuecall',
  'inqueueemail',
  'inqueueshortmessage',
  'outboundcall',
  'securecall',
  'speech',
  'surveyinvite',
  'voice',
  'voicemail',
  'voicesurvey',
  'workflow',
  'workitem'
] as const
export type FlowType = (typeof FLOW_TYPES)[number]

export const DEPENDENCY_KINDS: readonly DependencyKind[] = ['queues', 'skills', 'data-actions']

/** Everything the action was asked to do, read and checked once before any request is made. */
export interface Inputs {
  mode: Mode
  clientId: string
  clientSecret: string
  /** Where to send API and login requests; absent in validate mode, which makes none. */
  hosts?: GenesysHosts
  /** The runner's outbound proxy for Genesys requests (http_proxy, https_proxy, no_proxy); not in validate mode. */
  proxy?: ProxySettings
  /** Snapshot folder relative to the workspace, forward slashes, no leading or trailing slash. */
  path: string
  /** Absolute path of the snapshot folder. */
  snapshotDir: string
  workspace: string
  flowTypes: FlowType[]
  include: string[]
  exclude: string[]
  dependencies: DependencyKind[]
  pullRequest: boolean
  githubToken: string
  branch: string
  base: string
  title: string
  labels: string[]
  reviewers: string[]
  draft: boolean
  commitMessage: string
  failOnDrift: boolean
  concurrency: number
  requestsPerMinute: number
  incremental: boolean
  /** owner/repo from GITHUB_REPOSITORY; needed only when a pull request is to be made. */
  repository?: { owner: string; repo: string }
  githubApiUrl: string
}

/** Splits a comma or newline separated list, trimming and dropping empty entries. */
export function parseList(value: string): string[] {
  return value
    .split(/[,\n]/)
    .map(s => s.trim())
    .filter(s => s.length > 0)
}

function parseBoolean(name: string, value: string, fallback: boolean): boolean {
  const v = value.trim().toLowerCase()
  if (v === '') return fallback
  if (['true', 'yes', 'on', '1'].includes(v)) return true
  if (['false', 'no', 'off', '0'].includes(v)) return false
  throw new InputError(name, `'${value}' is not a boolean; use true or false.`)
}

function parsePositiveInt(name: string, value: string, fallback: number, max: number): number {
  const v = value.trim()
  if (v === '') return fallback
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max) {
    throw new InputError(name, `'${value}' is not a whole number from 1 to ${max}.`)
  }
  return Number(v)
}

function parseSnapshotPath(value: string, workspace: string): { rel: string; abs: string } {
  const raw = value.trim() === '' ? 'genesys' : value.trim()
  if (path.isAbsolute(raw) || /^[a-zA-Z]:[\\/]/.test(raw)) {
    throw new InputError('path', `'${raw}' is absolute; give a folder relative to the repository root.`)
  }
  const normalized = path.posix.normalize(raw.replace(/\\/g, '/')).replace(/\/+$/, '')
  if (normalized === '.' || normalized === '' || normalized.split('/').includes('..')) {
    throw new InputError(
      'path',
      `'${raw}' is not a folder inside the repository; give one such as 'genesys' or 'config/genesys'.`
    )
  }
  // Any case (case-insensitive file systems, and git refuses such paths anyway) and the short name
  // Windows gives .git.
  if (normalized.split('/').some(seg => /^(\.git|git~\d+)$/i.test(seg))) {
    throw new InputError('path', `'${raw}' points into .git; choose another folder.`)
  }
  return { rel: normalized, abs: path.resolve(workspace, normalized) }
}

/**
 * The snapshot folder the `path` input names, relative to the repository root, or undefined when the
 * input is not valid (readInputs says why). For the outputs of a run whose other inputs are refused.
 */
export function snapshotPathInput(get: (name: string) => string): string | undefined {
  try {
    return parseSnapshotPath(get('path'), path.resolve('/')).rel
  } catch {
    return undefined
  }
}

function parseRepository(value: string | undefined): { owner: string; repo: string } | undefined {
  if (!value) return undefined
  const m = /^([^/\s]+)\/([^/\s]+)$/.exec(value.trim())
  return m ? { owner: m[1], repo: m[2] } : undefined
}

/**
 * Why `name` is not a branch name `git check-ref-format --branch` accepts, or undefined when it is.
 * Rules: not HEAD, no leading '-'; no component that starts with '.' or ends with '.lock'; no '..',
 * '@{', '//', leading or trailing '/', trailing '.', lone '@'; no control character, space or ~^:?*[\.
 */
export function branchNameProblem(name: string): string | undefined {
  if (name === 'HEAD') return 'HEAD names the checked-out commit, not a branch'
  if (name.startsWith('-')) return 'a branch name cannot start with -'
  if (name === '@') return "'@' alone is git's short name for HEAD"
  for (const ch of name) {
    const code = ch.codePointAt(0) ?? 0
    if (code < 0x20 || code === 0x7f) return 'a branch name cannot contain control characters'
    if (ch === ' ') return 'a branch name cannot contain spaces'
    if ('~^:?*[\\'.includes(ch)) return `a branch name cannot contain '${ch}'`
  }
  if (name.includes('..')) return "a branch name cannot contain '..'"
  if (name.includes('@{')) return "a branch name cannot contain '@{'"
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) {
    return "a branch name cannot start or end with '/' or contain '//'"
  }
  if (name.endsWith('.')) return "a branch name cannot end with '.'"
  for (const component of name.split('/')) {
    if (component.startsWith('.')) return "no part of a branch name (between '/') can start with '.'"
    if (component.endsWith('.lock')) return "no part of a branch name (between '/') can end with '.lock'"
  }
  return undefined
}

const HEADS = 'refs/heads/'

/**
 * A branch input. `refs/heads/x` (what `${{ github.ref }}` gives on a branch push) is taken as the
 * branch x; any other full ref (refs/tags/v1, refs/pull/1/merge) names no branch and is refused
 * here, not later as a missing branch once the export is done.
 */
function parseBranch(input: string, value: string, fallback: string): string {
  const given = value.trim() || fallback
  const name = given.startsWith(HEADS) ? given.slice(HEADS.length) : given
  if (name === '' || name.startsWith('refs/')) {
    throw new InputError(
      input,
      `'${given}' is a git ref, not a branch name; give a branch name such as '${fallback || 'main'}' (refs/heads/<name> is taken as <name>).`
    )
  }
  const problem = branchNameProblem(name)
  if (problem) {
    throw new InputError(
      input,
      `'${name}' is not a valid git branch name (${problem}); give one such as '${fallback || 'main'}'.`
    )
  }
  return name
}

/**
 * The reviewers input: user logins (a leading '@' is dropped, as people write mentions) and teams
 * as org/team, where org must be the repository's owner (GitHub asks for the team's slug only).
 */
function parseReviewers(value: string, repository: { owner: string; repo: string } | undefined): string[] {
  const reviewers: string[] = []
  for (const entry of parseList(value)) {
    const name = entry.startsWith('@') ? entry.slice(1) : entry
    const parts = name.split('/')
    if (parts.length > 2 || parts.some(p => !/^[A-Za-z0-9_.-]+$/.test(p))) {
      throw new InputError(
        'reviewers',
        `'${entry}' is neither a user login (alice or @alice) nor a team (org/team); separate reviewers with commas or newlines.`
      )
    }
    if (parts.length === 2 && repository && parts[0].toLowerCase() !== repository.owner.toLowerCase()) {
      throw new InputError(
        'reviewers',
        `'${entry}' is a team of '${parts[0]}', but only teams of the repository's owner '${repository.owner}' can review its pull requests; use ${repository.owner}/${parts[1]} or a user login.`
      )
    }
    if (!reviewers.includes(name)) reviewers.push(name)
  }
  return reviewers
}

/** The dependencies input: '' is the default (all kinds); `none` asks for flows only. */
function parseDependencies(value: string): DependencyKind[] {
  if (value.trim() === '') return [...DEPENDENCY_KINDS]
  const listed = parseList(value).map(d => d.toLowerCase())
  if (listed.length === 0) {
    throw new InputError(
      'dependencies',
      `'${value}' lists no dependency kind; use some of: ${DEPENDENCY_KINDS.join(', ')}, or none for flows only (leave it empty for the default, all of them).`
    )
  }
  for (const d of listed) {
    if (d !== 'none' && !(DEPENDENCY_KINDS as readonly string[]).includes(d)) {
      throw new InputError(
        'dependencies',
        `'${d}' is not a dependency kind; use some of: ${DEPENDENCY_KINDS.join(', ')} (or none).`
      )
    }
  }
  if (listed.includes('none') && listed.some(d => d !== 'none')) {
    throw new InputError(
      'dependencies',
      `'${value}' asks for none and for ${listed.filter(d => d !== 'none').join(', ')}; give either none or the kinds to export.`
    )
  }
  return [...new Set(listed.filter(d => d !== 'none'))] as DependencyKind[]
}

/**
 * Reads and checks every input. `get` returns an input's raw value ('' when unset), as
 * core.getInput does; `env` is the runner's environment. Throws InputError on the first bad input, and
 * an Error naming the variable for a proxy variable (https_proxy, ...) that is not a URL.
 */
export function readInputs(get: (name: string) => string, env: NodeJS.ProcessEnv): Inputs {
  const modeRaw = get('mode').trim().toLowerCase() || 'snapshot'
  if (modeRaw !== 'snapshot' && modeRaw !== 'check' && modeRaw !== 'validate') {
    throw new InputError('mode', `'${modeRaw}' is not a mode; use snapshot, check or validate.`)
  }
  const mode: Mode = modeRaw

  const workspace = path.resolve(env.GITHUB_WORKSPACE || process.cwd())
  const snapshotPath = parseSnapshotPath(get('path'), workspace)

  const clientId = get('client-id').trim()
  const clientSecret = get('client-secret').trim()
  let hosts: GenesysHosts | undefined
  let proxy: ProxySettings | undefined
  if (mode !== 'validate') {
    if (!clientId) {
      throw new InputError(
        'client-id',
        `is required in ${mode} mode; pass the OAuth client id from a secret, e.g. client-id: \${{ secrets.GENESYS_CLIENT_ID }}.`
      )
    }
    if (!clientSecret) {
      throw new InputError(
        'client-secret',
        `is required in ${mode} mode; pass it from a secret, e.g. client-secret: \${{ secrets.GENESYS_CLIENT_SECRET }}.`
      )
    }
    hosts = resolveHosts({ region: get('region'), apiUrl: get('api-url'), loginUrl: get('login-url') })
    proxy = proxySettingsFrom(env)
  }

  const flowTypes = parseList(get('flow-types')).map(t => t.toLowerCase())
  for (const t of flowTypes) {
    if (!(FLOW_TYPES as readonly string[]).includes(t)) {
      throw new InputError('flow-types', `'${t}' is not a flow type; use some of: ${FLOW_TYPES.join(', ')}.`)
    }
  }

  const dependencies = parseDependencies(get('dependencies'))

  const concurrency = parsePositiveInt('concurrency', get('concurrency'), 8, 64)
  const requestsPerMinute = parsePositiveInt('requests-per-minute', get('requests-per-minute'), 300, 100000)

  const pullRequest = parseBoolean('pull-request', get('pull-request'), true)
  const githubToken = get('github-token').trim()
  const repository = parseRepository(env.GITHUB_REPOSITORY)
  if (mode === 'snapshot' && pullRequest) {
    if (!githubToken) {
      throw new InputError(
        'github-token',
        'is empty but a pull request is to be opened; leave it at its default (${{ github.token }}) or set pull-request: false.'
      )
    }
    if (!repository) {
      throw new InputError(
        'pull-request',
        `GITHUB_REPOSITORY ('${env.GITHUB_REPOSITORY ?? ''}') does not name a repository as owner/name; run inside GitHub Actions or set pull-request: false.`
      )
    }
  }

  const branch = parseBranch('branch', get('branch'), 'genesys-snapshot')
  const base = get('base').trim() === '' ? '' : parseBranch('base', get('base'), '')
  // Known now, so refused now rather than after the whole export; an empty base is the repository's
  // default branch, which only GitHub knows: publishing checks that one.
  if (base !== '' && base === branch && mode === 'snapshot' && pullRequest) {
    throw new InputError(
      'branch',
      `'${branch}' is also the base input; a pull request needs a head branch other than its base. Set branch to a branch of its own for the snapshot, or base to the branch the pull request goes into.`
    )
  }

  return {
    mode,
    clientId,
    clientSecret,
    hosts,
    ...(proxy ? { proxy } : {}),
    path: snapshotPath.rel,
    snapshotDir: snapshotPath.abs,
    workspace,
    flowTypes: [...new Set(flowTypes)] as FlowType[],
    include: parseList(get('include')),
    exclude: parseList(get('exclude')),
    dependencies,
    pullRequest,
    githubToken,
    branch,
    base,
    title: get('title').trim() || 'Genesys Cloud snapshot',
    labels: parseList(get('labels')),
    reviewers: parseReviewers(get('reviewers'), repository),
    draft: parseBoolean('draft', get('draft'), false),
    commitMessage: get('commit-message').trim() || 'Update Genesys Cloud snapshot',
    failOnDrift: parseBoolean('fail-on-drift', get('fail-on-drift'), true),
    concurrency,
    requestsPerMinute,
    incremental: parseBoolean('incremental', get('incremental'), true),
    repository,
    githubApiUrl: (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, '')
  }
}
