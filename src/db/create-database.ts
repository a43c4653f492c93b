import type { ConnectionOptions } from 'node:tls'
import { type Dialect, Kysely, PostgresDialect } from 'kysely'
import { ConfigError } from '../errors/index.js'
import { type DatabaseTarget, targetOfConnectionString } from '../tracing/database-target.js'
import { type PoolOptions, resolveConnectionOptions } from './connection-options.js'
import { attachToDatabase } from './database-attachments.js'
import { DatabaseLifecycle } from './database-lifecycle.js'
import { checkSchemaName, DEFAULT_SCHEMA } from './database-schema.js'
import { createDirectQuery } from './direct-query.js'
import type { GuardedPool } from './discard-broken-clients.js'
import { GuardedDialect } from './guarded-dialect.js'
import { hostLabelOf, parseHostList } from './host-list.js'
import { createMultiHostPool } from './multi-host-pool.js'
import { createNeonPool, type NeonSettings } from './neon-pool.js'
import { createPgPool, openPgPool } from './pg-pool.js'
import { createQueryReporter, kyselyLog, type QueryLogEvent, type QueryReporter } from './query-reporter.js'
import { rememberSecretsOf } from './redaction.js'
import { resolveReplicaOptions } from './replica-options.js'
import { type ReadConsistency, type ReplicaEndpoint, ReplicaRouter } from './replica-router.js'
import type { RetryOptions } from './retry-policy.js'
import type { Database } from './taskstore-database.js'
import { resolveTls } from './tls-config.js'

export type { PoolOptions } from './connection-options.js'
export type { QueryLogEvent } from './query-reporter.js'
export type { ReadConsistency } from './replica-router.js'
export type { Database } from './taskstore-database.js'

/** Options of {@link createDatabase}. */
export interface DatabaseOptions {
  /**
   * A postgres:// URL. Defaults to `process.env.DATABASE_URL`. With driver
   * `'pg'` it may name several hosts, as libpq does
   * (`postgres://u@h1:5432,h2:5433/db?target_session_attrs=read-write`):
   * each new connection is checked for its role and the first fitting host
   * in order is used. `target_session_attrs` is `read-write` (the default
   * with several hosts), `any`, `read-only`, `primary`, `standby` or
   * `prefer-standby`.
   */
  readonly connectionString?: string
  /** `'pg'` (node-postgres over TCP, default) or `'neon'` (`@neondatabase/serverless` over WebSockets). */
  readonly driver?: 'pg' | 'neon'
  /** Any Kysely dialect, used instead of a connection string (PGlite, pg-mem, a host's own). */
  readonly dialect?: Dialect
  /** The Postgres schema taskstore's tables live in. Default `public`. */
  readonly schema?: string
  readonly pool?: PoolOptions
  readonly retry?: RetryOptions
  /** Node TLS options (a CA certificate, say), merged with what `sslmode` asks for. */
  readonly ssl?: boolean | ConnectionOptions
  /** Settings for the Neon driver (`wsProxy`, `webSocketConstructor`, `useSecureWebSocket`, …). */
  readonly neon?: NeonSettings
  /**
   * Server-side limit for any one statement, in milliseconds, on a direct
   * connection (either driver). Poolers such as PgBouncer refuse it, which is
   * a `ConfigError`: set it on the role instead (`ALTER ROLE … SET statement_timeout`).
   */
  readonly statementTimeoutMs?: number
  /**
   * Receives one event per query. A hook that throws or returns a rejected
   * promise never breaks the query or the process.
   */
  readonly log?: (event: QueryLogEvent) => void
  /**
   * Include bound parameters, and the values in the server's error detail
   * (`Key (email)=(…)`), in log events. Default false: they may hold
   * personal data. Password hashes are never included.
   */
  readonly logParameters?: boolean
  /**
   * Connection strings of read replicas (driver `'pg'`). Store reads made
   * outside a transaction may be served by one; writes, `verifyPassword`,
   * migrations, transactions and a host's own queries go to the primary.
   */
  readonly replicas?: readonly string[]
  /**
   * `'read-your-writes'` (default): a read for a user sees every write for
   * that user made through this database, and never goes back in time;
   * `'primary'`: replicas unused; `'eventual'`: any replica not lagging
   * more than `maxReplicaLagMs`.
   */
  readonly readConsistency?: ReadConsistency
  /** How long a read waits for a replica to catch up before the primary serves it. Default 50 ms. */
  readonly replicaWaitMs?: number
  /** A replica further behind than this is passed over, and tried again later. Default 5,000 ms. */
  readonly maxReplicaLagMs?: number
}

