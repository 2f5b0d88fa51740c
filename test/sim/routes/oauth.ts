/** POST /oauth/token: the client-credentials grant, with the login service's error shapes. */
import type { Route } from '../core.js'
import { json } from '../http.js'

const oauthError = (status: number, error: string, description: string) =>
  json(status, { error, description, error_description: description })

export const oauthRoutes: Route[] = [
  {
    method: 'POST',
    template: '/oauth/token',
    kind: 'login',
    handle(core, req) {
      const basic = /^basic\s+(\S+)$/i.exec(req.headers.authorization ?? '')
      const decoded = basic ? Buffer.from(basic[1], 'base64').toString('utf8') : ''
      const colon = decoded.indexOf(':')
      const clientId = colon >= 0 ? decoded.slice(0, colon) : ''
      const secret = colon >= 0 ? decoded.slice(colon + 1) : ''
      if (!core.tokens.allowLogin(clientId || '(anonymous)'))
        return oauthError(
          400,
          'invalid_request',
          'Rate limit exceeded for client credentials token requests; try again later.'
        )
      const form = new URLSearchParams(req.body.toString('utf8'))
      const grant = form.get('grant_type')
      if (!basic || clientId === '')
        return oauthError(401, 'invalid_client', 'client authentication failed: no credentials')
      if (clientId !== core.settings.clientId || secret !== core.settings.clientSecret)
        return oauthError(401, 'invalid_client', 'client not found or bad client secret')
      if (grant === null || grant === '') return oauthError(400, 'invalid_request', 'grant_type is required')
      if (grant !== 'client_credentials')
        return oauthError(400, 'unsupported_grant_type', `grant type ${grant} is not supported`)
      const { token, expiresIn } = core.tokens.issue(clientId)
      return json(200, { access_token: token, token_type: 'bearer', expires_in: expiresIn })
    }
  }
]
