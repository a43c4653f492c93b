import type {
  PostgresClientConstructor,
  PostgresCursor,
  PostgresPool,
  PostgresPoolClient,
  PostgresQueryResult,
} from 'kysely'
import { isTransientConnectionFailure } from './connection-failure.js'
import { translateError } from './translate-error.js'

/** How the driver hands over a pooled client: without one when `error` is set. */
export type CheckoutCallback = (error: Error | undefined, client: DriverClient | undefined) => void

/** The parts of a node-postgres (or Neon) pool and client used here. */
export interface DriverPool {
  connect(): Promise<DriverClient>
  connect(callback: CheckoutCallback): void
  end(): Promise<void>
  // Kysely opens control connections (to cancel a query) with these.
  readonly Client?: PostgresClientConstructor
  readonly options: { readonly max?: number; readonly connectionTimeoutMillis?: number }
  /** How many clients the pool holds, idle or checked out (node-postgres's count). */
  readonly totalCount?: number
}

/** A statement's result as the driver's callback gets it. */
export interface DriverResult<Row> {
  readonly command: string
  /** The result's columns, in order. */
  readonly fields?: ReadonlyArray<{ readonly name: string }>
  readonly rowCount: number | null
  readonly rows: Row[]
}

export interface DriverClient extends PostgresPoolClient {
  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>
  // The callback form, which returns the client the moment the result arrives (the stores' direct path); a
  // named statement is prepared on the connection the first time it is sent there.
  query<R>(
    sql: string | { readonly name?: string; readonly text: string; readonly rowMode?: 'array' },
    parameters: ReadonlyArray<unknown>,
    callback: (error: Error | undefined, result: DriverResult<R>) => void,
  ): void
  release(error?: Error | boolean): void
  on(event: 'error', listener: (error: Error) => void): unknown
  // node-postgres's own state flags; pg-pool reads them the same way.
  readonly _ending?: boolean
  readonly _ended?: boolean
  readonly _queryable?: boolean
}

/** The pool Kysely gets, with a callback checkout for the stores' direct path. */
export interface GuardedPool extends PostgresPool {
  /** The driver's own pool behind this one. */
  readonly driverPool: {
    connect(callback: CheckoutCallback): void
  }
  /**
   * Checks a client out the way `pool.query` does, in a callback. The
   * client's `release` may be called more than once; only the first counts.
   */
  checkout(callback: (error: unknown, client?: DriverClient) => void): void
  /**
   * Ends the session of every client checked out now (the server rolls back
   * an open transaction) and takes it from the pool, so `end()` need not
   * wait for callers that may never give it back.
   */
  abortCheckedOut(): void
}

const MAX_DEAD_CLIENTS_SKIPPED = 10

/** True when the client's connection has ended: it must not be handed a statement. */
export function isDead(client: DriverClient): boolean {
  return client._ended === true || client._ending === true || client._queryable === false
}

// read_only_sql_transaction: the server became read-only (a primary turned standby), so its connections are no use for writes.
const READ_ONLY_SERVER = '25006'

/**
 * True when an error ended the server session, or showed the server can no
 * longer take writes: the client must not be reused.
 */
export function endsSession(error: unknown): boolean {
  const failure = error as { severity?: unknown; code?: unknown } | null
  return failure?.severity === 'FATAL' || failure?.code === READ_ONLY_SERVER || isTransientConnectionFailure(error)
}

/**
 * Wraps a pool so a client whose connection died is never handed out again,
 * every client checked out is known, and a wait for a connection that timed
 * out because every connection was busy says the pool is exhausted.
 *
 * node-postgres returns a client to the pool when its query failed; if the
 * server ended the session (a FATAL error, a reset) and the socket's end has
 * not been processed yet, the next query gets that dead client and fails
 * too, without having run. Here a client whose query failed that way is
 * destroyed on release, and a client found dead when taken from the pool is
 * discarded before any statement is sent to it.
 */
export function discardBrokenClients(pool: DriverPool): GuardedPool {
  const broken = new WeakSet<DriverClient>()
  const watched = new WeakSet<DriverClient>()
  // Each checked-out client and the release that gives it back.
  const checkedOut = new Map<DriverClient, (discard: boolean) => void>()

  const watch = (client: DriverClient) => {
    if (watched.has(client)) return
    watched.add(client)
    // pg-pool listens for errors only while a client is idle. A checked-out
    // client whose server goes away between statements emits 'error' too,
    // and an unheard 'error' event would crash the host process.
    client.on('error', () => broken.add(client))
    const query = client.query.bind(client) as (...args: unknown[]) => unknown
    ;(client as { query: unknown }).query = (...args: unknown[]) => {
      const result = query(...args)
      if (result instanceof Promise) {
        result.catch((error: unknown) => {
          if (endsSession(error)) broken.add(client)
        })
      }
      return result
    }
  }

  // pg-pool sets a fresh release function on every checkout; this one
  // counts the client back and may be called again (closing the database
  // releases a client its caller will release too).
  const lend = (client: DriverClient): DriverClient => {
    watch(client)
    const release = client.release.bind(client)
    let returned = false
    const giveBack = (discard: boolean) => {
      if (returned) return
      returned = true
      checkedOut.delete(client)
      release(discard || broken.has(client) || isDead(client))
    }
    checkedOut.set(client, giveBack)
    // Kysely passes `false` when it has no reason of its own to discard the client.
    client.release = (error?: Error | boolean) => giveBack(Boolean(error))
    return client
  }

  // A wait that timed out while every connection was lent out: the pool is
  // too small for the load, not the server slow, so retrying would not help.
  const explainTimeout = (error: unknown): unknown =>
    translateError(error, {
      at: 'pool-wait',
      max: pool.options.max ?? 10,
      timeoutMs: pool.options.connectionTimeoutMillis ?? 0,
      inUse: checkedOut.size,
    })

  return {
    driverPool: pool,
    Client: pool.Client,
    options: pool.options,
    async connect() {
      for (let skipped = 0; ; skipped++) {
        let client: DriverClient
        try {
          client = await pool.connect()
        } catch (error) {
          throw explainTimeout(error)
        }
        if (isDead(client) && skipped < MAX_DEAD_CLIENTS_SKIPPED) {
          client.release(true)
          continue
        }
        return lend(client)
      }
    },
    checkout(callback) {
      let skipped = 0
      const attempt = () =>
        pool.connect((error, client) => {
          if (error || client === undefined) return callback(explainTimeout(error))
          // a client whose server went away while idle: discard it before sending anything
          if (isDead(client)) {
            client.release(true)
            return skipped++ < MAX_DEAD_CLIENTS_SKIPPED ? attempt() : callback(new Error('Connection terminated'))
          }
          callback(undefined, lend(client))
        })
      attempt()
    },
    abortCheckedOut() {
      for (const giveBack of [...checkedOut.values()]) giveBack(true)
    },
    end: () => pool.end(),
  }
}
