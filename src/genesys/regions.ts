import { InputError } from '../common/errors.js'
import { isLoopback } from './proxy.js'

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
  // What a refusal repeats goes into the log and the job summary: never a query, a fragment or
  // anything before an @.
  const shown = value.replace(/[?#].*$/s, '').replace(/^([^/]*\/\/)?[^/]*@/, '$1…@')
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new InputError(input, `'${shown}' is not a URL; give one such as https://api.mypurecloud.com.`)
  }
  if (url.username || url.password) {
    throw new InputError(input, 'must not carry credentials; use client-id and client-secret.')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InputError(input, `'${shown}' must use https (or http for a local test server).`)
  }
  if (url.search || url.hash) {
    throw new InputError(input, `'${shown}' must not have a query or fragment.`)
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
}

/**
 * Warnings for base URLs that carry the client secret (login) or access tokens (API) in clear text:
 * plain http to a host other than this machine. Not refused: a proxy on a trusted network may be meant.
 */
export function cleartextWarnings(hosts: GenesysHosts): string[] {
  const origins = new Set<string>()
  for (const value of [hosts.loginUrl, hosts.apiUrl]) {
    const url = new URL(value)
    if (url.protocol === 'http:' && !isLoopback(url.hostname.toLowerCase())) origins.add(url.origin)
  }
  return [...origins].map(
    origin =>
      `${origin} is plain http: the client secret and access tokens sent to it cross the network unencrypted. Use https in api-url and login-url unless that host is on a network you trust.`
  )
}

/**
 * The region domain a `region` input names: a region name (eu-west-1), a domain (mypurecloud.ie), or
 * a host or URL on that domain as people copy it from the browser or the docs: apps.mypurecloud.ie,
 * https://apps.mypurecloud.ie/directory/, https://login.mypurecloud.ie, https://api.mypurecloud.ie.
 * Undefined when the domain is not a known region's.
 */
export function regionDomain(region: string): string | undefined {
  const value = region.trim().toLowerCase()
  if (Object.hasOwn(REGION_DOMAINS, value)) return REGION_DOMAINS[value]
  const host = value.replace(/^https?:\/\//, '').replace(/[/?#].*$/s, '')
  const domain = host.replace(/^(apps|login|api)\./, '')
  return Object.values(REGION_DOMAINS).includes(domain) ? domain : undefined
}

/**
 * Works out the API and login base URLs from the `region`, `api-url` and `login-url` inputs.
 * `region` takes a region name (us-east-1), a domain (mypurecloud.com, usw2.pure.cloud) or a URL on it.
 */
export function resolveHosts(opts: { region: string; apiUrl: string; loginUrl: string }): GenesysHosts {
  const apiOverride = opts.apiUrl.trim()
  const loginOverride = opts.loginUrl.trim()
  let domain: string | undefined
  if (!apiOverride || !loginOverride) {
    domain = regionDomain(opts.region.trim() || 'us-east-1')
    if (!domain && !apiOverride) {
      throw new InputError(
        'region',
        `'${opts.region}' is not a Genesys Cloud region; use a region name (${Object.keys(REGION_DOMAINS).join(', ')}), its domain (mypurecloud.com, usw2.pure.cloud, ...) or your org's URL (https://apps.mypurecloud.ie), or set api-url.`
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
