import { brandErrorClass, TaskstoreErrorBase } from './taskstore-error.js'

/**
 * The database could not be reached (after the configured retries) or the
 * connection was lost mid-operation. A write that failed this way was not
 * committed unless the host's own transaction committed it.
 *
 * @example
 * ```ts
 * await tasks.countTasks(userId).catch((error) => {
 *   if (error instanceof DatabaseUnavailableError) return { total: 0, completed: 0, pending: 0 }
 *   throw error
 * })
 * ```
 */
export class DatabaseUnavailableError extends TaskstoreErrorBase {
  readonly code = 'unavailable' as const
  override name = 'DatabaseUnavailableError'
}
brandErrorClass(DatabaseUnavailableError, 'unavailable')
