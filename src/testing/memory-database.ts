import type { Kysely } from 'kysely'
import { createDatabase, type Database, type DatabaseOptions } from '../db/create-database.js'
import { checkSchemaName, DEFAULT_SCHEMA } from '../db/database-schema.js'
import { importPeer } from '../db/pool-settings.js'
import { MemoryDialect } from './memory-dialect.js'
import { migrateOrClose } from './migrate-or-close.js'

/** Options of {@link createMemoryDatabase}. */
export interface MemoryDatabaseOptions extends Pick<DatabaseOptions, 'log' | 'logParameters'> {
  /** The schema to migrate and scope to. Default `public`. */
  readonly schema?: string
}

/**
 * A fresh, migrated database in memory on pg-mem: about 40 ms, nothing to
 * install or start, ideal for a host's unit tests. The stores behave as on
 * Postgres, with these limits of pg-mem:
 *
 * - **A rollback is not undone.** Statements run before a ROLLBACK (or a
 *   failed `db.transaction()`) stay applied. Test rollbacks on
 *   `createEmbeddedDatabase` or a real server.
 * - No concurrency: statements run one at a time, so locking is not exercised.
 * - No triggers: a raw SQL UPDATE does not move `updated_at` (the stores set it themselves).
 * - Constraint errors carry no SQLSTATE; the stores validate input first, so they still throw the same errors.
 * - `varchar(n)` counts UTF-16 units: a user id of 19 emoji (38 units) is refused there, though Postgres takes 36.
 *
 * @throws {ConfigError} when `schema` is not a plain lower-case identifier.
 * @example
 * ```ts
 * const db = await createMemoryDatabase()
 * const users = createUserStore(db)
 * const tasks = createTaskStore(db)
 * ```
 */
export async function createMemoryDatabase(options: MemoryDatabaseOptions = {}): Promise<Kysely<Database>> {
  const schema = checkSchemaName(options.schema ?? DEFAULT_SCHEMA)
  const db = createDatabase({
    dialect: await createMemoryDialect(schema),
    schema,
    log: options.log,
    logParameters: options.logParameters,
  })
  await migrateOrClose(db)
  return db
}

/**
 * A Kysely dialect over a fresh, empty pg-mem database, with the functions
 * taskstore's schema needs registered; `scopedSchema` names the schema besides
 * `public` that its introspection reports.
 *
 * @internal For tests that open the database themselves (`createDatabase({ dialect, log })`).
 * @example
 * ```ts
 * const db = createDatabase({ dialect: await createMemoryDialect(), log: console.log })
 * await migrateToLatest(db)
 * ```
 */
export async function createMemoryDialect(scopedSchema = 'public'): Promise<MemoryDialect> {
  const { newDb, DataType } = await importPeer('pg-mem', () => import('pg-mem'))
  const mem = newDb({ noAstCoverageCheck: true })
  for (const schemaName of ['public', 'pg_catalog']) {
    const schema = mem.getSchema(schemaName)
    // Postgres counts characters in code points; JavaScript's length counts UTF-16 units.
    schema.registerFunction({
      name: 'char_length',
      args: [DataType.text],
      returns: DataType.integer,
      implementation: (text: string) => [...text].length,
    })
    // pg-mem's LIKE has no escape character, so `%` and `_` cannot be matched
    // literally there; the task store matches search text with this instead.
    schema.registerFunction({
      name: 'taskstore_contains',
      args: [DataType.text, DataType.text],
      returns: DataType.bool,
      implementation: (haystack: string, needle: string) => lowerEach(haystack).includes(lowerEach(needle)),
    })
    schema.registerFunction({
      name: 'btrim',
      args: [DataType.text],
      returns: DataType.text,
      implementation: (text: string) => text.replace(/^ +| +$/g, ''),
    })
  }
  const { Pool } = mem.adapters.createPg()
  const schemaExists = (name: string) => {
    try {
      return mem.getSchema(name) !== null
    } catch {
      return false
    }
  }
  const catalog = {
    // pg-mem has no information_schema.schemata; only these two schemas matter here.
    listSchemaNames: () => [...new Set(['public', scopedSchema])].filter(schemaExists),
    listTableNames: (schemaName: string) => [...mem.getSchema(schemaName).listTables()].map((table) => table.name),
  }
  return new MemoryDialect(new Pool(), catalog)
}

// Postgres lowers each character on its own; String#toLowerCase looks at the
// neighbours (a final Σ becomes ς), so a piece of a title would not match it.
function lowerEach(text: string): string {
  let lowered = ''
  for (const char of text) lowered += char.toLowerCase()
  return lowered
}
