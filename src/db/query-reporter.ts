import type { LogEvent } from 'kysely'
import { sanitizeError } from './error-detail.js'
import { hideHashValues, hidePasswordHashes, scrubPasswordHashes } from './password-hash-redaction.js'
import { redact } from './redaction.js'
import { translateError } from './translate-error.js'

/** One event per query, given to the `log` hook. */
export interface QueryLogEvent {
  readonly sql: string
  readonly durationMs: number
  /** Present only when `logParameters: true` was passed; password hashes are replaced. */
  readonly parameters?: readonly unknown[]
  /**
   * The error the query failed with: passwords removed, and without any value
   * from the server's error detail (`Key (email)=(…)`) unless `logParameters: true`
   * was passed. Password hashes are never in it.
   */
  readonly error?: unknown
}

/** Reports one finished statement to the host's `log` hook. */
export type QueryReporter = (sql: string, parameters: readonly unknown[], durationMs: number, error?: unknown) => void

/**
 * Turns the host's `log` hook into a reporter that builds each event
 * without personal data the host did not ask for, and that never lets the
 * hook break the query: a throw is ignored, a rejected promise is caught.
 */
export function createQueryReporter(log: (event: QueryLogEvent) => unknown, withParameters: boolean): QueryReporter {
  return (sql, parameters, durationMs, error) => {
    try {
      const shown = withParameters ? hidePasswordHashes(sql, parameters) : undefined
      const event: QueryLogEvent = {
        sql: redact(sql),
        durationMs,
        ...(shown && { parameters: shown.parameters }),
        ...(error !== undefined && { error: describeError(error, shown?.hidden) }),
      }
      const result = log(event)
      if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
        ;(result as PromiseLike<unknown>).then(undefined, () => {})
      }
    } catch {
      // a failing log hook must not fail the query it reports on
    }
  }
}

/** The same reporter fed by Kysely's own `log` option (queries through Kysely). */
export function kyselyLog(report: QueryReporter): (event: LogEvent) => void {
  return (event) =>
    report(
      event.query.sql,
      event.query.parameters,
      event.queryDurationMillis,
      event.level === 'error' ? event.error : undefined,
    )
}

// `hidden` is present when the host opted in to parameters, and so to the error's detail.
function describeError(error: unknown, hidden: readonly string[] | undefined): unknown {
  const translated = translateError(error, { at: 'driver' })
  if (hidden === undefined) return sanitizeError(translated, { disclose: false })
  return sanitizeError(translated, {
    disclose: true,
    scrub: (text) => scrubPasswordHashes(text, hidden),
    scrubParameters: (values) => hideHashValues(values, hidden),
  })
}
