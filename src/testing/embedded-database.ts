import type { PGlite } from '@electric-sql/pglite'
import { type Kysely, PGliteDialect } from 'kysely'
import { createDatabase, type Database, type DatabaseOptions } from '../db/create-database.js'
import { checkSchemaName, DEFAULT_SCHEMA } from '../db/database-schema.js'
import { importPeer } from '../db/pool-settings.js'
import { readTimestamptz } from '../db/timestamp-parser.js'
import { lockDataDir } from './data-dir-lock.js'
import { LockedPGliteDialect } from './locked-pglite-dialect.js'
import { migrateOrClose } from './migrate-or-close.js'

const TIMESTAMPTZ_OID = 1184

/** Options of {@link createEmbeddedDatabase}. */
export interface EmbeddedDatabaseOptions extends Pick<DatabaseOptions, 'log' | 'logParameters'> {
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
 * PGlite is single-process, so a `dataDir` is locked while it is open (in
 * its `.taskstore-lock` folder): opening it again, from another process or
 * this one, throws a `ConfigError` naming the folder and the process
 * that has it. The lock is released by `db.destroy()`, when opening fails,
 * and when the process exits; one left by a process that was killed is
 * taken over by the next open.
 *
 * PGlite reads a text value that begins with U+FEFF (a byte order mark)
 * without that character, though it stores it intact.
 *
 * @throws {ConfigError} when `dataDir` is open elsewhere or cannot be locked, or `schema` is not a plain lower-case identifier.
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
  const { dataDir, log, logParameters } = options
  // PGlite's own reading of timestamptz text (`new Date(text)`) takes year 50 for 1950 and
  // cannot read BC dates or second offsets (Africa/Monrovia until 1972: -00:44:30)
  const parsers = { [TIMESTAMPTZ_OID]: readTimestamptz }
  if (dataDir === undefined) {
    const db = createDatabase({
      dialect: new PGliteDialect({ pglite: await PGlite.create({ parsers }) }),
      schema,
      log,
      logParameters,
    })
    await migrateOrClose(db)
    return db
  }
  const lock = lockDataDir(dataDir)
  let pglite: PGlite | undefined
  try {
    pglite = await PGlite.create({ dataDir, parsers })
    const db = createDatabase({
      dialect: new LockedPGliteDialect({ pglite }, lock.release),
      schema,
      log,
      logParameters,
    })
    await migrateOrClose(db)
    return db
  } catch (error) {
    if (pglite && !pglite.closed) await pglite.close().catch(() => {})
    lock.release()
    throw error
  }
}
