/**
 * The bundled action (dist/index.js) as the reliability suite runs it: started as a runner starts it
 * (test/support/run-action.ts), with a handle on the process so a test can kill it at a precise
 * moment, and what it emitted recorded for the secrets sweep.
 */
import type { GitHubStandIn } from '../github/index.js'
import { runAction, startAction, type ActionRun, type RunActionOptions } from './run-action.js'
import type { Emissions } from './reliability-emissions.js'

/** A run of the bundle, started as a runner starts it (see test/support/run-action.ts). */
export type BundleRun = ActionRun
export type BundleOptions = RunActionOptions
export const startBundle = startAction
export const runBundle = runAction

/** Adds what a bundle run emitted; ::add-mask:: lines are the runner's and never shown, so they are left out. */
export async function recordBundleRun(
  emissions: Emissions,
  label: string,
  run: BundleRun,
  workspace: string,
  gh?: GitHubStandIn
): Promise<void> {
  const shown = run.stdout
    .split('\n')
    .filter(line => !line.startsWith('::add-mask::'))
    .join('\n')
  emissions.add(`${label}: stdout`, shown)
  emissions.add(`${label}: stderr`, run.stderr)
  emissions.add(`${label}: annotations`, JSON.stringify(run.annotations))
  emissions.add(`${label}: outputs`, JSON.stringify(run.outputs))
  emissions.add(`${label}: job summary`, run.summary)
  await emissions.addFolder(`${label}: workspace`, workspace)
  if (gh) await emissions.addGitHub(`${label}: GitHub`, gh)
}
