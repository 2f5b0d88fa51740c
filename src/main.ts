import * as core from '@actions/core'
import { systemClock } from './common/clock.js'
import { boundHeapGrowth } from './common/heap.js'
import { withAnnotationBudget } from './common/log.js'
import { readInputs, snapshotPathInput, type Inputs } from './inputs.js'
import { clientOptionsFromInputs, GenesysClient } from './genesys/client.js'
import { actionsLog } from './github/actions-log.js'
import { createOctokit } from './github/octokit.js'
import { baseOutputs, runPipeline, type Outputs, type PipelineEdges } from './pipeline.js'

/** The real edges: Genesys over undici, GitHub over Octokit, the runner's log and job summary. */
export function actionEdges(): PipelineEdges {
  // One budget for the whole step: the client's and Octokit's warnings count against it too.
  const log = withAnnotationBudget(actionsLog)
  return {
    log,
    clock: systemClock,
    genesys: (inputs: Inputs) =>
      new GenesysClient({ ...clientOptionsFromInputs(inputs), clock: systemClock, log }),
    github: (inputs: Inputs) => createOctokit(inputs.githubToken, { baseUrl: inputs.githubApiUrl, log }),
    summary: async markdown => {
      // Outside a runner there is no summary file; the log already holds the same facts.
      if (!process.env.GITHUB_STEP_SUMMARY) return
      await core.summary.addRaw(markdown, true).write()
    }
  }
}

/**
 * Reads the inputs once, runs the pipeline, sets the outputs; every error becomes a failed step.
 * Every output is set also when the step fails (for `if: failure()` steps): those of a run that
 * changed nothing, with the Genesys requests made until the error.
 */
export async function run(edges: PipelineEdges = actionEdges()): Promise<void> {
  // V8 collects the old generation late; large orgs need a heap kept near its live size.
  const heap = boundHeapGrowth()
  // Until the inputs are read: the manifest path of the path input, when that one is valid.
  let outputs: Outputs = baseOutputs(snapshotPathInput(name => core.getInput(name)))
  try {
    // Mask the secrets before anything can print them, even an input error.
    for (const name of ['client-secret', 'github-token']) {
      const value = core.getInput(name)
      if (value) core.setSecret(value)
    }
    const inputs = readInputs(name => core.getInput(name), process.env)
    const outcome = await runPipeline(inputs, edges)
    outputs = outcome.outputs
    if ('error' in outcome) throw outcome.error
    if (outcome.failure) core.setFailed(outcome.failure)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    core.setFailed(message)
    // The summary is where people look first; say there what failed and that nothing was changed.
    // After publishing, the failure message itself says what became of the pull request.
    const published = outputs['pull-request-operation'] !== 'none'
    await edges
      .summary(
        `## Genesys Cloud snapshot failed\n\n\`\`\`text\n${message.replace(/`{3,}/g, "'''")}\n\`\`\`\n${
          published
            ? ''
            : '\nThe new snapshot is swapped into the folder only at the very end of a run that worked, so the folder holds the snapshot it had before.\n'
        }`
      )
      .catch(() => undefined)
  } finally {
    try {
      for (const [name, value] of Object.entries(outputs)) core.setOutput(name, value)
    } catch (error) {
      core.setFailed(
        `Could not set the step's outputs: ${error instanceof Error ? error.message : String(error)}`
      )
    }
    heap.stop()
    edges.log.debug(`heap collections started by the run: ${heap.collections}`)
  }
}