/**
 * Opens a Kysely database for taskstore: node-postgres, the Neon serverless
 * driver, or any Kysely dialect. Drivers are imported only when used, and
 * connecting happens on the first query.
 *
 * Calls still in flight when `db.destroy()` runs settle with a
 * `DatabaseUnavailableError`, as does every call made after it.
 *
 * @throws {ConfigError} when no connection string or dialect is given, or an option is malformed.
 * @example
 * ```ts
 * const db = createDatabase({ connectionString: process.env.DATABASE_URL, schema: 'taskstore' })
 * await migrateToLatest(db)
 * const tasks = createTaskStore(db)
 * ```
 */
export function createDatabase(options: DatabaseOptions = {}): Kysely<Database> {
  const schema = checkSchemaName(options.schema ?? DEFAULT_SCHEMA)
  const settings = resolveConnectionOptions(options)
  if (options.log !== undefined && typeof options.log !== 'function') {
    throw new ConfigError('Invalid log option: pass a function that takes one event, (event) => void.')
  }
  const replicaOptions = resolveReplicaOptions(options)
  const lifecycle = new DatabaseLifecycle()
  const connection = options.dialect ? undefined : connectionDialect(options, settings, lifecycle)
  const report = options.log && createQueryReporter(options.log, options.logParameters === true)
  let router: ReplicaRouter | undefined
  // Only read-your-writes over replicas needs to know where a transaction's commit left the WAL.
  const commits =
    connection && replicaOptions?.consistency === 'read-your-writes'
      ? // the router exists by the time any transaction commits
        { committed: (users: ReadonlySet<string>) => router?.commits.committed(users) }
      : undefined
  const dialect = new GuardedDialect(options.dialect ?? connection!.dialect, settings.retry, lifecycle, commits)
  const db = new Kysely<Database>({ dialect, log: report && kyselyLog(report) }).withSchema(schema)
  // Kysely skips its driver's destroy() when nothing was ever queried, and
  // would then carry on as if never closed: mark the database closed first.
  const destroy = db.destroy.bind(db)
  db.destroy = () => {
    lifecycle.close()
    return destroy()
  }
  if (connection) {
    const primary = createDirectQuery({
      getPool: connection.getPool,
      retry: settings.retry,
      initialize: () => db.connection().execute(async () => {}),
      report,
      lifecycle,
    })
    attachToDatabase(db, { target: connection.target, direct: primary })
    if (replicaOptions) {
      router = new ReplicaRouter({
        primary,
        primaryLabel: hostLabelOf(options.connectionString ?? process.env.DATABASE_URL ?? ''),
        replicas: replicaOptions.replicas.map((url) => replicaEndpoint(url, options, settings, report, lifecycle)),
        consistency: replicaOptions.consistency,
        replicaWaitMs: replicaOptions.replicaWaitMs,
        maxReplicaLagMs: replicaOptions.maxReplicaLagMs,
      })
      attachToDatabase(db, { router })
    }
  }
  return db
}

/**
 * A read replica's own pool, opened on first use and closed with the
 * database. Its reads are not retried: a replica that fails is passed over
 * for the primary at once.
 */
