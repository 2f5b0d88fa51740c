import * as core from '@actions/core'
import type { Log } from '../common/log.js'

/** The pipeline's Log over the runner's log: annotations, groups and masked secrets. */
export const actionsLog: Log = {
  info: message => core.info(message),
  warning: (message, annotation) =>
    core.warning(
      message,
      annotation && { file: annotation.file, startLine: annotation.line, title: annotation.title }
    ),
  error: (message, annotation) =>
    core.error(
      message,
      annotation && { file: annotation.file, startLine: annotation.line, title: annotation.title }
    ),
  debug: message => core.debug(message),
  group: (name, fn) => core.group(name, fn),
  secret: value => {
    if (value) core.setSecret(value)
  }
}
