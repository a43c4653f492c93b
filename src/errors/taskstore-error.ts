/** Stable machine-readable codes carried by every {@link TaskstoreError}. */
export type TaskstoreErrorCode =
  | 'validation'
  | 'not_found'
  | 'forbidden'
  | 'conflict'
  | 'config'
  | 'unavailable'
  | 'migration'

/**
 * Base class of every error taskstore throws. Switch on `code`, which never
 * changes between releases; `message` is for people and may.
 *
 * @example
 * ```ts
 * try {
 *   await tasks.getTask(userId, 42)
 * } catch (error) {
 *   if (error instanceof TaskstoreError && error.code === 'not_found') return null
 *   throw error
 * }
 * ```
 */
export abstract class TaskstoreError extends Error {
  abstract readonly code: TaskstoreErrorCode
  override name = 'TaskstoreError'

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

/**
 * Tells whether a value is an error thrown by taskstore.
 *
 * @example
 * ```ts
 * if (isTaskstoreError(error)) console.log(error.code)
 * ```
 */
export function isTaskstoreError(value: unknown): value is TaskstoreError {
  return value instanceof TaskstoreError
}
