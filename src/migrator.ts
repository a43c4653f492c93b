import type { Attributes } from '@opentelemetry/api'
import { type Kysely, sql, type Transaction } from 'kysely'
import { MIGRATIONS, type MigrationContext, type TaskstoreMigration } from '../migrations/index.js'
import { capabilitiesOf, type DatabaseCapabilities } from './db/database-capabilities.js'
import { checkSchemaName, SCHEMA_NAME, schemaOf } from './db/database-schema.js'
import { translateError } from './db/translate-error.js'
import { MigrationError } from './errors/index.js'
import { QuerySpanPlugin } from './tracing/query-span-plugin.js'
import { databaseAttributes, withCallSpan } from './tracing/tracing.js'

// Kysely's Migrator layout, so the tables read the same to anyone who knows it;
// in the store's own schema, so they never meet a host's kysely_migration.
const MIGRATION_TABLE = 'taskstore_migration'
const MIGRATION_LOCK_TABLE = 'taskstore_migration_lock'
const LOCK_ROW_ID = 'migration_lock'

/** Steps in order, each under the name recorded in the migration table. */
export type MigrationList = ReadonlyArray<readonly [name: string, migration: TaskstoreMigration]>

/** Options of the migrate functions. */
export interface MigrateOptions {
  /**
   * The schema to migrate. Defaults to the one `db` is scoped to (`createDatabase`'s
   * `schema` option, or a later `withSchema`), else `public`.
   */
  readonly schema?: string
}

/** One migration and when it ran; `executedAt` is null while it is pending. */
export interface MigrationState {
  readonly name: string
  readonly executedAt: Date | null
}

/** What a migrate call did: the steps it ran, in order. */
export interface MigrationRun {
  readonly applied: readonly string[]
}

/**
 * Applies every pending migration, creating the schema when missing. Safe
 * to call from many processes at once: one applies, the others wait and
 * find nothing to do. A failing step rolls back the whole run. Given a
 * transaction (`db.transaction().execute(trx => migrateToLatest(trx))`),
 * the run becomes part of it.
 *
 * @throws {MigrationError} naming the step that failed.
 * @throws {DatabaseUnavailableError} when the database cannot be reached.
 * @throws {ConfigError} when the schema is not a plain lower-case identifier (before any SQL), when the server refuses the login, or the database does not exist.
 * @example
 * ```ts
 * const { applied } = await migrateToLatest(db)
 * console.log(applied) // ['0001_create_users', '0002_create_tasks', …] the first time, [] after
 * ```
 */
export async function migrateToLatest<DB>(
  db: Kysely<DB> | Transaction<DB>,
  options: MigrateOptions = {},
): Promise<MigrationRun> {
  return tracedRun(db, 'latest', options)
}

/**
 * Undoes the most recent migration (one step).
 *
 * @throws {MigrationError} naming the step that failed.
 * @throws {DatabaseUnavailableError} when the database cannot be reached.
 * @throws {ConfigError} when the schema is not a plain lower-case identifier (before any SQL), when the server refuses the login, or the database does not exist.
 * @example
 * ```ts
 * const { applied } = await migrateDown(db)
 * console.log(applied) // the one step it undid, the most recent; [] when none had run
 * ```
 */
export async function migrateDown<DB>(
  db: Kysely<DB> | Transaction<DB>,
  options: MigrateOptions = {},
): Promise<MigrationRun> {
  return tracedRun(db, 'down', options)
}

/**
 * Lists every migration the package ships, with when it ran or `null`.
 *
 * @throws {DatabaseUnavailableError} when the database cannot be reached.
 * @throws {ConfigError} when the schema is not a plain lower-case identifier (before any SQL), when the server refuses the login, or the database does not exist.
 * @example
 * ```ts
 * for (const { name, executedAt } of await migrationStatus(db)) {
 *   console.log(name, executedAt?.toISOString() ?? 'pending')
 * }
 * ```
 */
export async function migrationStatus<DB>(
  db: Kysely<DB> | Transaction<DB>,
  options: MigrateOptions = {},
): Promise<MigrationState[]> {
  return withCallSpan('taskstore.migrationStatus', migrationAttributes(db, options), () => readStatus(db, options))
}

async function readStatus(db: Kysely<any>, options: MigrateOptions): Promise<MigrationState[]> {
  const schema = resolveSchema(db, options)
  const base = db.withoutPlugins()
  try {
    const tables = await tablesOf(base, schema, capabilitiesOf(db))
    const executed = tables.has(MIGRATION_TABLE) ? await executedMigrations(base, schema) : []
    const ranAt = new Map(executed.map((row) => [row.name, row.executedAt]))
    return MIGRATIONS.map(([name]) => ({ name, executedAt: ranAt.get(name) ?? null }))
  } catch (error) {
    throw translateError(error, { at: 'migration', step: null, summary: 'Could not read the migration status' })
  }
}

