import { type Dialect, Kysely, PostgresDialect } from 'kysely'
import { ConfigError } from '../errors/index.js'
import { type DatabaseTarget, targetOfConnectionString } from '../tracing/database-target.js'
import { resolveConnectionOptions } from './connection-options.js'
import { attachToDatabase } from './database-attachments.js'
import { DatabaseLifecycle } from './database-lifecycle.js'
import type { DatabaseOptions } from './database-options.js'
import { checkSchemaName, DEFAULT_SCHEMA } from './database-schema.js'
import { createDirectQuery } from './direct-query.js'
import type { GuardedPool } from './discard-broken-clients.js'
import { GuardedDialect } from './guarded-dialect.js'
import { hostLabelOf, parseHostList } from './host-list.js'
import { createMultiHostPool } from './multi-host-pool.js'
import { createNeonPool } from './neon-pool.js'
import { createPgPool, openPgPool } from './pg-pool.js'
import { createQueryReporter, kyselyLog, type QueryReporter } from './query-reporter.js'
import { rememberSecretsOf } from './redaction.js'
import { resolveReplicaOptions } from './replica-options.js'
import { type ReplicaEndpoint, ReplicaRouter } from './replica-router.js'
import type { Database } from './taskstore-database.js'
import { resolveTls } from './tls-config.js'

export type { PoolOptions } from './connection-options.js'
export type { DatabaseOptions } from './database-options.js'
export type { QueryLogEvent } from './query-reporter.js'
export type { ReadConsistency } from './replica-router.js'
export type { Database } from './taskstore-database.js'

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
      prepare: settings.preparedStatements,
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
  { pool, statementTimeoutMs, preparedStatements }: ReturnType<typeof resolveConnectionOptions>,
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
      prepare: preparedStatements,
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
