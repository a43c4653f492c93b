import { createHash } from 'node:crypto'
import type { QueryResult } from 'kysely'
import { isTransientConnectionFailure } from './connection-failure.js'
import { closedDatabaseError, type DatabaseLifecycle } from './database-lifecycle.js'
import { type DriverResult, endsSession, type GuardedPool } from './discard-broken-clients.js'
import type { QueryReporter } from './query-reporter.js'
import { backoffDelay, type RetryOptions } from './retry-policy.js'
import { translateError } from './translate-error.js'

/** Sends one statement, already compiled, and returns its rows. */
export type DirectQuery = <Row>(
  sql: string,
  parameters: readonly unknown[],
  statement?: StatementKind,
) => Promise<QueryResult<Row>>

/** What the caller knows of a statement. */
export interface StatementKind {
  /** Its best plan is the same whatever its values, so one prepared on a connection may be reused there. */
  readonly preparable?: boolean
  /**
   * Its rows have the fields `rows` knows: the driver hands them over as
   * arrays of values, which `rows` makes into objects of one shape. On a
   * page of rows that costs less CPU than the driver's own row objects.
   */
  readonly rows?: RowReader<unknown>
}

/** Makes rows of one known shape from the arrays of values the driver sends. */
export interface RowReader<Row> {
  /** The reader of a result with these columns, in this order; undefined when they are not the shape's fields. */
  forColumns(names: readonly string[]): ((values: readonly unknown[]) => Row) | undefined
}

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
  /** Prepares preparable statements on each connection (`preparedStatements`). */
  readonly prepare?: boolean
}

/**
 * How one attempt ended: rows; a failure to get a connection (nothing was
 * sent, so it may be retried); or a prepared statement the server refused
 * before running it (see `preparedStatementRefusal`), which may go again
 * unnamed.
 */
type Attempt<Row> =
  | { readonly result: DriverResult<Row> }
  | { readonly connectError: unknown }
  | { readonly refusal: 'session' | 'shape' }

/**
 * The stores' path to the database outside transactions, shaped like the
 * driver's own `pool.query`: a client checked out and handed back in
 * callbacks, so it returns to the pool the moment its result arrives rather
 * than after the caller's promise chain resumes. Under a saturated pool
 * that is worth about 10 % of throughput over `await pool.connect()`, and
 * Kysely's per-query layers cost ~20 µs of CPU more; the stores compile
 * their SQL once with Kysely, so neither is needed at run time. Failing to
 * get a connection is retried like Kysely's path through `GuardedDialect`;
 * a statement that was sent is never retried, save a prepared one the
 * server refused (see `preparedStatementRefusal`), which goes again
 * unprepared. When the database closes,
 * every call in flight settles with a `DatabaseUnavailableError`.
 */
export function createDirectQuery({
  getPool,
  retry,
  initialize,
  report,
  lifecycle,
  prepare = false,
}: DirectQuerySettings): DirectQuery {
  let pool: GuardedPool | undefined
  let opening: Promise<GuardedPool> | undefined
  let names = prepare ? new StatementNames() : undefined

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

  return async <Row>(
    sql: string,
    parameters: readonly unknown[],
    statement?: StatementKind,
  ): Promise<QueryResult<Row>> => {
    const started = report ? performance.now() : 0
    let name = statement?.preparable ? names?.of(sql) : undefined
    const arrays = statement?.rows !== undefined
    try {
      if (lifecycle.closed) throw closedDatabaseError()
      if (!pool) opening ??= open()
      const ready = pool ?? (await opening!)
      for (let attempt = 1; ; ) {
        const outcome = await attemptOnce<Row>(ready, lifecycle, sql, parameters, name, arrays)
        if ('result' in outcome) {
          report?.(sql, parameters, performance.now() - started)
          const { command, rowCount } = outcome.result
          const rows = statement?.rows ? readRows<Row>(outcome.result, statement.rows) : outcome.result.rows
          return AFFECTS_ROWS.has(command) && rowCount != null ? { rows, numAffectedRows: BigInt(rowCount) } : { rows }
        }
        if ('refusal' in outcome) {
          // A connection whose server session lost or gained statements behind the driver's back is a shared one
          // (a transaction pooler): prepare nothing more.
          if (outcome.refusal === 'session') names = undefined
          // The statement did not run: this attempt goes again, unnamed.
          name = undefined
          continue
        }
        const error = translateError(outcome.connectError, { at: 'pool-connect' })
        if (attempt >= retry.attempts || !isTransientConnectionFailure(error) || lifecycle.closed) throw error
        await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt, retry)))
        attempt++
      }
    } catch (error) {
      report?.(sql, parameters, performance.now() - started, error)
      throw lifecycle.closed ? closedDatabaseError() : translateError(error, { at: 'driver' })
    }
  }
}

