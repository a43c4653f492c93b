import { mkdir } from 'node:fs/promises'
import { type Kysely, PGliteDialect } from 'kysely'
import { createDatabase, type Database } from '../db/create-database.js'
import { checkSchemaName, DEFAULT_SCHEMA } from '../db/database-schema.js'
import { importPeer } from '../db/pool-settings.js'
import { migrateOrClose } from './migrate-or-close.js'

/** Options of {@link createEmbeddedDatabase}. */
export interface EmbeddedDatabaseOptions {
  /** A folder to keep the data in, so it survives process restarts. Default: in memory. */
  readonly dataDir?: string
  /** The schema to migrate and scope to. Default `public`. */
  readonly schema?: string
}

/**
 * A migrated database on PGlite: real Postgres compiled to WebAssembly,
 * in-process, about 1.5 s to start. Transactions, triggers and constraint
 * errors behave exactly as on a server. With `dataDir` the data survives a
 * restart of the process. Close it with `db.destroy()`.
 *
 * @throws {ConfigError} when `schema` is not a plain lower-case identifier.
 * @example
 * ```ts
 * const db = await createEmbeddedDatabase({ dataDir: './.data/tasks' })
 * const tasks = createTaskStore(db)
 * await db.destroy()
 * ```
 */
export async function createEmbeddedDatabase(options: EmbeddedDatabaseOptions = {}): Promise<Kysely<Database>> {
  // Before the folder is made or PGlite starts, so a bad name leaves nothing behind.
  const schema = checkSchemaName(options.schema ?? DEFAULT_SCHEMA)
  const { PGlite } = await importPeer('@electric-sql/pglite', () => import('@electric-sql/pglite'))
  if (options.dataDir !== undefined) await mkdir(options.dataDir, { recursive: true })
  const pglite = await PGlite.create(options.dataDir === undefined ? {} : { dataDir: options.dataDir })
  const db = createDatabase({ dialect: new PGliteDialect({ pglite }), schema })
  await migrateOrClose(db)
  return db
}
