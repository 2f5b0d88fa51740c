/**
 * GitHub's response bodies, typed by @octokit/openapi-types so the stand-in answers in the shapes
 * Octokit's users (and our publisher) are typed against.
 */
import type { components } from '@octokit/openapi-types'
import type { CommitObject, TreeEntry } from './git-store.js'

type Schemas = components['schemas']
export type Repository = Schemas['repository']
export type FullRepository = Schemas['full-repository']
export type SimpleUser = Schemas['simple-user']
export type GitRef = Schemas['git-ref']
export type GitTree = Schemas['git-tree']
export type GitCommit = Schemas['git-commit']
export type CommitComparison = Schemas['commit-comparison']
export type ShortBlob = Schemas['short-blob']
export type Blob = Schemas['blob']
export type Label = Schemas['label']
export type PullRequest = Schemas['pull-request']
export type BasicError = Schemas['basic-error']
export type ValidationError = Schemas['validation-error']

export interface Site {
  /** http://127.0.0.1:<port> */
  api: string
  /** Where html_url links point. */
  html: string
  owner: string
  repo: string
  repoId: number
  defaultBranch: string
  createdAt: string
}

export const DOCS = 'https://docs.github.com/rest'

let nextId = 1000
function nodeId(kind: string, id: number | string): string {
  return Buffer.from(`${kind}:${id}`).toString('base64')
}

