import { brandErrorClass, TaskstoreErrorBase } from './taskstore-error.js'

/**
 * The task or user does not exist.
 *
 * @example
 * ```ts
 * await users.getUser('no-such-id').catch((error) => error instanceof NotFoundError) // true
 * ```
 */
export class NotFoundError extends TaskstoreErrorBase {
  readonly code = 'not_found' as const
  override name = 'NotFoundError'
}
brandErrorClass(NotFoundError, 'not_found')
