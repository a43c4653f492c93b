import { mkdir } from 'node:fs/promises'
import { type Kysely, PGliteDialect } from 'kysely'
import { createDatabase, type Database } from '../db/create-database.js'
import { importPeer } from '../db/pool-settings.js'
import { readTimestamptz } from '../db/timestamp-parser.js'
import { migrateOrClose } from './migrate-or-close.js'

const TIMESTAMPTZ_OID = 1184

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
 * @example
 * ```ts
 * const db = await createEmbeddedDatabase({ dataDir: './.data/tasks' })
 * const tasks = createTaskStore(db)
 * await db.destroy()
 * ```
 */
export async function createEmbeddedDatabase(options: EmbeddedDatabaseOptions = {}): Promise<Kysely<Database>> {
  const { PGlite } = await importPeer('@electric-sql/pglite', () => import('@electric-sql/pglite'))
  if (options.dataDir !== undefined) await mkdir(options.dataDir, { recursive: true })
  // PGlite's own reading of timestamptz text (`new Date(text)`) takes year 50 for 1950 and
  // cannot read BC dates or second offsets (Africa/Monrovia until 1972: -00:44:30)
  const parsers = { [TIMESTAMPTZ_OID]: readTimestamptz }
  const pglite = await PGlite.create(
    options.dataDir === undefined ? { parsers } : { dataDir: options.dataDir, parsers },
  )
  const db = createDatabase({ dialect: new PGliteDialect({ pglite }), schema: options.schema })
  await migrateOrClose(db)
  return db
}
