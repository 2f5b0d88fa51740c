// Loaded with `node --import` into a process the bench measures: on exit it writes that process's
// own peak resident set size, run time and CPU time to $BENCH_PROBE_FILE. Nothing else changes in
// the process.
import { writeFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'

const file = process.env.BENCH_PROBE_FILE
if (file) {
  process.on('exit', () => {
    // maxRSS is in kilobytes, CPU times in microseconds; timeOrigin is when this process started.
    const usage = process.resourceUsage()
    writeFileSync(
      file,
      JSON.stringify({
        maxRssKb: usage.maxRSS,
        wallMs: performance.now(),
        cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000
      })
    )
  })
}
