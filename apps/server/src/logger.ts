/**
 * A small structured logger: one JSON object per line. The server only needs levels, child
 * bindings (request id) and error serialization that keeps stacks out of client responses but
 * in the log.
 * @module
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

export interface Logger {
  debug(obj: Record<string, unknown>, msg?: string): void
  info(obj: Record<string, unknown>, msg?: string): void
  warn(obj: Record<string, unknown>, msg?: string): void
  error(obj: Record<string, unknown>, msg?: string): void
  child(bindings: Record<string, unknown>): Logger
}

const LEVELS: Record<LogLevel | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 }

/** Error → plain object (name, message, code, stack, cause chain). */
export function serializeError(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error) || depth > 3) return err instanceof Error ? { message: err.message } : err
  const out: Record<string, unknown> = { name: err.name, message: err.message }
  const code = (err as { code?: unknown }).code
  if (code !== undefined) out.code = code
  if (err.stack) out.stack = err.stack
  if (err.cause !== undefined) out.cause = serializeError(err.cause, depth + 1)
  return out
}

export interface JsonLoggerOptions {
  level?: LogLevel | 'silent'
  /** Line sink; defaults to stdout. */
  write?: (line: string) => void
  bindings?: Record<string, unknown>
}

export function createJsonLogger(options: JsonLoggerOptions = {}): Logger {
  const threshold = LEVELS[options.level ?? 'info']
  const write = options.write ?? ((line: string) => process.stdout.write(line))
  const make = (bindings: Record<string, unknown>): Logger => {
    const log = (level: LogLevel, obj: Record<string, unknown>, msg?: string) => {
      if (LEVELS[level] < threshold) return
      const entry: Record<string, unknown> = { time: new Date().toISOString(), level, ...bindings }
      for (const [k, v] of Object.entries(obj)) entry[k] = v instanceof Error ? serializeError(v) : v
      if (msg !== undefined) entry.msg = msg
      let line: string
      try {
        line = JSON.stringify(entry)
      } catch {
        line = JSON.stringify({ time: entry.time, level, msg, note: 'unserializable log entry' })
      }
      write(`${line}\n`)
    }
    return {
      debug: (o, m) => log('debug', o, m),
      info: (o, m) => log('info', o, m),
      warn: (o, m) => log('warn', o, m),
      error: (o, m) => log('error', o, m),
      child: (b) => make({ ...bindings, ...b }),
    }
  }
  return make(options.bindings ?? {})
}

export const silentLogger: Logger = createJsonLogger({ level: 'silent', write: () => {} })

export interface MemoryLogEntry {
  level: LogLevel
  msg?: string
  [key: string]: unknown
}

/** Logger that keeps entries in an array (tests assert on logs). */
export function createMemoryLogger(): Logger & { entries: MemoryLogEntry[] } {
  const entries: MemoryLogEntry[] = []
  const logger = createJsonLogger({
    level: 'debug',
    write: (line) => entries.push(JSON.parse(line) as MemoryLogEntry),
  })
  return Object.assign(logger, { entries })
}
