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
