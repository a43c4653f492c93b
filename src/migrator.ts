import { type Kysely, sql } from 'kysely'
import { type Migration, type MigrationResultSet, Migrator } from 'kysely/migration'
import { MIGRATIONS, type MigrationContext } from '../migrations/index.js'
import { schemaOf } from './db/database-schema.js'
import { toUnavailableIfConnectionFailure } from './db/guarded-dialect.js'
import { redact, redactError } from './db/redaction.js'
import { ConfigError, MigrationError, TaskstoreError } from './errors/index.js'
import { isEmulatedPostgres } from './testing/emulation.js'

const MIGRATION_TABLE = 'taskstore_migration'
const MIGRATION_LOCK_TABLE = 'taskstore_migration_lock'
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/

/** Options of the migrate functions. */
export interface MigrateOptions {
  /** The schema to migrate. Defaults to the one given to `createDatabase`, else `public`. */
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
 * find nothing to do. A failing step rolls back the whole run.
 *
 * @throws {MigrationError} naming the step that failed.
 * @example
 * ```ts
 * const { applied } = await migrateToLatest(db)
 * console.log(applied) // ['0001_create_users', '0002_create_tasks', …] the first time, [] after
 * ```
 */
export async function migrateToLatest(db: Kysely<any>, options: MigrateOptions = {}): Promise<MigrationRun> {
  return runLocked(db, options, (migrator) => migrator.migrateToLatest())
}

/**
 * Undoes the most recent migration (one step).
 *
 * @throws {MigrationError} naming the step that failed.
 * @example
 * ```ts
 * const { applied } = await migrateDown(db) // ['0003_touch_updated_at']
 * ```
 */
export async function migrateDown(db: Kysely<any>, options: MigrateOptions = {}): Promise<MigrationRun> {
  return runLocked(db, options, (migrator) => migrator.migrateDown())
}

/**
 * Lists every migration the package ships, with when it ran or `null`.
 *
 * @example
 * ```ts
 * for (const { name, executedAt } of await migrationStatus(db)) {
 *   console.log(name, executedAt?.toISOString() ?? 'pending')
 * }
 * ```
 */
export async function migrationStatus(db: Kysely<any>, options: MigrateOptions = {}): Promise<MigrationState[]> {
  const schema = resolveSchema(db, options)
  try {
    const executed = await executedMigrations(db.withoutPlugins(), schema)
    return MIGRATIONS.map(([name]) => ({ name, executedAt: executed.get(name) ?? null }))
  } catch (error) {
    throw asMigrationError(error, null, 'Could not read the migration status')
  }
}

async function executedMigrations(db: Kysely<any>, schema: string): Promise<Map<string, Date>> {
  const exists = await sql<{ found: boolean }>`
    select count(*) > 0 as found from information_schema.tables
    where table_schema = ${schema} and table_name = ${MIGRATION_TABLE}`.execute(db)
  if (!exists.rows[0]?.found) return new Map()
  const rows = await db.withSchema(schema).selectFrom(MIGRATION_TABLE).select(['name', 'timestamp']).execute()
  return new Map(rows.map((row) => [row.name as string, new Date(row.timestamp as string)]))
}

function resolveSchema(db: Kysely<any>, options: MigrateOptions): string {
  const schema = options.schema ?? schemaOf(db)
  if (!SCHEMA_NAME.test(schema)) {
    throw new ConfigError(
      `Invalid schema name "${schema}": use letters, digits and underscores, starting with a letter.`,
    )
  }
  return schema
}

async function runLocked(
  db: Kysely<any>,
  options: MigrateOptions,
  run: (migrator: Migrator) => Promise<MigrationResultSet>,
): Promise<MigrationRun> {
  const schema = resolveSchema(db, options)
  const emulated = isEmulatedPostgres(db)
  const context: MigrationContext = { schema, supportsTriggers: !emulated }
  let failedStep: string | null = null
  try {
    // The whole run is one transaction, so every lock is taken and released on
    // one server connection: safe behind a transaction-pooling PgBouncer.
    // Without the host's plugins: a schema plugin from createDatabase would
    // otherwise override where Kysely puts the migration table.
    return await db
      .withoutPlugins()
      .transaction()
      .execute(async (trx) => {
        if (!emulated) {
          await sql`select pg_advisory_xact_lock(hashtext(${MIGRATION_TABLE}), hashtext(${schema}))`.execute(trx)
        }
        const migrator = new Migrator({
          db: trx,
          provider: { getMigrations: async () => kyselyMigrations(context, emulated) },
          migrationTableName: MIGRATION_TABLE,
          migrationLockTableName: MIGRATION_LOCK_TABLE,
          migrationTableSchema: schema,
        })
        const { error, results = [] } = await run(migrator)
        if (error) {
          failedStep = results.find((result) => result.status === 'Error')?.migrationName ?? null
          throw error
        }
        return {
          applied: results.filter((result) => result.status === 'Success').map((result) => result.migrationName),
        }
      })
  } catch (error) {
    throw asMigrationError(error, failedStep, failedStep ? `Migration ${failedStep} failed` : 'Migrating failed')
  }
}

/**
 * Adapts the package's steps to Kysely's `Migration`, scoping each to the
 * schema. On real Postgres each step runs in a savepoint, so a failing step
 * leaves the surrounding transaction usable for Kysely's lock release and
 * then rolls back as a whole.
 */
function kyselyMigrations(context: MigrationContext, emulated: boolean): Record<string, Migration> {
  const inSavepoint = async (trx: Kysely<any>, step: () => Promise<void>) => {
    if (emulated) return step()
    await sql`savepoint taskstore_step`.execute(trx)
    try {
      await step()
      await sql`release savepoint taskstore_step`.execute(trx)
    } catch (error) {
      await sql`rollback to savepoint taskstore_step`.execute(trx)
      throw error
    }
  }
  return Object.fromEntries(
    MIGRATIONS.map(([name, step]) => [
      name,
      {
        up: (trx: Kysely<any>) => inSavepoint(trx, () => step.up(trx.withSchema(context.schema), context)),
        down: (trx: Kysely<any>) => inSavepoint(trx, () => step.down(trx.withSchema(context.schema), context)),
      },
    ]),
  )
}

function asMigrationError(error: unknown, step: string | null, summary: string): TaskstoreError {
  const mapped = toUnavailableIfConnectionFailure(error)
  if (mapped instanceof TaskstoreError && !(error instanceof MigrationError)) {
    if (mapped.code === 'unavailable' || mapped.code === 'config') return mapped
  }
  if (error instanceof MigrationError) return error
  const cause = redactError(error)
  const detail = error instanceof Error ? error.message : String(error)
  return new MigrationError(redact(`${summary}: ${detail}`), step, { cause })
}
