import type { Kysely, Transaction } from 'kysely'
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
 */
export function asTaskstoreDatabase<DB extends Database>(db: Kysely<DB> | Transaction<DB>): Kysely<Database> {
  return db as unknown as Kysely<Database>
}
