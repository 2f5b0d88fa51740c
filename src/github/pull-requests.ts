/** The snapshot pull request: find, open, refresh, close, label and ask for reviews. */
import type { Log } from '../common/log.js'
import { describeWriteFailure, requestMessage, requestStatus, write } from './errors.js'
import type { Repo } from './git-read.js'
import type { Octokit } from './octokit.js'

export interface PullRef {
  number: number
  url: string
}

/** An open PR as listed, with what it currently says. */
export interface OpenPull extends PullRef {
  title: string
  body: string
  labels: string[]
}

/** GitHub refuses bodies over 65,536 characters. */
const MAX_BODY = 65536

export function fitBody(body: string): string {
  if (body.length <= MAX_BODY) return body
  const note = '\n\n… (cut to fit GitHub’s limit; the job summary has the full report)'
  return body.slice(0, MAX_BODY - note.length) + note
}

/** The open PR from `branch` into `base`, if any. */
export async function findOpenPull(
  octokit: Octokit,
  repo: Repo,
  branch: string,
  base: string
): Promise<OpenPull | undefined> {
  try {
    const { data } = await octokit.rest.pulls.list({
      ...repo,
      state: 'open',
      head: `${repo.owner}:${branch}`,
      base,
      per_page: 10
    })
    const pull = data.find(p => p.head.ref === branch && p.base.ref === base)
    return pull
      ? {
          number: pull.number,
          url: pull.html_url,
          title: pull.title,
          body: pull.body ?? '',
          labels: pull.labels.map(l => l.name)
        }
      : undefined
  } catch (error) {
    throw describeWriteFailure(`list the pull requests of ${repo.owner}/${repo.repo}`, 'pull-requests', error)
  }
}

export async function updatePull(
  octokit: Octokit,
  repo: Repo,
  pull: PullRef,
  content: { title: string; body: string }
): Promise<PullRef> {
  const { data } = await write(`update pull request #${pull.number}`, 'pull-requests', () =>
    octokit.rest.pulls.update({
      ...repo,
      pull_number: pull.number,
      title: content.title,
      body: fitBody(content.body)
    })
  )
  return { number: data.number, url: data.html_url }
}

export async function closePull(octokit: Octokit, repo: Repo, pull: PullRef): Promise<void> {
  await write(`close pull request #${pull.number}`, 'pull-requests', () =>
    octokit.rest.pulls.update({ ...repo, pull_number: pull.number, state: 'closed' })
  )
}

function isValidationFailure(error: unknown, pattern: RegExp): boolean {
  return requestStatus(error) === 422 && pattern.test(requestMessage(error))
}

export interface NewPull {
  branch: string
  base: string
  title: string
  body: string
  draft: boolean
  labels: string[]
  reviewers: string[]
}

/**
 * Opens the PR ('created'). When another run opened one from the same branch in the meantime
 * (422 "A pull request already exists"), that one is refreshed instead ('updated').
 */
export async function openPull(
  octokit: Octokit,
  repo: Repo,
  pull: NewPull,
  log: Log
): Promise<{ pull: PullRef; operation: 'created' | 'updated' }> {
  const create = (draft: boolean) =>
    octokit.rest.pulls.create({
      ...repo,
      head: pull.branch,
      base: pull.base,
      title: pull.title,
      body: fitBody(pull.body),
      draft
    })
  let created: PullRef
  try {
    let response
    try {
      response = await create(pull.draft)
    } catch (error) {
      // Draft PRs need a plan that has them (public repos, or paid plans for private ones).
      if (!pull.draft || !isValidationFailure(error, /draft pull requests are not supported/i)) throw error
      log.warning('This repository does not support draft pull requests; opening a ready one instead.')
      response = await create(false)
    }
    created = { number: response.data.number, url: response.data.html_url }
  } catch (error) {
    if (isValidationFailure(error, /a pull request already exists/i)) {
      const existing = await findOpenPull(octokit, repo, pull.branch, pull.base)
      if (existing) {
        log.info(`Pull request #${existing.number} was opened meanwhile; updating it.`)
        return { pull: await updatePull(octokit, repo, existing, pull), operation: 'updated' }
      }
    }
    throw describeWriteFailure(
      `create the pull request from ${pull.branch} into ${pull.base}`,
      'pull-requests',
      error
    )
  }
  await decorate(octokit, repo, created, pull, log)
  return { pull: created, operation: 'created' }
}

/** Labels and reviewers: a failure is a warning, the PR itself stands. */
async function decorate(
  octokit: Octokit,
  repo: Repo,
  pull: PullRef,
  wanted: NewPull,
  log: Log
): Promise<void> {
  await addLabels(octokit, repo, pull, wanted.labels, log)
  const users = wanted.reviewers.filter(r => !r.includes('/'))
  // "org/team" names a team; GitHub takes its slug.
  const teams = wanted.reviewers.filter(r => r.includes('/')).map(r => r.slice(r.indexOf('/') + 1))
  if (users.length + teams.length > 0) {
    try {
      await octokit.rest.pulls.requestReviewers({
        ...repo,
        pull_number: pull.number,
        reviewers: users,
        ...(teams.length > 0 ? { team_reviewers: teams } : {})
      })
    } catch (error) {
      log.warning(
        `Could not request reviews from ${wanted.reviewers.join(', ')} on pull request #${pull.number}: ${describe(error)} ` +
          'Reviewers must be collaborators of the repository and not the PR author; the token needs `permissions: pull-requests: write`.'
      )
    }
  }
}

async function addLabels(
  octokit: Octokit,
  repo: Repo,
  pull: PullRef,
  labels: string[],
  log: Log
): Promise<void> {
  if (labels.length === 0) return
  try {
    await octokit.rest.issues.addLabels({ ...repo, issue_number: pull.number, labels })
  } catch (error) {
    log.warning(
      `Could not label pull request #${pull.number} with ${labels.join(', ')}: ${describe(error)} ` +
        'The token needs `permissions: pull-requests: write` (or issues: write).'
    )
  }
}

/**
 * An open PR gets the labels input added to it when it lacks some (the input changed since the PR
 * was opened, or someone took one off). Reviewers are not asked again: that would ask people who
 * have already reviewed for another review on every run.
 */
export async function addMissingLabels(
  octokit: Octokit,
  repo: Repo,
  pull: OpenPull,
  labels: string[],
  log: Log
): Promise<void> {
  const has = new Set(pull.labels.map(l => l.toLowerCase()))
  await addLabels(
    octokit,
    repo,
    pull,
    labels.filter(l => !has.has(l.toLowerCase())),
    log
  )
}

function describe(error: unknown): string {
  const status = requestStatus(error)
  return `${status !== undefined ? `HTTP ${status}: ` : ''}${requestMessage(error)}.`
}
