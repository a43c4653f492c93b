import { brandErrorClass, TaskstoreErrorBase } from './taskstore-error.js'

/** One problem found in an input: where it is and what is wrong with it. */
export interface ValidationIssue {
  readonly path: ReadonlyArray<string | number>
  readonly message: string
}

/**
 * Bad input: nothing was sent to the database and nothing changed.
 *
 * @example
 * ```ts
 * try {
 *   await tasks.createTask(userId, { title: '   ' })
 * } catch (error) {
 *   if (error instanceof ValidationError) console.log(error.issues) // [{ path: ['title'], message: … }]
 * }
 * ```
 */
export class ValidationError extends TaskstoreErrorBase {
  readonly code = 'validation' as const
  override name = 'ValidationError'
  readonly issues: readonly ValidationIssue[]

  constructor(issues: readonly ValidationIssue[], options?: { cause?: unknown }) {
    super(`Invalid input: ${formatIssues(issues)}`, options)
    this.issues = issues
  }
}
brandErrorClass(ValidationError, 'validation')

function formatIssues(issues: readonly ValidationIssue[]): string {
  return issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ')
}
