import type { PostgresClientConstructor, PostgresPool, PostgresPoolClient } from 'kysely'
import { isTransientConnectionFailure } from './connection-failure.js'

/** The parts of a node-postgres (or Neon) pool and client used here. */
interface DriverPool {
  connect(): Promise<DriverClient>
  connect(callback: (error: Error | undefined, client: DriverClient) => void): void
  end(): Promise<void>
  // Kysely opens control connections (to cancel a query) with these.
  readonly Client?: PostgresClientConstructor
  readonly options: object
}
export interface DriverClient extends PostgresPoolClient {
  release(error?: Error | boolean): void
  on(event: 'error', listener: (error: Error) => void): unknown
  // node-postgres's own state flags; pg-pool reads them the same way.
  readonly _ending?: boolean
  readonly _ended?: boolean
  readonly _queryable?: boolean
}

/** The pool Kysely gets, and the driver's own pool behind it for the stores' direct path. */
export interface GuardedPool extends PostgresPool {
  readonly driverPool: {
    connect(callback: (error: Error | undefined, client: DriverClient) => void): void
  }
}

const MAX_DEAD_CLIENTS_SKIPPED = 10

/** True when the client's connection has ended: it must not be handed a statement. */
export function isDead(client: DriverClient): boolean {
  return client._ended === true || client._ending === true || client._queryable === false
}

/** True when an error ended the server session: the client must not be reused. */
export function endsSession(error: unknown): boolean {
  return (error as { severity?: unknown } | null)?.severity === 'FATAL' || isTransientConnectionFailure(error)
}

/**
 * Wraps a pool so a client whose connection died is never handed out again.
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

  return {
    driverPool: pool,
    Client: pool.Client,
    options: pool.options,
    async connect() {
      for (let skipped = 0; ; skipped++) {
        const client = await pool.connect()
        if (isDead(client) && skipped < MAX_DEAD_CLIENTS_SKIPPED) {
          client.release(true)
          continue
        }
        watch(client)
        // pg-pool sets a fresh release function on every checkout. Kysely passes
        // `false` when it has no reason of its own to discard the client.
        const release = client.release.bind(client)
        client.release = (error?: Error | boolean) => release(error || broken.has(client) || isDead(client))
        return client
      }
    },
    end: () => pool.end(),
  }
}
