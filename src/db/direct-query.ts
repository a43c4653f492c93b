import type { Kysely, PostgresPool, QueryResult } from 'kysely'
import { isTransientConnectionFailure } from './connection-failure.js'
import { toUnavailableIfConnectionFailure } from './guarded-dialect.js'
import { type RetryOptions, retryAcquire } from './retry-policy.js'

/** Sends one statement, already compiled, and returns its rows. */
export type DirectQuery = <Row>(sql: string, parameters: readonly unknown[]) => Promise<QueryResult<Row>>

/** Reports one finished statement to the host's `log` hook. */
export type QueryReporter = (sql: string, parameters: readonly unknown[], durationMs: number, error?: unknown) => void

const DIRECT_QUERIES = new WeakMap<Kysely<any>, DirectQuery>()
const AFFECTS_ROWS = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE'])

/** The direct path of a database made by `createDatabase`, if it has one. */
export function directQueryFor(db: Kysely<any>): DirectQuery | undefined {
  return DIRECT_QUERIES.get(db)
}

/** Gives a database made by `createDatabase` its direct path. */
export function registerDirectQuery(db: Kysely<any>, query: DirectQuery): void {
  DIRECT_QUERIES.set(db, query)
}

/** What the direct path runs on: the very pool Kysely's driver uses. */
export interface DirectQuerySettings {
  readonly getPool: () => Promise<PostgresPool>
  readonly retry: Required<RetryOptions>
  /** Has Kysely open (and so own, and close on `destroy()`) the pool before the first direct statement. */
  readonly initialize: () => Promise<void>
  readonly report?: QueryReporter
}

/**
 * The stores' path to the database outside transactions: a pooled client,
 * the statement, the client back — what a hand-written `pg` call does, with
 * the same connection retries and error mapping as Kysely's path through
 * `GuardedDialect`. Kysely's per-query machinery (connection provider,
 * result transforms, its own async layers) costs about 20 µs of CPU per
 * call, which a CPU-bound service pays in throughput; the stores compile
 * their SQL once with Kysely, so nothing else is needed at run time.
 */
export function createDirectQuery({ getPool, retry, initialize, report }: DirectQuerySettings): DirectQuery {
  let pool: PostgresPool | undefined
  let opening: Promise<PostgresPool> | undefined

  const open = async (): Promise<PostgresPool> => {
    try {
      await initialize()
      pool = await getPool()
      return pool
    } catch (error) {
      opening = undefined
      throw toUnavailableIfConnectionFailure(error)
    }
  }

  return async <Row>(sql: string, parameters: readonly unknown[]): Promise<QueryResult<Row>> => {
    if (!pool) opening ??= open()
    const ready = pool ?? (await opening!)
    const started = report ? performance.now() : 0
    let client: Awaited<ReturnType<PostgresPool['connect']>>
    try {
      // the first attempt outside the retry loop: no extra async frame on the common path
      client = await ready
        .connect()
        .catch((error: unknown) => retryAcquire(() => ready.connect(), isTransientConnectionFailure, retry, error))
    } catch (error) {
      report?.(sql, parameters, performance.now() - started, error)
      throw toUnavailableIfConnectionFailure(error)
    }
    try {
      const result = await client.query<Row>(sql, parameters as unknown[])
      report?.(sql, parameters, performance.now() - started)
      const affected = AFFECTS_ROWS.has(result.command) && result.rowCount != null
      return affected ? { rows: result.rows, numAffectedRows: BigInt(result.rowCount!) } : { rows: result.rows }
    } catch (error) {
      report?.(sql, parameters, performance.now() - started, error)
      throw toUnavailableIfConnectionFailure(error)
    } finally {
      client.release()
    }
  }
}
