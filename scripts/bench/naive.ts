// The exporter the tutorials describe, for comparison in `npm run bench`: log in, list flows 25 a
// page, then for every published flow one export job (POST, a poll every 2 s, the download), one
// consumedresources call, and one GET per queue, skill and data action it references (each fetched
// once per run: a cache the tutorials do not always have, in the naive exporter's favour). Up to
// `concurrency` flows are worked on at once, as Genesys's Terraform exporter does; a tutorial's
// plain loop would be slower still. It honours 429 Retry-After so it finishes, and writes each flow
// to `outDir`. Run as a script (a child process of the bench) it reads its settings from argv.
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

export interface NaiveOptions {
  apiUrl: string
  clientId: string
  clientSecret: string
  outDir: string
  concurrency: number
  /** Poll interval of export jobs; default 2 s, as the Terraform exporter. */
  pollMs?: number
}

export interface NaiveResult {
  flows: number
  requests: number
  byEndpoint: Record<string, number>
  rateLimited: number
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

interface Listing<T> {
  entities?: T[]
  pageCount?: number
}

interface FlowEntity {
  id: string
  name: string
  type: string
  publishedVersion?: { id?: string }
}

export async function runNaive(options: NaiveOptions): Promise<NaiveResult> {
  const byEndpoint: Record<string, number> = {}
  let requests = 0
  let rateLimited = 0
  const count = (endpoint: string): void => {
    requests++
    byEndpoint[endpoint] = (byEndpoint[endpoint] ?? 0) + 1
  }

  /** One HTTP call, again after each 429 (its Retry-After) and a few times after a 5xx or reset. */
  const call = async (
    endpoint: string,
    url: string,
    init: RequestInit,
    accept: number[] = []
  ): Promise<Response> => {
    for (let attempt = 0; ; attempt++) {
      count(endpoint)
      let response: Response
      try {
        response = await fetch(url, init)
      } catch (error) {
        if (attempt >= 5) throw error
        await sleep(1000)
        continue
      }
      if (response.status === 429 && attempt < 50) {
        rateLimited++
        await response.arrayBuffer()
        await sleep(Number(response.headers.get('retry-after') ?? '1') * 1000)
        continue
      }
      if (response.status >= 500 && attempt < 5) {
        await response.arrayBuffer()
        await sleep(1000)
        continue
      }
      if (!response.ok && !accept.includes(response.status)) {
        throw new Error(`${endpoint} answered ${response.status}: ${(await response.text()).slice(0, 200)}`)
      }
      return response
    }
  }

  const basic = Buffer.from(`${options.clientId}:${options.clientSecret}`).toString('base64')
  const login = await call('POST /oauth/token', `${options.apiUrl}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials'
  })
  const token = ((await login.json()) as { access_token: string }).access_token
  const headers = { authorization: `Bearer ${token}`, accept: 'application/json' }
  const get = async <T>(endpoint: string, url: string, accept: number[] = []): Promise<T | undefined> => {
    const response = await call(endpoint, `${options.apiUrl}${url}`, { headers }, accept)
    if (!response.ok) {
      await response.arrayBuffer()
      return undefined
    }
    return (await response.json()) as T
  }

  const flows: FlowEntity[] = []
  for (let page = 1; ; page++) {
    const listing = await get<Listing<FlowEntity>>(
      'GET /api/v2/flows',
      `/api/v2/flows?pageNumber=${page}&pageSize=25`
    )
    flows.push(...(listing?.entities ?? []))
    if (!listing || page >= (listing.pageCount ?? 0)) break
  }
  const published = flows.filter(f => f.publishedVersion?.id)

  await mkdir(options.outDir, { recursive: true })
  const fetched = new Set<string>()
  const pollMs = options.pollMs ?? 2000
  let exported = 0

  const exportFlow = async (flow: FlowEntity): Promise<void> => {
    const created = await call(
      'POST /api/v2/flows/export/jobs',
      `${options.apiUrl}/api/v2/flows/export/jobs`,
      {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({
          flows: [{ flow: { id: flow.id, version: flow.publishedVersion!.id }, exportType: 'Yaml' }]
        })
      }
    )
    const job = (await created.json()) as { id: string }
    let state: { status?: string; downloadUrl?: string } | undefined
    // Up to 90 s, as the Terraform exporter.
    for (let polls = 0; polls < 45; polls++) {
      await sleep(pollMs)
      state = await get('GET /api/v2/flows/export/jobs/{jobId}', `/api/v2/flows/export/jobs/${job.id}`)
      if (state?.status === 'Success' || state?.status === 'Failure') break
    }
    if (state?.status !== 'Success' || !state.downloadUrl) throw new Error(`flow ${flow.name} did not export`)
    const download = await call('GET (export download URL)', state.downloadUrl, {})
    await writeFile(path.join(options.outDir, `${flow.id}.yaml`), Buffer.from(await download.arrayBuffer()))
    exported++

    const objectType = flow.type === 'WORKFLOW' ? 'WORKFLOW' : `${flow.type}FLOW`
    const deps = await get<Listing<{ id: string; type: string }>>(
      'GET /api/v2/architect/dependencytracking/consumedresources',
      `/api/v2/architect/dependencytracking/consumedresources?id=${flow.id}&version=${flow.publishedVersion!.id}&objectType=${objectType}`
    )
    for (const dep of deps?.entities ?? []) {
      const target =
        dep.type === 'QUEUE'
          ? ['GET /api/v2/routing/queues/{queueId}', `/api/v2/routing/queues/${dep.id}`]
          : dep.type === 'ACDSKILL'
            ? ['GET /api/v2/routing/skills/{skillId}', `/api/v2/routing/skills/${dep.id}`]
            : dep.type === 'DATAACTION' || dep.type === 'SECUREACTION'
              ? [
                  'GET /api/v2/integrations/actions/{actionId}',
                  `/api/v2/integrations/actions/${encodeURIComponent(dep.id)}?expand=contract&includeConfig=true`
                ]
              : undefined
      if (!target || fetched.has(dep.id)) continue
      fetched.add(dep.id)
      const body = await get<unknown>(target[0], target[1], [404])
      if (body !== undefined)
        await writeFile(path.join(options.outDir, `${encodeURIComponent(dep.id)}.json`), JSON.stringify(body))
    }
  }

  let next = 0
  const worker = async (): Promise<void> => {
    while (next < published.length) await exportFlow(published[next++])
  }
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker))
  return { flows: exported, requests, byEndpoint, rateLimited }
}

// As a child process: node --import tsx scripts/bench/naive.ts <json options> <result file>
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [optionsJson, resultFile] = process.argv.slice(2)
  runNaive(JSON.parse(optionsJson) as NaiveOptions)
    .then(result => writeFile(resultFile, JSON.stringify(result)))
    .catch((error: unknown) => {
      console.error(error)
      process.exitCode = 1
    })
}