export function user(site: Site, login: string, type: 'User' | 'Bot' | 'Organization' = 'User'): SimpleUser {
  const id = [...login].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % 100000000
  const url = `${site.api}/users/${encodeURIComponent(login)}`
  return {
    login,
    id,
    node_id: nodeId('User', id),
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: '',
    url,
    html_url: `${site.html}/${login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type,
    site_admin: false
  }
}

export function repository(site: Site): Repository {
  const url = `${site.api}/repos/${site.owner}/${site.repo}`
  const html = `${site.html}/${site.owner}/${site.repo}`
  return {
    id: site.repoId,
    node_id: nodeId('Repository', site.repoId),
    name: site.repo,
    full_name: `${site.owner}/${site.repo}`,
    owner: user(site, site.owner, 'Organization'),
    private: true,
    html_url: html,
    description: null,
    fork: false,
    url,
    archive_url: `${url}/{archive_format}{/ref}`,
    assignees_url: `${url}/assignees{/user}`,
    blobs_url: `${url}/git/blobs{/sha}`,
    branches_url: `${url}/branches{/branch}`,
    collaborators_url: `${url}/collaborators{/collaborator}`,
    comments_url: `${url}/comments{/number}`,
    commits_url: `${url}/commits{/sha}`,
    compare_url: `${url}/compare/{base}...{head}`,
    contents_url: `${url}/contents/{+path}`,
    contributors_url: `${url}/contributors`,
    deployments_url: `${url}/deployments`,
    downloads_url: `${url}/downloads`,
    events_url: `${url}/events`,
    forks_url: `${url}/forks`,
    git_commits_url: `${url}/git/commits{/sha}`,
    git_refs_url: `${url}/git/refs{/sha}`,
    git_tags_url: `${url}/git/tags{/sha}`,
    git_url: `git:${html.replace(/^https?:/, '')}.git`,
    issue_comment_url: `${url}/issues/comments{/number}`,
    issue_events_url: `${url}/issues/events{/number}`,
    issues_url: `${url}/issues{/number}`,
    keys_url: `${url}/keys{/key_id}`,
    labels_url: `${url}/labels{/name}`,
    languages_url: `${url}/languages`,
    merges_url: `${url}/merges`,
    milestones_url: `${url}/milestones{/number}`,
    notifications_url: `${url}/notifications{?since,all,participating}`,
    pulls_url: `${url}/pulls{/number}`,
    releases_url: `${url}/releases{/id}`,
    ssh_url: `git@github.com:${site.owner}/${site.repo}.git`,
    stargazers_url: `${url}/stargazers`,
    statuses_url: `${url}/statuses/{sha}`,
    subscribers_url: `${url}/subscribers`,
    subscription_url: `${url}/subscription`,
    tags_url: `${url}/tags`,
    teams_url: `${url}/teams`,
    trees_url: `${url}/git/trees{/sha}`,
    clone_url: `${html}.git`,
    mirror_url: null,
    hooks_url: `${url}/hooks`,
    svn_url: html,
    homepage: null,
    language: null,
    forks: 0,
    forks_count: 0,
    stargazers_count: 0,
    watchers_count: 0,
    watchers: 0,
    size: 0,
    default_branch: site.defaultBranch,
    open_issues: 0,
    open_issues_count: 0,
    has_issues: true,
    has_projects: true,
    has_wiki: false,
    has_pages: false,
    has_downloads: true,
    archived: false,
    disabled: false,
    license: null,
    pushed_at: site.createdAt,
    created_at: site.createdAt,
    updated_at: site.createdAt
  }
}

export function fullRepository(site: Site): FullRepository {
  const { has_downloads: _unused, ...repo } = repository(site)
  return {
    ...repo,
    pushed_at: site.createdAt,
    created_at: site.createdAt,
    updated_at: site.createdAt,
    has_discussions: false,
    network_count: 0,
    subscribers_count: 0,
    permissions: { admin: false, maintain: false, push: true, triage: true, pull: true }
  }
}

export function gitRef(site: Site, name: string, sha: string): GitRef {
  const url = `${site.api}/repos/${site.owner}/${site.repo}/git/${name}`
  return {
    ref: name,
    node_id: nodeId('Ref', name),
    url,
    object: { type: 'commit', sha, url: `${site.api}/repos/${site.owner}/${site.repo}/git/commits/${sha}` }
  }
}

export function gitTree(site: Site, sha: string, entries: TreeEntry[], truncated: boolean): GitTree {
  const base = `${site.api}/repos/${site.owner}/${site.repo}/git`
  return {
    sha,
    url: `${base}/trees/${sha}`,
    truncated,
    tree: entries.map(e => ({
      path: e.path,
      mode: e.mode,
      type: e.type,
      sha: e.sha,
      ...(e.type === 'blob' ? { size: e.size, url: `${base}/blobs/${e.sha}` } : {}),
      ...(e.type === 'tree' ? { url: `${base}/trees/${e.sha}` } : {})
    }))
  }
}

export function gitCommit(site: Site, commit: CommitObject, verified: boolean): GitCommit {
  const base = `${site.api}/repos/${site.owner}/${site.repo}/git`
  const html = `${site.html}/${site.owner}/${site.repo}/commit`
  return {
    sha: commit.sha,
    node_id: nodeId('Commit', commit.sha),
    url: `${base}/commits/${commit.sha}`,
    html_url: `${html}/${commit.sha}`,
    author: commit.author,
    committer: commit.committer,
    message: commit.message,
    tree: { sha: commit.tree, url: `${base}/trees/${commit.tree}` },
    parents: commit.parents.map(p => ({ sha: p, url: `${base}/commits/${p}`, html_url: `${html}/${p}` })),
    verification: verified
      ? {
          verified: true,
          reason: 'valid',
          signature: '-----BEGIN PGP SIGNATURE-----\n(stand-in)\n-----END PGP SIGNATURE-----\n',
          payload: `tree ${commit.tree}\n`,
          verified_at: commit.committer.date
        }
      : { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null }
  }
}

/** A commit as the repos API gives it (compare, commits): the git commit wrapped with links. */
function restCommit(site: Site, commit: CommitObject): Schemas['commit'] {
  const repo = `${site.api}/repos/${site.owner}/${site.repo}`
  const html = `${site.html}/${site.owner}/${site.repo}/commit`
  return {
    url: `${repo}/commits/${commit.sha}`,
    sha: commit.sha,
    node_id: nodeId('Commit', commit.sha),
    html_url: `${html}/${commit.sha}`,
    comments_url: `${repo}/commits/${commit.sha}/comments`,
    commit: {
      url: `${repo}/git/commits/${commit.sha}`,
      author: commit.author,
      committer: commit.committer,
      message: commit.message,
      comment_count: 0,
      tree: { sha: commit.tree, url: `${repo}/git/trees/${commit.tree}` }
    },
    author: null,
    committer: null,
    parents: commit.parents.map(p => ({ sha: p, url: `${repo}/commits/${p}`, html_url: `${html}/${p}` }))
  }
}

/** GET compare/{base}...{head}: how head stands to base, from their merge base. */
export function commitComparison(
  site: Site,
  c: { base: CommitObject; mergeBase: CommitObject; commits: CommitObject[]; behindBy: number }
): CommitComparison {
  const repo = `${site.api}/repos/${site.owner}/${site.repo}`
  const range = `${c.base.sha}...${c.commits.at(-1)?.sha ?? c.base.sha}`
  const ahead = c.commits.length
  return {
    url: `${repo}/compare/${range}`,
    html_url: `${site.html}/${site.owner}/${site.repo}/compare/${range}`,
    permalink_url: `${site.html}/${site.owner}/${site.repo}/compare/${range}`,
    diff_url: `${site.html}/${site.owner}/${site.repo}/compare/${range}.diff`,
    patch_url: `${site.html}/${site.owner}/${site.repo}/compare/${range}.patch`,
    base_commit: restCommit(site, c.base),
    merge_base_commit: restCommit(site, c.mergeBase),
    status:
      ahead === 0 && c.behindBy === 0
        ? 'identical'
        : ahead === 0
          ? 'behind'
          : c.behindBy === 0
            ? 'ahead'
            : 'diverged',
    ahead_by: ahead,
    behind_by: c.behindBy,
    total_commits: ahead,
    // GitHub lists at most 250 of them, oldest first.
    commits: c.commits.slice(0, 250).map(commit => restCommit(site, commit))
  }
}

export function shortBlob(site: Site, sha: string): ShortBlob {
  return { sha, url: `${site.api}/repos/${site.owner}/${site.repo}/git/blobs/${sha}` }
}

export function blob(site: Site, sha: string, bytes: Buffer): Blob {
  // GitHub wraps the base64 at 60 characters.
  const b64 = bytes.toString('base64')
  const wrapped = (b64.match(/.{1,60}/g) ?? []).join('\n')
  return {
    sha,
    node_id: nodeId('Blob', sha),
    size: bytes.byteLength,
    url: `${site.api}/repos/${site.owner}/${site.repo}/git/blobs/${sha}`,
    content: wrapped === '' ? '' : `${wrapped}\n`,
    encoding: 'base64'
  }
}

export function label(site: Site, name: string): Label {
  const id = ++nextId
  return {
    id,
    node_id: nodeId('Label', id),
    url: `${site.api}/repos/${site.owner}/${site.repo}/labels/${encodeURIComponent(name)}`,
    name,
    description: null,
    color: 'ededed',
    default: false
  }
}

/** What the stand-in keeps of a pull request (also what tests read through pulls()). */
export interface PullRequestRecord {
  number: number
  id: number
  state: 'open' | 'closed'
  title: string
  body: string | null
  draft: boolean
  head: { ref: string; sha: string }
  base: { ref: string; sha: string }
  labels: string[]
  requested_reviewers: string[]
  requested_teams: string[]
  user: string
  merged: boolean
  merged_at: string | null
  merge_commit_sha: string | null
  created_at: string
  updated_at: string
  closed_at: string | null
}

export function pullRequest(site: Site, pr: PullRequestRecord): PullRequest {
  const repoUrl = `${site.api}/repos/${site.owner}/${site.repo}`
  const url = `${repoUrl}/pulls/${pr.number}`
  const html = `${site.html}/${site.owner}/${site.repo}/pull/${pr.number}`
  const issue = `${repoUrl}/issues/${pr.number}`
  const repo = repository(site)
  const link = (href: string) => ({ href })
  return {
    url,
    id: pr.id,
    node_id: nodeId('PullRequest', pr.id),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: issue,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${repoUrl}/pulls/comments{/number}`,
    comments_url: `${issue}/comments`,
    statuses_url: `${repoUrl}/statuses/${pr.head.sha}`,
    number: pr.number,
    state: pr.state,
    locked: false,
    title: pr.title,
    user: user(site, pr.user, 'Bot'),
    body: pr.body,
    labels: pr.labels.map(name => ({
      ...label(site, name),
      description: null,
      color: 'ededed',
      default: false
    })),
    milestone: null,
    created_at: pr.created_at,
    updated_at: pr.updated_at,
    closed_at: pr.closed_at,
    merged_at: pr.merged_at,
    merge_commit_sha: pr.merge_commit_sha,
    assignee: null,
    assignees: [],
    requested_reviewers: pr.requested_reviewers.map(login => user(site, login)),
    requested_teams: pr.requested_teams.map((slug, i) => ({
      id: i + 1,
      node_id: nodeId('Team', slug),
      url: `${site.api}/orgs/${site.owner}/teams/${slug}`,
      html_url: `${site.html}/orgs/${site.owner}/teams/${slug}`,
      name: slug,
      slug,
      description: null,
      privacy: 'closed',
      permission: 'pull',
      members_url: `${site.api}/orgs/${site.owner}/teams/${slug}/members{/member}`,
      repositories_url: `${site.api}/orgs/${site.owner}/teams/${slug}/repos`,
      parent: null,
      type: 'organization'
    })),
    head: {
      label: `${site.owner}:${pr.head.ref}`,
      ref: pr.head.ref,
      sha: pr.head.sha,
      repo,
      user: user(site, site.owner, 'Organization')
    },
    base: {
      label: `${site.owner}:${pr.base.ref}`,
      ref: pr.base.ref,
      sha: pr.base.sha,
      repo,
      user: user(site, site.owner, 'Organization')
    },
    _links: {
      self: link(url),
      html: link(html),
      issue: link(issue),
      comments: link(`${issue}/comments`),
      review_comments: link(`${url}/comments`),
      review_comment: link(`${repoUrl}/pulls/comments{/number}`),
      commits: link(`${url}/commits`),
      statuses: link(`${repoUrl}/statuses/${pr.head.sha}`)
    },
    author_association: 'CONTRIBUTOR',
    auto_merge: null,
    draft: pr.draft,
    merged: pr.merged,
    mergeable: pr.state === 'open' ? true : null,
    rebaseable: null,
    mergeable_state: pr.state === 'open' ? 'clean' : 'unknown',
    merged_by: pr.merged ? user(site, site.owner) : null,
    comments: 0,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: 1,
    additions: 0,
    deletions: 0,
    changed_files: 0
  }
}

export function basicError(message: string, status: number, docs = DOCS): BasicError {
  return { message, documentation_url: docs, status: String(status) }
}

export function validationFailed(
  errors: { resource: string; code: string; field?: string; message?: string }[]
): ValidationError {
  return { message: 'Validation Failed', errors, documentation_url: DOCS }
}
