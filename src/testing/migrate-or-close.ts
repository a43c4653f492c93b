import type { Kysely } from 'kysely'
import { migrateToLatest } from '../migrator.js'

/** Migrates a database the helper just opened, closing it (and its engine) if that fails. */
export async function migrateOrClose(db: Kysely<any>): Promise<void> {
  try {
    await migrateToLatest(db)
  } catch (error) {
    await db.destroy().catch(() => {})
    throw error
  }
}
