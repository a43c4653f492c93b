import { type Kysely, sql, type Transaction } from 'kysely'
import type { TaskstoreError } from '../errors/index.js'
import { attachmentsOf } from './database-attachments.js'
import type { NodeHealth } from './replica-router.js'
import { translateError } from './translate-error.js'

export type { NodeHealth } from './replica-router.js'

/** The result of {@link checkHealth}. */
export interface HealthReport {
  readonly ok: boolean
  /** Time spent on `select 1` (or until it failed), in milliseconds. */
  readonly latencyMs: number
  /** Why the check failed; absent when `ok`. */
  readonly error?: TaskstoreError
  /**
   * With replicas: the primary and each replica (`role`, `host`, `ok`, and
   * a replica's `lagMs`). `ok` above is the primary's: a replica that is
   * down costs no request an error.
   */
  readonly nodes?: readonly NodeHealth[]
}

/**
 * Runs `select 1` and reports whether it worked and how long it took. It
 * never throws, so it fits a readiness probe as it is. `error` is a
 * `ConfigError` when the configuration is at fault (a refused login, a
 * database that does not exist), else a `DatabaseUnavailableError`.
 *
 * @example
 * ```ts
 * const { ok, latencyMs } = await checkHealth(db)
 * if (!ok) console.error('database down')
 * ```
 */
export async function checkHealth<DB>(db: Kysely<DB> | Transaction<DB>): Promise<HealthReport> {
  const started = performance.now()
  let report: HealthReport
  try {
    await sql`select 1`.execute(db)
    report = { ok: true, latencyMs: performance.now() - started }
  } catch (error) {
    report = { ok: false, latencyMs: performance.now() - started, error: translateError(error, { at: 'health-check' }) }
  }
  const { router } = attachmentsOf(db)
  return router ? { ...report, nodes: await router.health(report.ok) } : report
}
