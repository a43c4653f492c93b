import { brandErrorClass, TaskstoreErrorBase } from './taskstore-error.js'

/**
 * The task exists but belongs to another user; nothing was read or changed.
 *
 * @example
 * ```ts
 * await tasks.getTask(otherUserId, taskId).catch((error) => error instanceof ForbiddenError) // true
 * ```
 */
export class ForbiddenError extends TaskstoreErrorBase {
  readonly code = 'forbidden' as const
  override name = 'ForbiddenError'
}
brandErrorClass(ForbiddenError, 'forbidden')
