import type { DialectAdapter, Kysely } from 'kysely'
import { ConfigError } from '../errors/index.js'

/**
 * What a database does as Postgres does. A dialect whose database lacks a
 * feature says so on its adapter ({@link DATABASE_CAPABILITIES}), and the
 * package then does that part in its own code; each branch names the
 * feature it works around. Postgres, PGlite and Neon have them all.
 */
export interface DatabaseCapabilities {
  /** Triggers: `updated_at` and the task count deltas are kept by the database. */
  readonly triggers: boolean
  /** Advisory locks, which serialise migration runs. */
  readonly advisoryLocks: boolean
  /** `pg_catalog` lists schemas and tables. */
  readonly catalog: boolean
  /** `SET TRANSACTION ISOLATION LEVEL` is understood. */
  readonly isolationLevels: boolean
  /** Row comparisons, `(a, b) < (x, y)`, answered right. */
  readonly rowComparison: boolean
  /** LIKE with an escape character, so `%` and `_` can be matched literally. */
  readonly likeEscape: boolean
  /** `timestamptz` from 4713 BC, and `±infinity`. */
  readonly fullTimestampRange: boolean
  /** `CREATE EXTENSION` (for the search's trigram index), where the server ships the extension. */
  readonly extensions: boolean
  /** Ordered, limited subqueries merged by `UNION ALL` and ordered again, as the listings read. */
  readonly orderedSubqueries: boolean
}

/** Everything, as on Postgres: what a dialect that says nothing gets. */
export const POSTGRES_CAPABILITIES: DatabaseCapabilities = {
  triggers: true,
  advisoryLocks: true,
  catalog: true,
  isolationLevels: true,
  rowComparison: true,
  likeEscape: true,
  fullTimestampRange: true,
  extensions: true,
  orderedSubqueries: true,
}

/** The adapter property a dialect sets to its {@link DatabaseCapabilities}. */
export const DATABASE_CAPABILITIES = Symbol.for('taskstore.databaseCapabilities')

// By adapter, which a database, its copies and its transactions share.
const SPEAKS_POSTGRES = new WeakMap<object, boolean>()

/** True when `db` compiles SQL as Postgres reads it: double-quoted names, `$1` parameters. */
function speaksPostgres(db: Kysely<any>): boolean {
  const { adapter } = db.getExecutor()
  let speaks = SPEAKS_POSTGRES.get(adapter)
  if (speaks === undefined) {
    const { sql } = db.selectFrom('taskstore_dialect_probe').select('probe').where('probe', '=', 0).compile()
    speaks = sql.includes('"probe"') && sql.endsWith('= $1')
    SPEAKS_POSTGRES.set(adapter, speaks)
  }
  return speaks
}

/**
 * The capabilities of the database `db` runs on, as its dialect's adapter declares them.
 *
 * @throws {ConfigError} when `db`'s dialect writes SQL for another database than Postgres (MySQL, SQLite, …).
 * @example
 * ```ts
 * if (!capabilitiesOf(db).triggers) console.log('updated_at is set by the stores')
 * ```
 */
export function capabilitiesOf(db: Kysely<any>): DatabaseCapabilities {
  const adapter: DialectAdapter & { readonly [DATABASE_CAPABILITIES]?: DatabaseCapabilities } = db.getExecutor().adapter
  if (!speaksPostgres(db)) {
    throw new ConfigError(
      `taskstore runs on PostgreSQL (a server, Neon, PGlite or pg-mem), and this Kysely instance's dialect (${adapter.constructor.name}) writes SQL for another database: give it a PostgreSQL dialect.`,
    )
  }
  return adapter[DATABASE_CAPABILITIES] ?? POSTGRES_CAPABILITIES
}
