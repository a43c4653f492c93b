import type { Kysely } from 'kysely'

/** Marks a dialect adapter that emulates Postgres in memory (pg-mem). */
export const EMULATED_POSTGRES = Symbol.for('taskstore.emulatedPostgres')

/**
 * True when the database is pg-mem: no triggers, no advisory locks, no
 * rollback. The package then does in its own code what the database would.
 */
export function isEmulatedPostgres(db: Kysely<any>): boolean {
  return (db.getExecutor().adapter as unknown as Record<symbol, unknown>)[EMULATED_POSTGRES] === true
}
