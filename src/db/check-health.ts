import { type Kysely, sql, type Transaction } from 'kysely'
import { DatabaseUnavailableError, type TaskstoreError } from '../errors/index.js'
import { toUnavailableIfConnectionFailure } from './guarded-dialect.js'
import { redact, redactError } from './redaction.js'

/** The result of {@link checkHealth}. */
export interface HealthReport {
  readonly ok: boolean
  /** Time spent on `select 1` (or until it failed), in milliseconds. */
  readonly latencyMs: number
  /** Why the check failed; absent when `ok`. */
  readonly error?: TaskstoreError
}

/**
 * Runs `select 1` and reports whether it worked and how long it took. It
 * never throws, so it fits a readiness probe as it is.
 *
 * @example
 * ```ts
 * const { ok, latencyMs } = await checkHealth(db)
 * if (!ok) console.error('database down')
 * ```
 */
export async function checkHealth<DB>(db: Kysely<DB> | Transaction<DB>): Promise<HealthReport> {
  const started = performance.now()
  try {
    await sql`select 1`.execute(db)
    return { ok: true, latencyMs: performance.now() - started }
  } catch (error) {
    return { ok: false, latencyMs: performance.now() - started, error: asUnavailable(error) }
  }
}

function asUnavailable(error: unknown): DatabaseUnavailableError {
  const mapped = toUnavailableIfConnectionFailure(error)
  if (mapped instanceof DatabaseUnavailableError) return mapped
  const message = error instanceof Error ? error.message : String(error)
  return new DatabaseUnavailableError(redact(`The health check failed: ${message}`), { cause: redactError(error) })
}