function replicaEndpoint(
  connectionString: string,
  options: DatabaseOptions,
  { pool, statementTimeoutMs }: ReturnType<typeof resolveConnectionOptions>,
  report: QueryReporter | undefined,
  lifecycle: DatabaseLifecycle,
): ReplicaEndpoint {
  rememberSecretsOf(connectionString)
  const tls = resolveTls(connectionString, options.ssl)
  let opened: Promise<GuardedPool> | undefined
  const getPool = () =>
    (opened ??= createPgPool({ tls, pool, statementTimeoutMs }).then((guarded) => {
      lifecycle.onClose(() => {
        guarded.abortCheckedOut()
        guarded.end().catch(() => {})
      })
      return guarded
    }))
  return {
    label: hostLabelOf(connectionString),
    target: targetOfConnectionString(connectionString),
    query: createDirectQuery({
      getPool,
      retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
      initialize: async () => {},
      report,
      lifecycle,
    }),
  }
}

/** A dialect over a pool made on first use, and access to that same pool. */
interface PooledDialect {
  readonly dialect: Dialect
  readonly getPool: () => Promise<GuardedPool>
  /** Where it connects, for tracing. */
  readonly target: DatabaseTarget
}

function connectionDialect(
  options: DatabaseOptions,
  { pool, statementTimeoutMs }: ReturnType<typeof resolveConnectionOptions>,
  lifecycle: DatabaseLifecycle,
): PooledDialect {
  const connectionString = options.connectionString ?? process.env.DATABASE_URL
  if (!connectionString) {
    throw new ConfigError(
      'No database configured: set the DATABASE_URL environment variable or pass connectionString (or a dialect) to createDatabase.',
    )
  }
  rememberSecretsOf(connectionString)
  const driver = options.driver ?? 'pg'
  if (driver !== 'pg' && driver !== 'neon') {
    throw new ConfigError(`Unknown driver "${String(driver)}": use 'pg' or 'neon'.`)
  }
  const createPool = poolFactory(connectionString, driver, options, { pool, statementTimeoutMs })
  let opened: Promise<GuardedPool> | undefined
  const getPool = () =>
    (opened ??= createPool().then((guarded) => {
      // Hand back the clients of calls in flight, so the pool can end without waiting for them.
      lifecycle.onClose(() => guarded.abortCheckedOut())
      return guarded
    }))
  return {
    dialect: new PostgresDialect({ pool: getPool }),
    getPool,
    target: targetOfConnectionString(connectionString),
  }
}

/**
 * How to open the pool for a connection string: one server, or, when it
 * names several hosts or `target_session_attrs`, one pool per host behind
 * a pool that picks the server (driver `'pg'` only). TLS is decided for
 * every host now, so a malformed setting fails here rather than at first use.
 */
function poolFactory(
  connectionString: string,
  driver: 'pg' | 'neon',
  options: DatabaseOptions,
  { pool, statementTimeoutMs }: Pick<ReturnType<typeof resolveConnectionOptions>, 'pool' | 'statementTimeoutMs'>,
): () => Promise<GuardedPool> {
  const hostList = parseHostList(connectionString)
  if (hostList === null) {
    const settings = { tls: resolveTls(connectionString, options.ssl), pool, statementTimeoutMs }
    return driver === 'neon'
      ? () => createNeonPool({ ...settings, neon: options.neon ?? {} })
      : () => createPgPool(settings)
  }
  if (driver !== 'pg') {
    throw new ConfigError(
      "A connection string naming several hosts or target_session_attrs needs driver 'pg': the Neon driver reaches one endpoint (give Neon read replicas as their own connection strings).",
    )
  }
  const hostSettings = new Map(
    hostList.hosts.map((host) => [
      host,
      { tls: resolveTls(host.connectionString, options.ssl), pool, statementTimeoutMs },
    ]),
  )
  return () => createMultiHostPool(hostList, (host, afterConnect) => openPgPool(hostSettings.get(host)!, afterConnect))
}
