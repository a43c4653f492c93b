import { brandErrorClass, TaskstoreErrorBase } from './taskstore-error.js'

/**
 * A migration failed; `migrationName` names it. The step was rolled back.
 *
 * @example
 * ```ts
 * await migrateToLatest(db).catch((error) => {
 *   if (error instanceof MigrationError) console.error(`failed at ${error.migrationName}`)
 *   throw error
 * })
 * ```
 */
export class MigrationError extends TaskstoreErrorBase {
  readonly code = 'migration' as const
  override name = 'MigrationError'
  readonly migrationName: string | null

  constructor(message: string, migrationName: string | null, options?: { cause?: unknown }) {
    super(message, options)
    this.migrationName = migrationName
  }
}
brandErrorClass(MigrationError, 'migration')
