/**
 * npm run sim -- --flows 200 --seed 7 [--port 8080] [--rate-limit 300] [--latency 50] [--average-bytes 6000]
 *               [--types inboundcall,workflow] [--token-ttl 86400]
 * Starts the simulated org and keeps it running until Ctrl-C.
 */
import { parseArgs } from 'node:util'
import { startSimOrg } from './index.js'

const { values } = parseArgs({
  options: {
    flows: { type: 'string' },
    seed: { type: 'string' },
    port: { type: 'string' },
    'rate-limit': { type: 'string' },
    latency: { type: 'string' },
    'average-bytes': { type: 'string' },
    types: { type: 'string' },
    'token-ttl': { type: 'string' },
    help: { type: 'boolean', short: 'h' }
  }
})

if (values.help) {
  console.log(
    'Usage: npm run sim -- [--flows N] [--seed N] [--port N] [--rate-limit N] [--latency MS] [--average-bytes N] [--types a,b] [--token-ttl S]'
  )
  process.exit(0)
}

const num = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined
  if (!/^\d+$/.test(v)) {
    console.error(`--${name} must be a whole number, got '${v}'`)
    process.exit(2)
  }
  return Number(v)
}

const seed = num('seed', values.seed) ?? 1
const flows = num('flows', values.flows) ?? 40
const sim = await startSimOrg({
  seed,
  flows,
  port: num('port', values.port),
  rateLimitPerMinute: num('rate-limit', values['rate-limit']),
  latencyMs: num('latency', values.latency),
  averageFlowBytes: num('average-bytes', values['average-bytes']),
  tokenTtlSeconds: num('token-ttl', values['token-ttl']),
  flowTypes: values.types
    ?.split(',')
    .map(t => t.trim())
    .filter(Boolean)
})

const org = sim.org
console.log(`Simulated Genesys Cloud org (seed ${seed}) listening on ${sim.url}`)
console.log(
  `  ${org.flows.length} flows, ${org.queues.length} queues (+${org.deletedQueues.length} deleted), ${org.skills.length} skills, ${org.dataActions.length} data actions`
)
console.log(`  client id:     ${sim.clientId}`)
console.log(`  client secret: ${sim.clientSecret}`)
console.log('')
console.log('Action inputs (workflow `with:`):')
console.log(`  client-id: ${sim.clientId}`)
console.log(`  client-secret: ${sim.clientSecret}`)
console.log(`  api-url: ${sim.url}`)
console.log('')
console.log('Run the built action against it:')
console.log(
  `  env 'INPUT_CLIENT-ID=${sim.clientId}' 'INPUT_CLIENT-SECRET=${sim.clientSecret}' 'INPUT_API-URL=${sim.url}' 'INPUT_PULL-REQUEST=false' GITHUB_WORKSPACE=$PWD node dist/index.js`
)
console.log('')
console.log('Ctrl-C to stop.')

const stop = (): void => {
  console.log('\nRequests served:', sim.stats().byEndpoint)
  void sim.close().then(() => process.exit(0))
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
