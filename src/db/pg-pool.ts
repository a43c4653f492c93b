import { discardBrokenClients, type GuardedPool } from './discard-broken-clients.js'
import { requireIsoDateStyle, watchDateStyle } from './iso-date-style.js'
import { importPeer, type PoolSettings } from './pool-settings.js'
import { withFastTimestamps } from './timestamp-parser.js'
import { translateError } from './translate-error.js'

/** Opens a node-postgres pool; `pg` is imported here, on first use, and nowhere else. */
export async function createPgPool(settings: PoolSettings): Promise<GuardedPool> {
  return discardBrokenClients(await openPgPool(settings))
}

/** What {@link openPgPool} returns: node-postgres's own pool. */
export type PgPool = Parameters<typeof discardBrokenClients>[0]

/**
 * Opens node-postgres's pool for one server. `afterConnect` runs on each
 * new connection once its DateStyle is checked (to learn its role, say);
 * if it rejects, the connection is closed and the checkout fails.
 */
export async function openPgPool(
  { tls, pool, statementTimeoutMs }: PoolSettings,
  afterConnect?: (client: any) => Promise<void>,
): Promise<PgPool> {
  const pg = await importPeer('pg', () => import('pg'))
  // The ESM build imports pg's CommonJS exports as `default`; the CommonJS build gets them directly.
  const { Client, Pool, types } = pg.default ?? pg

  class DateStyleWatchingClient extends Client {
    constructor(config?: ConstructorParameters<typeof Client>[0]) {
      super(config)
      watchDateStyle(this)
    }
  }

  const instance = new Pool({
    connectionString: tls.connectionString,
    ssl: tls.ssl,
    types: withFastTimestamps(types),
    Client: DateStyleWatchingClient,
    // a connection whose DateStyle is not ISO is refused with a ConfigError saying how to fix it
    onConnect: async (client) => {
      requireIsoDateStyle(client)
      await afterConnect?.(client)
    },
    max: pool.max,
    idleTimeoutMillis: pool.idleTimeoutMillis,
    connectionTimeoutMillis: pool.connectionTimeoutMillis,
    ...(statementTimeoutMs === undefined ? {} : { statement_timeout: statementTimeoutMs }),
  })
  // An idle client whose server went away emits 'error'; unheard, that would
  // crash the host. The pool drops the client and the next query reconnects.
  instance.on('error', () => {})
  listenForClientErrors(instance)
  explainRejectedParameters(instance, tls.rejectionHint)
  return instance
}

/**
 * A client that is checked out (inside a transaction, say) has no pool
 * listener for 'error'; when its server goes away it emits one, which would
 * crash the host. The failure still reaches the query through its promise,
 * and the pool discards the broken client when it is released.
 */
export function listenForClientErrors(pool: { on(event: 'connect', listener: (client: any) => void): unknown }) {
  pool.on('connect', (client: { on(event: 'error', listener: () => void): unknown }) => {
    client.on('error', () => {})
  })
}

/**
 * Makes a pool's `connect` raise a `ConfigError` saying what to change when
 * a pooler refuses a startup parameter (`statement_timeout` through
 * PgBouncer), instead of a connection error that looks like an outage; and,
 * given a hint, adds it to the error of a rejected certificate.
 */
export function explainRejectedParameters(
  pool: { connect(...args: unknown[]): unknown },
  certificateHint: string | null = null,
): void {
  const connect = pool.connect.bind(pool)
  pool.connect = (...args: unknown[]) => {
    // The callback form (pool.query uses it) passes through untouched.
    if (args.length > 0) return connect(...args)
    return (connect() as Promise<unknown>).catch((error: unknown) => {
      throw translateError(error, { at: 'pool-connect', certificateHint })
    })
  }
}
