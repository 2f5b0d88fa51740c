import { RequestError } from '@octokit/request-error'
import { describeWriteFailure, GitHubPublishError, isRateLimit, requestMessage } from './errors.js'

function requestError(status: number, data: unknown, headers: Record<string, string> = {}): RequestError {
  return new RequestError('HttpError', status, {
    request: { method: 'POST', url: 'https://api.github.com/repos/o/r/git/blobs', headers: {} },
    response: { status, url: 'https://api.github.com/repos/o/r/git/blobs', headers, data }
  })
}

describe('describeWriteFailure', () => {
  test('a 403 refusal names the permission to add', () => {
    const e = describeWriteFailure(
      'upload x',
      'contents',
      requestError(403, { message: 'Resource not accessible by integration' })
    )
    expect(e).toBeInstanceOf(GitHubPublishError)
    expect(e.permission).toBe('contents')
    expect(e.message).toMatch(
      /GitHub refused to upload x \(HTTP 403: Resource not accessible by integration\)/
    )
    expect(e.message).toMatch(/contents: write/)
  })

  test('a refused PR also points at the Actions setting', () => {
    const e = describeWriteFailure(
      'create the pull request',
      'pull-requests',
      requestError(403, { message: 'GitHub Actions is not permitted to create or approve pull requests.' })
    )
    expect(e.permission).toBe('pull-requests')
    expect(e.message).toMatch(/pull-requests: write/)
    expect(e.message).toMatch(/Allow GitHub Actions to create and approve pull requests/)
  })

  test('a 404 on a write is a refusal too', () => {
    expect(
      describeWriteFailure('update branch b', 'contents', requestError(404, { message: 'Not Found' }))
        .permission
    ).toBe('contents')
  })

  test('a rate limit is not mistaken for a missing permission', () => {
    const limited = requestError(
      403,
      { message: 'API rate limit exceeded for installation ID 1.' },
      { 'x-ratelimit-remaining': '0' }
    )
    expect(isRateLimit(limited)).toBe(true)
    const e = describeWriteFailure('upload x', 'contents', limited)
    expect(e.permission).toBeUndefined()
    expect(e.message).toMatch(/rate limit/)
  })

  test('other failures keep GitHub’s words, including validation errors', () => {
    const e = describeWriteFailure(
      'create the pull request',
      'pull-requests',
      requestError(422, {
        message: 'Validation Failed',
        errors: [{ resource: 'PullRequest', code: 'custom', message: 'No commits between main and x' }]
      })
    )
    expect(e.permission).toBeUndefined()
    expect(e.message).toBe(
      'Could not create the pull request: HTTP 422: Validation Failed: No commits between main and x'
    )
  })
})

test('server errors and broken connections say GitHub is at fault and to rerun later', () => {
  const e = describeWriteFailure(
    'update pull request #2',
    'pull-requests',
    requestError(502, { message: 'Server Error.' })
  )
  expect(e.permission).toBeUndefined()
  expect(e.message).toBe(
    'Could not update pull request #2: HTTP 502: Server Error. GitHub may be having trouble (https://www.githubstatus.com); rerun the workflow later.'
  )
  const reset = describeWriteFailure('create the snapshot commit', 'contents', new Error('socket hang up'))
  expect(reset.message).toMatch(
    /^Could not create the snapshot commit: socket hang up\. GitHub may be having trouble/
  )
})

test('requestMessage falls back to the error message for non-HTTP errors', () => {
  expect(requestMessage(new Error('socket hang up'))).toBe('socket hang up')
  expect(requestMessage('plain')).toBe('plain')
})
