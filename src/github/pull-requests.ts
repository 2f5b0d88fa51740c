/** The snapshot pull request: find, open, refresh, close, label and ask for reviews. */
import { systemClock, type Clock } from '../common/clock.js'
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
  /** Login of whoever opened it. */
  author?: string
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
          labels: pull.labels.map(l => l.name),
          author: pull.user?.login
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
 * Waits before asking again when GitHub answers 422 "No commits between" for a branch that was just
 * pointed at a commit the base lacks: its comparison can lag the ref update by seconds.
 */
export const NO_COMMITS_RETRY_MS = [2000, 4000, 8000]

/**
 * Opens the PR ('created') from a branch that holds commits the base lacks. When one from the same
 * branch exists by then (422 "A pull request already exists": another run opened it, or a retried
 * creation whose first answer was lost), that one is refreshed and its reviews asked ('updated').
 */
export async function openPull(
  octokit: Octokit,
  repo: Repo,
  pull: NewPull,
  log: Log,
  clock: Clock = systemClock
): Promise<{ pull: PullRef; operation: 'created' | 'updated' }> {
  const create = async (draft: boolean) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await octokit.rest.pulls.create({
          ...repo,
          head: pull.branch,
          base: pull.base,
          title: pull.title,
          body: fitBody(pull.body),
          draft
        })
      } catch (error) {
        const wait = NO_COMMITS_RETRY_MS[attempt]
        if (wait === undefined || !isValidationFailure(error, /no commits between/i)) throw error
        log.info(
          `GitHub does not see the new commit on ${pull.branch} yet (422 "No commits between"); asking again in ${wait / 1000} s.`
        )
        await clock.sleep(wait)
      }
    }
  }
  let created: PullRef
  let author: string | undefined
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
    author = response.data.user?.login
  } catch (error) {
    if (isValidationFailure(error, /a pull request already exists/i)) {
      const existing = await findOpenPull(octokit, repo, pull.branch, pull.base)
      if (existing) {
        log.info(`Pull request #${existing.number} was opened meanwhile; updating it.`)
        const refreshed = await refreshOpenPull(octokit, repo, existing, pull, log)
        // Opened seconds ago, by another run or by our own creation whose answer was lost and whose
        // retry found it: asking for the reviews here makes sure someone did (a repeat is a no-op).
        await requestReviews(octokit, repo, refreshed, pull.reviewers, existing.author, log)
        return { pull: refreshed, operation: 'updated' }
      }
    }
    throw describeWriteFailure(
      `create the pull request from ${pull.branch} into ${pull.base}`,
      'pull-requests',
      error
    )
  }
  await addLabels(octokit, repo, created, pull.labels, log)
  await requestReviews(octokit, repo, created, pull.reviewers, author, log)
  return { pull: created, operation: 'created' }
}

/**
 * Asks the reviewers input for reviews; a failure is a warning, the PR itself stands. Users and
 * teams go in separate requests, and a request GitHub refuses as a whole (422: one entry it cannot
 * resolve, e.g. a team the default GITHUB_TOKEN cannot see, or a non-collaborator) is retried entry
 * by entry, so one bad entry does not cost the others. The PR's author is left out: GitHub refuses
 * a review request from the author.
 */
async function requestReviews(
  octokit: Octokit,
  repo: Repo,
  pull: PullRef,
  reviewers: string[],
  author: string | undefined,
  log: Log
): Promise<void> {
  const isAuthor = (r: string) => author !== undefined && r.toLowerCase() === author.toLowerCase()
  for (const r of reviewers.filter(isAuthor)) {
    log.info(`${r} opened pull request #${pull.number}; GitHub takes no review request from a PR's author.`)
  }
  const users = reviewers.filter(r => !r.includes('/') && !isAuthor(r))
  // "org/team" names a team; GitHub takes its slug.
  const teams = reviewers.filter(r => r.includes('/'))
  const ask = (entries: string[], kind: 'user' | 'team') =>
    octokit.rest.pulls.requestReviewers({
      ...repo,
      pull_number: pull.number,
      ...(kind === 'user'
        ? { reviewers: entries }
        : { team_reviewers: entries.map(t => t.slice(t.indexOf('/') + 1)) })
    })
  const hint = (kind: 'user' | 'team') =>
    kind === 'user'
      ? 'Reviewers must be collaborators of the repository; the token needs `permissions: pull-requests: write`.'
      : 'A team must have access to the repository and be visible to the token: the default GITHUB_TOKEN cannot see organization teams, so use a GitHub App or personal access token that can.'
  for (const [entries, kind] of [
    [users, 'user'],
    [teams, 'team']
  ] as const) {
    if (entries.length === 0) continue
    try {
      await ask(entries, kind)
    } catch (error) {
      if (entries.length === 1 || requestStatus(error) !== 422) {
        log.warning(
          `Could not request a review from ${entries.join(', ')} on pull request #${pull.number}: ${describe(error)} ${hint(kind)}`
        )
        continue
      }
      for (const entry of entries) {
        try {
          await ask([entry], kind)
        } catch (alone) {
          log.warning(
            `Could not request a review from ${entry} on pull request #${pull.number}: ${describe(alone)} ${hint(kind)}`
          )
        }
      }
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
 * An open PR gets the new title and body, and the labels it lacks; reviewers are asked only by the
 * run that opens a PR (see addMissingLabels).
 */
export async function refreshOpenPull(
  octokit: Octokit,
  repo: Repo,
  pull: OpenPull,
  content: { title: string; body: string; labels: string[] },
  log: Log
): Promise<PullRef> {
  const updated = await updatePull(octokit, repo, pull, content)
  await addMissingLabels(octokit, repo, pull, content.labels, log)
  return updated
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