/** Which way a run goes: every pending step up, or the latest step down. */
export type MigrationDirection = 'latest' | 'down'

// The span of each public migrate call, named after the function.
const RUN_SPANS: Readonly<Record<MigrationDirection, string>> = {
  latest: 'taskstore.migrateToLatest',
  down: 'taskstore.migrateDown',
}

/** A public migrate call: the package's own steps, run under the call's span. */
function tracedRun(db: Kysely<any>, direction: MigrationDirection, options: MigrateOptions): Promise<MigrationRun> {
  return withCallSpan(RUN_SPANS[direction], migrationAttributes(db, options), () =>
    runMigrations(db, direction, options),
  )
}

/**
 * Runs a list of steps (the package's own by default) in one transaction,
 * behind a transaction-scoped advisory lock keyed on the schema. The public
 * functions are thin calls of this; tests pass their own list.
 *
 * @internal
 * @throws {MigrationError} naming the step that failed; on Postgres nothing of the run is left behind.
 * @example
 * ```ts
 * await runMigrations(db, 'latest', { schema: 'taskstore' }, MIGRATIONS)
 * ```
 */
export async function runMigrations(
  db: Kysely<any>,
  direction: MigrationDirection,
  options: MigrateOptions = {},
  migrations: MigrationList = MIGRATIONS,
): Promise<MigrationRun> {
  const schema = resolveSchema(db, options)
  const can = capabilitiesOf(db)
  const context: MigrationContext = {
    schema,
    supportsTriggers: can.triggers,
    supportsExtensions: can.extensions,
    readsListingRanges: can.orderedSubqueries,
  }
  let running: string | null = null
  const querySpans = new QuerySpanPlugin(db.withoutPlugins(), schema)
  try {
    // Without the host's plugins: every statement here names its schema itself.
    const base = db.withoutPlugins().withPlugin(querySpans)
    const run = async (trx: Kysely<any>): Promise<MigrationRun> => {
      // Held until commit or rollback and released by the server with the
      // transaction, on the one connection the transaction runs on: safe
      // behind a transaction-pooling PgBouncer, and never left behind.
      // pg-mem has no locks (and has one connection).
      if (can.advisoryLocks) {
        await sql`select pg_advisory_xact_lock(hashtext(${MIGRATION_TABLE}), hashtext(${schema}))`.execute(trx)
      }
      // Undoing in a schema taskstore never migrated changes nothing, not even by creating it.
      if (direction === 'down' && !(await tablesOf(trx, schema, can)).has(MIGRATION_TABLE)) return { applied: [] }
      await ensureMigrationTables(trx, schema, can)
      const executed = await executedMigrations(trx, schema)
      const done = checkExecutedPrefix(executed, migrations, schema)
      const scoped = trx.withSchema(schema)
      const applied: string[] = []
      if (direction === 'latest') {
        let lastRunAt = Math.max(0, ...executed.map((row) => row.executedAt.getTime()))
        for (const [name, step] of migrations.slice(done)) {
          running = name
          await withCallSpan('taskstore.migration', { 'taskstore.migration.name': name }, () =>
            step.up(scoped, context),
          )
          // Strictly increasing, like Kysely's Migrator, so the order survives a clock step back.
          lastRunAt = Math.max(Date.now(), lastRunAt + 1)
          await scoped
            .insertInto(MIGRATION_TABLE)
            .values({ name, timestamp: new Date(lastRunAt).toISOString() })
            .execute()
          applied.push(name)
        }
      } else if (done > 0) {
        const [name, step] = migrations[done - 1]!
        running = name
        await withCallSpan('taskstore.migration', { 'taskstore.migration.name': name }, () =>
          step.down(scoped, context),
        )
        await scoped.deleteFrom(MIGRATION_TABLE).where('name', '=', name).execute()
        applied.push(name)
      }
      running = null
      return { applied }
    }
    // Inside a host's transaction the run is part of it, and commits or rolls back with it.
    if (base.isTransaction) return await run(base)
    // Read committed whatever the server's default: a process that waited for
    // the lock must see what the one before it committed. pg-mem cannot parse it.
    const transaction = can.isolationLevels
      ? base.transaction().setIsolationLevel('read committed')
      : base.transaction()
    return await transaction.execute(run)
  } catch (error) {
    querySpans.failPending(error)
    throw translateError(error, {
      at: 'migration',
      step: running,
      summary: running ? `Migration ${running} failed` : 'Migrating failed',
    })
  }
}

