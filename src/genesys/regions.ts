import { InputError } from '../common/errors.js'

/** Region name → domain, as in the official SDK's PureCloudRegionHosts. */
export const REGION_DOMAINS: Readonly<Record<string, string>> = {
  'us-east-1': 'mypurecloud.com',
  'eu-west-1': 'mypurecloud.ie',
  'ap-southeast-2': 'mypurecloud.com.au',
  'ap-northeast-1': 'mypurecloud.jp',
  'eu-central-1': 'mypurecloud.de',
  'us-west-2': 'usw2.pure.cloud',
  'ca-central-1': 'cac1.pure.cloud',
  'ap-northeast-2': 'apne2.pure.cloud',
  'eu-west-2': 'euw2.pure.cloud',
  'ap-south-1': 'aps1.pure.cloud',
  'us-east-2': 'use2.us-gov-pure.cloud',
  'sa-east-1': 'sae1.pure.cloud',
  'me-central-1': 'mec1.pure.cloud',
  'ap-northeast-3': 'apne3.pure.cloud',
  'eu-central-2': 'euc2.pure.cloud',
  'mx-central-1': 'mxc1.pure.cloud',
  'ap-southeast-1': 'apse1.pure.cloud',
  'eusc-de-east-1': 'edee1.eusc-pure.cloud'
}

export interface GenesysHosts {
  /** Base URL of the Platform API, without a trailing slash (requests go to `${apiUrl}/api/v2/...`). */
  apiUrl: string
  /** Base URL of the OAuth service (login goes to `${loginUrl}/oauth/token`). */
  loginUrl: string
}

function parseBaseUrl(input: string, value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new InputError(input, `'${value}' is not a URL; give one such as https://api.mypurecloud.com.`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InputError(input, `'${value}' must use https (or http for a local test server).`)
  }
  if (url.username || url.password) {
    throw new InputError(input, 'must not carry credentials; use client-id and client-secret.')
  }
  if (url.search || url.hash) {
    throw new InputError(input, `'${value}' must not have a query or fragment.`)
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
}

/**
 * Works out the API and login base URLs from the `region`, `api-url` and `login-url` inputs.
 * `region` takes a region name (us-east-1) or a domain (mypurecloud.com, usw2.pure.cloud).
 */
export function resolveHosts(opts: { region: string; apiUrl: string; loginUrl: string }): GenesysHosts {
  const apiOverride = opts.apiUrl.trim()
  const loginOverride = opts.loginUrl.trim()
  let domain: string | undefined
  if (!apiOverride || !loginOverride) {
    const region = (opts.region.trim() || 'us-east-1').toLowerCase()
    const known = Object.values(REGION_DOMAINS)
    const stripped = region.replace(/^(https?:\/\/)?(api\.|login\.)?/, '').replace(/\/+$/, '')
    domain = REGION_DOMAINS[region] ?? (known.includes(stripped) ? stripped : undefined)
    if (!domain && !apiOverride) {
      throw new InputError(
        'region',
        `'${opts.region}' is not a Genesys Cloud region; use a region name (${Object.keys(REGION_DOMAINS).join(', ')}) or its domain (mypurecloud.com, usw2.pure.cloud, ...), or set api-url.`
      )
    }
  }
  const apiUrl = apiOverride ? parseBaseUrl('api-url', apiOverride) : `https://api.${domain}`
  const loginUrl = loginOverride
    ? parseBaseUrl('login-url', loginOverride)
    : apiOverride
      ? apiUrl
      : `https://login.${domain}`
  return { apiUrl, loginUrl }
}
