// Loaded with `node --import` into a process the bench measures: on exit it writes that process's
// own peak resident set size and run time to $BENCH_PROBE_FILE. Nothing else changes in the process.
import { writeFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'

const file = process.env.BENCH_PROBE_FILE
if (file) {
  process.on('exit', () => {
    // maxRSS is in kilobytes; timeOrigin is when this process started.
    writeFileSync(
      file,
      JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS, wallMs: performance.now() })
    )
  })
}
