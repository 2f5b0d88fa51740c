/**
 * The logging surface the pipeline uses. The action wires it to @actions/core (see
 * src/github/actions-log.ts); tests use `silentLog` or `memoryLog`, so no stage imports @actions/core.
 */
export interface Annotation {
  file?: string
  line?: number
  title?: string
}

export interface Log {
  info(message: string): void
  warning(message: string, annotation?: Annotation): void
  error(message: string, annotation?: Annotation): void
  debug(message: string): void
  /** Runs `fn` inside a collapsible log group. */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>
  /** Registers a value that must never appear in any output (client secret, tokens). */
  secret(value: string): void
}

export const silentLog: Log = {
  info: () => {},
  warning: () => {},
  error: () => {},
  debug: () => {},
  group: (_name, fn) => fn(),
  secret: () => {}
}

export interface LoggedLine {
  level: 'info' | 'warning' | 'error' | 'debug'
  message: string
  annotation?: Annotation
}

/** A Log that records what it is told, for tests that assert on messages and on secrecy. */
export function memoryLog(): Log & { lines: LoggedLine[]; secrets: string[] } {
  const lines: LoggedLine[] = []
  const secrets: string[] = []
  return {
    lines,
    secrets,
    info: message => lines.push({ level: 'info', message }),
    warning: (message, annotation) => lines.push({ level: 'warning', message, annotation }),
    error: (message, annotation) => lines.push({ level: 'error', message, annotation }),
    debug: message => lines.push({ level: 'debug', message }),
    group: (_name, fn) => fn(),
    secret: value => {
      secrets.push(value)
    }
  }
}

/** Annotations of each level GitHub shows a step; it drops the rest without a word. */
export const ANNOTATIONS_PER_STEP = 10

/**
 * A Log that stays within GitHub's annotations a step. The first warnings and errors are annotations;
 * then one annotation says the rest follow in the log, and they do, as plain lines that name their
 * file. One error annotation is left for the step's failure (core.setFailed), which must always show.
 */
export function withAnnotationBudget(log: Log, perStep = ANNOTATIONS_PER_STEP): Log {
  const budget = (level: 'warning' | 'error'): ((message: string, annotation?: Annotation) => void) => {
    // Errors keep one place for the failure; each level keeps one for the notice.
    const direct = perStep - (level === 'error' ? 2 : 1)
    let count = 0
    return (message, annotation) => {
      count++
      if (count <= direct) return log[level](message, annotation)
      if (count === direct + 1) {
        const plural = level === 'error' ? 'errors' : 'warnings'
        log[level](
          `More ${plural} than GitHub shows as annotations (${perStep} a step): the rest follow in this step's log, as lines starting with "${level}:".`,
          { title: `More ${plural} in the log` }
        )
      }
      const where = annotation?.file
        ? `${annotation.file}${annotation.line !== undefined ? `:${annotation.line}` : ''}: `
        : ''
      const title = annotation?.title ? `${annotation.title}: ` : ''
      log.info(`${level}: ${where}${title}${message}`)
    }
  }
  return { ...log, warning: budget('warning'), error: budget('error') }
}
