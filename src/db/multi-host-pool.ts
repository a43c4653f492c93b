import { findRefusedLogin } from './connection-failure.js'
import {
  type CheckoutCallback,
  type DriverClient,
  type DriverPool,
  discardBrokenClients,
  type GuardedPool,
} from './discard-broken-clients.js'
import type { HostList, NamedHost, TargetSessionAttrs } from './host-list.js'
import type { PgPool } from './pg-pool.js'

/** What a new connection said about its server. */
export interface ServerRole {
  /** `pg_is_in_recovery()`: a standby. */
  readonly standby: boolean
  /** `transaction_read_only` as a new session sees it. */
  readonly readOnly: boolean
}

/** Opens the driver's pool for one host; `afterConnect` runs on each new connection. */
export type OpenHostPool = (host: NamedHost, afterConnect: (client: any) => Promise<void>) => Promise<PgPool>

// A host that failed or had the wrong role is tried after the others for this long.
const AVOID_MS = 5_000
// SQLSTATE 08001, sqlclient_unable_to_establish_sqlconnection: what libpq reports when no host fits.
const NO_SUITABLE_HOST = '08001'

const ACCEPTS: Record<Exclude<TargetSessionAttrs, 'prefer-standby'>, (role: ServerRole) => boolean> = {
  any: () => true,
  'read-write': (role) => !role.readOnly,
  'read-only': (role) => role.readOnly,
  primary: (role) => !role.standby,
  standby: (role) => role.standby,
}

/**
 * A pool over every host of a multi-host connection string, choosing the
 * server as libpq does with `target_session_attrs`: each new connection's
 * role is read (`pg_is_in_recovery()`, `transaction_read_only`), a
 * connection to a server of the wrong role is closed and the next host is
 * tried, in the order written (`prefer-standby`: any standby, else any
 * server). A host that failed or had the wrong role moves behind the others
 * for a few seconds, so checkouts do not keep paying for it; it is still
 * tried when no other host fits. One driver pool per host, each up to
 * `pool.max`; only hosts that fit keep connections.
 *
 * When no host fits, the error carries SQLSTATE 08001 and each host's
 * failure, and is retried like a refused connection, so after a failover
 * the pool reaches the new primary within the retry budget.
 */
export async function createMultiHostPool(list: HostList, openHostPool: OpenHostPool): Promise<GuardedPool> {
  const roles = new WeakMap<object, ServerRole>()
  const learnRole = async (client: {
    query(text: string): Promise<{ rows: Array<{ standby: boolean; read_only: string }> }>
  }) => {
    const { rows } = await client.query(
      `select pg_is_in_recovery() as standby, current_setting('transaction_read_only') as read_only`,
    )
    roles.set(client, { standby: rows[0]!.standby, readOnly: rows[0]!.read_only === 'on' })
  }
  const pools = await Promise.all(list.hosts.map((host) => openHostPool(host, learnRole)))
  const avoidUntil = list.hosts.map(() => 0)
  const passes: Array<(role: ServerRole) => boolean> =
    list.target === 'prefer-standby' ? [ACCEPTS.standby, ACCEPTS.any] : [ACCEPTS[list.target]]

  const acquire = async (): Promise<DriverClient> => {
    const now = Date.now()
    const indexes = list.hosts.map((_, index) => index)
    const fresh = indexes.filter((index) => avoidUntil[index]! <= now)
    const avoided = indexes.filter((index) => avoidUntil[index]! > now)
    const failures: Error[] = []
    for (const group of [fresh, avoided]) {
      for (const [pass, accepts] of passes.entries()) {
        for (const index of group) {
          const host = list.hosts[index]!
          const pool = pools[index]!
          let client: DriverClient
          try {
            client = await pool.connect()
          } catch (error) {
            // a refused login is configuration, and a pool full of busy connections is load: no other host fixes either
            if (findRefusedLogin(error) !== undefined || isFull(pool)) throw error
            avoidUntil[index] = Date.now() + AVOID_MS
            failures.push(new Error(`${host.label}: ${messageOf(error)}`, { cause: error }))
            continue
          }
          const role = roles.get(client)
          if (role && accepts(role)) return client
          if (role && passes.slice(pass + 1).some((later) => later(role))) {
            // prefer-standby: no standby yet, and a later pass takes this server; keep the connection
            client.release()
            continue
          }
          client.release(true)
          avoidUntil[index] = Date.now() + AVOID_MS
          failures.push(new Error(`${host.label} is ${describeRole(role)}`))
        }
      }
    }
    throw noSuitableHost(list, failures)
  }

  function connect(): Promise<DriverClient>
  function connect(callback: CheckoutCallback): void
  function connect(callback?: CheckoutCallback): Promise<DriverClient> | undefined {
    if (!callback) return acquire()
    acquire().then(
      (client) => callback(undefined, client),
      (error: Error) => callback(error, undefined),
    )
  }

  const facade: DriverPool = {
    Client: pools[0]!.Client,
    options: pools[0]!.options,
    connect,
    end: async () => {
      await Promise.all(pools.map((pool) => pool.end()))
    },
  }
  return discardBrokenClients(facade)
}

function isFull(pool: PgPool): boolean {
  return pool.totalCount !== undefined && pool.totalCount >= (pool.options.max ?? 10)
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function describeRole(role: ServerRole | undefined): string {
  if (!role) return 'of unknown role'
  if (role.standby) return 'a standby'
  return role.readOnly ? 'a read-only primary' : 'a read-write primary'
}

function noSuitableHost(list: HostList, failures: Error[]): AggregateError {
  const error = new AggregateError(
    failures,
    `No server in the connection string accepts ${list.target} sessions (target_session_attrs): ${failures
      .map((failure) => failure.message)
      .join('; ')}`,
  )
  return Object.assign(error, { code: NO_SUITABLE_HOST })
}
