import { TaskstoreError } from './taskstore-error.js'

/**
 * The task or user does not exist.
 *
 * @example
 * ```ts
 * await users.getUser('no-such-id').catch((error) => error instanceof NotFoundError) // true
 * ```
 */
export class NotFoundError extends TaskstoreError {
  readonly code = 'not_found'
  override name = 'NotFoundError'
}
