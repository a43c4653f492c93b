import type { ConnectionOptions } from 'node:tls'
import type { Dialect } from 'kysely'
import type { PoolOptions } from './connection-options.js'
import type { NeonSettings } from './neon-pool.js'
import type { QueryLogEvent } from './query-reporter.js'
import type { ReadConsistency } from './replica-router.js'
import type { RetryOptions } from './retry-policy.js'

/** Options of `createDatabase`. */
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
   * Prepare each store statement whose plan does not depend on its values
   * (reads and writes of one task or user, counts, a user's listings, and
   * a search's reads in order) once per connection, and then send only its
   * values: the server skips parsing it, and after five calls planning it
   * too. A search's lookup of a rare term's matches is never prepared:
   * planned for any user, it reads most of a large user's tasks.
   * `listAllTasks` is not prepared either. Applies outside
   * transactions, on the primary and on replicas, with either driver.
   * Default true; `false` sends every statement unnamed, parsed and planned
   * on every call. It gains nothing behind a transaction-pooling PgBouncer
   * older than 1.21 or without `max_prepared_statements`, which hands each
   * transaction any server connection, so a statement prepared on one is
   * missing on the next: the first time the server refuses a prepared
   * statement for that reason (SQLSTATE `26000` or `42P05`, raised before
   * it ran), the statement is sent again unprepared, and that connection
   * pool prepares nothing more (as it does after a `DEALLOCATE ALL` or
   * `DISCARD ALL` on one of its connections). A statement prepared before
   * a column it returns changed type (`0A000`, "cached plan must not
   * change result type") is sent again unprepared too, and its connection
   * replaced. A refused statement did not run, so the caller sees neither.
   */
  readonly preparedStatements?: boolean
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
