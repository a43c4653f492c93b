import { brandErrorClass, TaskstoreErrorBase } from './taskstore-error.js'

/**
 * A unique value is already taken (an email address, in any letter case).
 *
 * @example
 * ```ts
 * await users.createUser({ email: 'ADA@example.com' }).catch((error) => error instanceof ConflictError)
 * ```
 */
export class ConflictError extends TaskstoreErrorBase {
  static {
    brandErrorClass(ConflictError, 'conflict')
  }
  readonly code = 'conflict' as const
  override name = 'ConflictError'
}