/** The attributes of a migration run's span, naming the schema it migrates when that name is valid. */
function migrationAttributes(db: Kysely<any>, options: MigrateOptions): Attributes {
  const schema = options.schema !== undefined && SCHEMA_NAME.test(options.schema) ? options.schema : undefined
  return databaseAttributes(db, schema)
}

function resolveSchema(db: Kysely<any>, options: MigrateOptions): string {
  return checkSchemaName(options.schema ?? schemaOf(db))
}

/**
 * The names of the tables in one schema. Asks the catalog about that schema
 * only: Kysely's introspector reads every table of the database, which is
 * slow in a big one and fails while another session drops a schema.
 */
async function tablesOf(db: Kysely<any>, schema: string, can: DatabaseCapabilities): Promise<Set<string>> {
  if (!can.catalog) {
    // pg-mem's catalogs are empty; its dialect's introspector reads pg-mem itself.
    const tables = await db.introspection.getTables({ withInternalKyselyTables: true })
    return new Set(tables.filter((table) => table.schema === schema).map((table) => table.name))
  }
  const { rows } = await sql<{ name: string }>`
    select c.relname as name from pg_catalog.pg_class c
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where n.nspname = ${schema} and c.relkind in ('r', 'p')`.execute(db)
  return new Set(rows.map((row) => row.name))
}

async function schemaExists(db: Kysely<any>, schema: string): Promise<boolean> {
  const { rows } = await sql`select 1 from pg_catalog.pg_namespace where nspname = ${schema}`.execute(db)
  return rows.length > 0
}

/**
 * Creates the schema, the migration table and its lock table when missing.
 * Looks before creating, so a role without CREATE rights can still run
 * against a schema that is already set up.
 */
async function ensureMigrationTables(trx: Kysely<any>, schema: string, can: DatabaseCapabilities): Promise<void> {
  if (!can.catalog || !(await schemaExists(trx, schema))) {
    await trx.schema.createSchema(schema).ifNotExists().execute()
  }
  const tables = await tablesOf(trx, schema, can)
  const scoped = trx.withSchema(schema)
  if (!tables.has(MIGRATION_TABLE)) {
    await scoped.schema
      .createTable(MIGRATION_TABLE)
      .addColumn('name', 'varchar(255)', (col) => col.notNull().primaryKey())
      // An ISO timestamp string, as Kysely's Migrator writes it.
      .addColumn('timestamp', 'varchar(255)', (col) => col.notNull())
      .execute()
  }
  if (!tables.has(MIGRATION_LOCK_TABLE)) {
    // Kept for Kysely's layout; the advisory lock above is what serialises runs.
    await scoped.schema
      .createTable(MIGRATION_LOCK_TABLE)
      .addColumn('id', 'varchar(255)', (col) => col.notNull().primaryKey())
      .addColumn('is_locked', 'integer', (col) => col.notNull().defaultTo(0))
      .execute()
    await scoped.insertInto(MIGRATION_LOCK_TABLE).values({ id: LOCK_ROW_ID, is_locked: 0 }).execute()
  }
}

interface ExecutedMigration {
  readonly name: string
  readonly executedAt: Date
}

/** The recorded steps, oldest first (ties broken by name, as Kysely does). */
async function executedMigrations(db: Kysely<any>, schema: string): Promise<ExecutedMigration[]> {
  const rows = await db.withSchema(schema).selectFrom(MIGRATION_TABLE).select(['name', 'timestamp']).execute()
  return rows
    .map((row) => ({ name: row.name as string, executedAt: new Date(row.timestamp as string) }))
    .sort((a, b) => a.executedAt.getTime() - b.executedAt.getTime() || a.name.localeCompare(b.name))
}

/**
 * How many leading steps of the list have run. The recorded steps must be
 * exactly a prefix of the list: anything else means another version of
 * taskstore migrated this schema, and running on would corrupt it.
 *
 * @throws {MigrationError} when they are not.
 */
function checkExecutedPrefix(executed: readonly ExecutedMigration[], migrations: MigrationList, schema: string) {
  const recorded = new Set(executed.map((row) => row.name))
  const names = migrations.map(([name]) => name)
  const unknown = [...recorded].filter((name) => !names.includes(name))
  const prefix = names.slice(0, recorded.size)
  if (unknown.length > 0 || prefix.some((name) => !recorded.has(name))) {
    throw new MigrationError(
      `Schema "${schema}" records migrations this version of taskstore does not have in this order ` +
        `(recorded: ${[...recorded].join(', ') || 'none'}; shipped: ${names.join(', ')}). ` +
        'Upgrade taskstore to the version that migrated it.',
      unknown[0] ?? null,
    )
  }
  return recorded.size
}
