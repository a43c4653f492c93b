import { type Kysely, type Transaction, WithSchemaPlugin } from 'kysely'
import type { DB } from './database.js'

/**
 * The tables taskstore manages, as Kysely sees them. A host's own database
 * type includes them beside its own tables: `type AppDB = Database & { projects: Projects }`.
 */
export interface Database extends DB {}

/**
 * Views a host's database (or transaction), whose type includes taskstore's
 * tables among its own, as taskstore's. `Kysely<DB>` is invariant in `DB`,
 * so no plain assignment can say this; it holds because every query the
 * package builds names only its own tables.
 *
 * The view keeps the schema `withSchema` set and drops the host's other
 * plugins: they are for the host's own queries. A store's rows are typed
 * by the store, and one plugin could turn a title that reads as JSON into
 * an array (`ParseJSONResultsPlugin`) or add a condition to every query.
 *
 * @example
 * ```ts
 * import { CamelCasePlugin } from 'kysely'
 * const own = asTaskstoreDatabase(db.withPlugin(new CamelCasePlugin()))
 * ```
 */
export function asTaskstoreDatabase<DB extends Database>(database: Kysely<DB> | Transaction<DB>): Kysely<Database> {
  const db = database as unknown as Kysely<Database>
  const { plugins } = db.getExecutor()
  const schemaPlugins = plugins.filter((plugin) => plugin instanceof WithSchemaPlugin)
  if (schemaPlugins.length === plugins.length) return db
  let view = db.withoutPlugins()
  for (const plugin of schemaPlugins) view = view.withPlugin(plugin)
  return view
}
