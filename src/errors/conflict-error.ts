import { TaskstoreError } from './taskstore-error.js'

/**
 * A unique value is already taken (an email address, in any letter case).
 *
 * @example
 * ```ts
 * await users.createUser({ email: 'ADA@example.com' }).catch((error) => error instanceof ConflictError)
 * ```
 */
export class ConflictError extends TaskstoreError {
  readonly code = 'conflict'
  override name = 'ConflictError'
}