/**
 * Why the server refused a prepared statement before running it, if it did:
 * - `session`: the statement the driver prepared on the connection is
 *   missing there (`26000`), or one it never prepared is there already
 *   (`42P05`): the session is not the connection's own (a transaction
 *   pooler), or its statements were deallocated behind the driver;
 * - `shape`: a table it reads changed since it was prepared, so its rows
 *   would not be the ones described then ("cached plan must not change
 *   result type", `0A000`).
 * Each is told by the server function that raised it as well as the code,
 * whatever the server's language: the same codes raised while a statement
 * runs (by a trigger, a rule, a hot standby) are the statement's own
 * failures, and are not retried. A refused statement did not run, so it may
 * be sent again unprepared.
 */
function preparedStatementRefusal(error: unknown): 'session' | 'shape' | undefined {
  const { code, routine } = (error ?? {}) as { code?: unknown; routine?: unknown }
  if (code === '26000' && routine === 'FetchPreparedStatement') return 'session'
  if (code === '42P05' && routine === 'StorePreparedStatement') return 'session'
  if (code === '0A000' && routine === 'RevalidateCachedQuery') return 'shape'
  return undefined
}

/**
 * A name for each statement text, the same on every connection: the driver
 * prepares a named statement on a connection the first time it sends it
 * there, and afterwards sends only its name and values.
 */
class StatementNames {
  readonly #names = new Map<string, string>()

  of(sql: string): string {
    let name = this.#names.get(sql)
    if (name === undefined) {
      // 63 bytes at most (NAMEDATALEN); the hash keeps two texts from ever sharing a name
      name = `taskstore_${createHash('sha256').update(sql).digest('base64url').slice(0, 32)}`
      this.#names.set(sql, name)
    }
    return name
  }
}

/**
 * The rows of a result the driver sent as arrays, made into objects by
 * `reader`; by the result's column names when they are not the reader's
 * fields (a statement whose columns differ from what its caller said).
 */
function readRows<Row>(result: DriverResult<unknown>, reader: RowReader<unknown>): Row[] {
  const names = (result.fields ?? []).map((field) => field.name)
  const arrays = result.rows as unknown[][]
  const read =
    reader.forColumns(names) ??
    ((values: readonly unknown[]) => Object.fromEntries(names.map((n, k) => [n, values[k]])))
  const rows = new Array<Row>(arrays.length)
  for (let k = 0; k < arrays.length; k++) rows[k] = read(arrays[k]!) as Row
  return rows
}

/** What the driver is given: the text alone for an unnamed statement of object rows. */
function queryConfig(sql: string, name: string | undefined, arrays: boolean) {
  if (!arrays) return name === undefined ? sql : { name, text: sql }
  return name === undefined ? { text: sql, rowMode: 'array' as const } : { name, text: sql, rowMode: 'array' as const }
}

/**
 * One checkout and one statement, prepared under `name` when one is
 * given, its rows sent as arrays when `arrays` is set. Settles at once,
 * with the closed database's error, if the database closes meanwhile; a
 * client that arrives after that is given straight back.
 */
function attemptOnce<Row>(
  pool: GuardedPool,
  lifecycle: DatabaseLifecycle,
  sql: string,
  parameters: readonly unknown[],
  name: string | undefined,
  arrays = false,
): Promise<Attempt<Row>> {
  return new Promise((resolve, reject) => {
    const leave = lifecycle.enter(reject)
    pool.checkout((connectError, client) => {
      if (connectError || !client) {
        leave()
        return resolve({ connectError })
      }
      if (lifecycle.closed) return client.release(true)
      const query = queryConfig(sql, name, arrays)
      client.query<Row>(query, parameters, (error, result) => {
        leave()
        if (!error) {
          client.release()
          return resolve({ result })
        }
        // destroy the client when the error ended its session, or showed that a statement the driver prepared
        // there cannot be used; otherwise it goes back for reuse
        const refusal = name === undefined ? undefined : preparedStatementRefusal(error)
        client.release(endsSession(error) || refusal !== undefined ? error : undefined)
        if (refusal === undefined) reject(error)
        else resolve({ refusal })
      })
    })
  })
}
