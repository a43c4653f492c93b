import type { QueryResult } from 'kysely'
import { isTransientConnectionFailure } from './connection-failure.js'
import { closedDatabaseError, type DatabaseLifecycle } from './database-lifecycle.js'
import { type DriverResult, endsSession, type GuardedPool } from './discard-broken-clients.js'
import type { QueryReporter } from './query-reporter.js'
import { backoffDelay, type RetryOptions } from './retry-policy.js'
import { translateError } from './translate-error.js'

/** Sends one statement, already compiled, and returns its rows. */
export type DirectQuery = <Row>(sql: string, parameters: readonly unknown[]) => Promise<QueryResult<Row>>

const AFFECTS_ROWS = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE'])

/** What the direct path runs on: the very pool Kysely's driver uses. */
export interface DirectQuerySettings {
  readonly getPool: () => Promise<GuardedPool>
  readonly retry: Required<RetryOptions>
  /** Has Kysely open (and so own, and close on `destroy()`) the pool before the first direct statement. */
  readonly initialize: () => Promise<void>
  readonly report?: QueryReporter
  /** Fails the statements in flight when the database closes. */
  readonly lifecycle: DatabaseLifecycle
}

/** How one attempt ended: rows, or a failure to get a connection (nothing was sent, so it may be retried). */
type Attempt<Row> = { readonly result: DriverResult<Row> } | { readonly connectError: unknown }

/**
 * The stores' path to the database outside transactions, shaped like the
 * driver's own `pool.query`: a client checked out and handed back in
 * callbacks, so it returns to the pool the moment its result arrives rather
 * than after the caller's promise chain resumes. Under a saturated pool
 * that is worth about 10 % of throughput over `await pool.connect()`, and
 * Kysely's per-query layers cost ~20 µs of CPU more; the stores compile
 * their SQL once with Kysely, so neither is needed at run time. Failing to
 * get a connection is retried like Kysely's path through `GuardedDialect`;
 * a statement that was sent is never retried. When the database closes,
 * every call in flight settles with a `DatabaseUnavailableError`.
 */
export function createDirectQuery({ getPool, retry, initialize, report, lifecycle }: DirectQuerySettings): DirectQuery {
  let pool: GuardedPool | undefined
  let opening: Promise<GuardedPool> | undefined

  const open = async () => {
    try {
      await initialize()
      pool = await getPool()
      return pool
    } catch (error) {
      opening = undefined
      throw translateError(error, { at: 'driver' })
    }
  }

  return async <Row>(sql: string, parameters: readonly unknown[]): Promise<QueryResult<Row>> => {
    const started = report ? performance.now() : 0
    try {
      if (lifecycle.closed) throw closedDatabaseError()
      if (!pool) opening ??= open()
      const ready = pool ?? (await opening!)
      for (let attempt = 1; ; attempt++) {
        const outcome = await attemptOnce<Row>(ready, lifecycle, sql, parameters)
        if ('result' in outcome) {
          report?.(sql, parameters, performance.now() - started)
          const { command, rowCount, rows } = outcome.result
          return AFFECTS_ROWS.has(command) && rowCount != null ? { rows, numAffectedRows: BigInt(rowCount) } : { rows }
        }
        const error = translateError(outcome.connectError, { at: 'pool-connect' })
        if (attempt >= retry.attempts || !isTransientConnectionFailure(error) || lifecycle.closed) throw error
        await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt, retry)))
      }
    } catch (error) {
      report?.(sql, parameters, performance.now() - started, error)
      throw lifecycle.closed ? closedDatabaseError() : translateError(error, { at: 'driver' })
    }
  }
}

/**
 * One checkout and one statement. Settles at once, with the closed
 * database's error, if the database closes meanwhile; a client that
 * arrives after that is given straight back.
 */
function attemptOnce<Row>(
  pool: GuardedPool,
  lifecycle: DatabaseLifecycle,
  sql: string,
  parameters: readonly unknown[],
): Promise<Attempt<Row>> {
  return new Promise((resolve, reject) => {
    const leave = lifecycle.enter(reject)
    pool.checkout((connectError, client) => {
      if (connectError || !client) {
        leave()
        return resolve({ connectError })
      }
      if (lifecycle.closed) return client.release(true)
      client.query<Row>(sql, parameters, (error, result) => {
        leave()
        // destroy the client when the error ended its session; otherwise it goes back for reuse
        client.release(error !== undefined && endsSession(error) ? error : undefined)
        if (error) reject(error)
        else resolve({ result })
      })
    })
  })
}
