import { brandErrorClass, TaskstoreErrorBase } from './taskstore-error.js'

/** The unique field a {@link ConflictError} is about. */
export type ConflictField = 'email' | 'id'

/**
 * A unique value is already taken: `field` says which, an email address
 * (in any letter case) or an id.
 *
 * @example
 * ```ts
 * await users.createUser({ email: 'ADA@example.com' }).catch((error) => {
 *   if (error instanceof ConflictError && error.field === 'email') return users.findUserByEmail('ada@example.com')
 *   throw error
 * })
 * ```
 */
export class ConflictError extends TaskstoreErrorBase {
  readonly code = 'conflict' as const
  override name = 'ConflictError'
  readonly field: ConflictField

  constructor(message: string, field: ConflictField, options?: { cause?: unknown }) {
    super(message, options)
    this.field = field
  }
}
brandErrorClass(ConflictError, 'conflict')
