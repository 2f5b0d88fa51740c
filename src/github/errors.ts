/**
 * Errors of the GitHub side, worded for the person who reads the failed step: what was refused, and
 * which `permissions:` entry of the workflow fixes it.
 */

/** The `permissions:` scopes a snapshot PR needs. */
export type GitHubPermission = 'contents' | 'pull-requests'

export class GitHubPublishError extends Error {
  constructor(
    message: string,
    /** The permission the workflow lacks, when that is the cause. */
    readonly permission?: GitHubPermission,
    options?: { cause?: unknown }
  ) {
    super(message, options)
    this.name = 'GitHubPublishError'
  }
}

interface ErrorData {
  message?: unknown
  errors?: unknown
}

/** HTTP status of an Octokit RequestError, or undefined for anything else. */
export function requestStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const status = (error as { status?: unknown }).status
  return typeof status === 'number' ? status : undefined
}

function responseOf(
  error: unknown
): { data?: ErrorData; headers?: Record<string, string | undefined> } | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const response = (error as { response?: unknown }).response
  return typeof response === 'object' && response !== null
    ? (response as ReturnType<typeof responseOf>)
    : undefined
}

/** GitHub's own words for the failure: the top message and every `errors[].message`. */
export function requestMessage(error: unknown): string {
  const data = responseOf(error)?.data
  if (data && typeof data === 'object') {
    const parts: string[] = []
    if (typeof data.message === 'string') parts.push(data.message)
    if (Array.isArray(data.errors)) {
      for (const e of data.errors) {
        if (typeof e === 'string') parts.push(e)
        else if (e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string') {
          parts.push((e as { message: string }).message)
        } else if (e && typeof e === 'object') {
          const { field, code } = e as { field?: unknown; code?: unknown }
          if (typeof field === 'string' || typeof code === 'string')
            parts.push(`${String(field)} ${String(code)}`)
        }
      }
    }
    if (parts.length > 0) return parts.join(': ')
  }
  return error instanceof Error ? error.message : String(error)
}

/** A 403/429 that is a rate limit, not a refusal (those are retried by the throttling plugin). */
export function isRateLimit(error: unknown): boolean {
  const status = requestStatus(error)
  if (status !== 403 && status !== 429) return false
  const headers = responseOf(error)?.headers ?? {}
  return headers['x-ratelimit-remaining'] === '0' || /rate limit/i.test(requestMessage(error))
}

/** 403 (not a rate limit) or 404 on a write: the token may not do it. */
export function isRefusal(error: unknown): boolean {
  const status = requestStatus(error)
  return (status === 403 && !isRateLimit(error)) || status === 404
}

const PERMISSION_HINT: Record<GitHubPermission, string> = {
  contents: 'contents: write (to push the snapshot branch)',
  'pull-requests': 'pull-requests: write (to open and update the pull request)'
}

/**
 * Turns a failed write into an error that says what to change. `action` reads as "create the
 * pull request", "update branch genesys-snapshot", ...
 */
export function describeWriteFailure(
  action: string,
  permission: GitHubPermission,
  error: unknown
): GitHubPublishError {
  const status = requestStatus(error)
  const said = requestMessage(error)
  if (isRefusal(error)) {
    let message =
      `GitHub refused to ${action} (HTTP ${status}: ${said}). The workflow's token needs ` +
      `\`permissions:\` ${PERMISSION_HINT[permission]}; add to the job:\n` +
      `  permissions:\n    contents: write\n    pull-requests: write`
    if (permission === 'pull-requests') {
      message +=
        "\nAlso check that the repository (or organization) setting 'Allow GitHub Actions to create and approve pull requests' is on."
    }
    return new GitHubPublishError(message, permission, { cause: error })
  }
  if (isRateLimit(error)) {
    return new GitHubPublishError(
      `GitHub's rate limit stopped the attempt to ${action} (HTTP ${status}: ${said}); rerun the workflow later.`,
      undefined,
      { cause: error }
    )
  }
  const base = `Could not ${action}: ${status !== undefined ? `HTTP ${status}: ` : ''}${said}`
  // Server errors and broken connections (after the retries) are GitHub's side, not the workflow's.
  if (status === undefined || status >= 500) {
    return new GitHubPublishError(
      `${base.replace(/\.+$/, '')}. GitHub may be having trouble (https://www.githubstatus.com); rerun the workflow later.`,
      undefined,
      { cause: error }
    )
  }
  return new GitHubPublishError(base, undefined, { cause: error })
}

/** Runs a write and rewords its failure with describeWriteFailure. */
export async function write<T>(
  action: string,
  permission: GitHubPermission,
  fn: () => Promise<T>
): Promise<T> {
  try {
    return await fn()
  } catch (error) {
    throw describeWriteFailure(action, permission, error)
  }
}
