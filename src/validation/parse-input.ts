import type { z } from 'zod'
import { ValidationError } from '../errors/index.js'

type Path = (string | number)[]

function failure(error: z.ZodError, prefix: Path): ValidationError {
  const issues = error.issues.map((issue) => ({
    path: [...prefix, ...issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment))],
    message: issue.message,
  }))
  return new ValidationError(issues, { cause: error })
}

/**
 * Parses an object argument (a task, a patch, a query) with its schema, or
 * throws a {@link ValidationError} whose issues carry exactly the paths the
 * schema reports (`['title']`), so a host that validates the same input
 * with the exported schema sees the same paths.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  throw failure(result.error, [])
}

/**
 * Parses a plain argument (a user id, a task id, an email) with its schema,
 * or throws a {@link ValidationError} whose issues' paths start with the
 * argument's name (`['userId']`): the schema of a lone value reports an
 * empty path, which would not say which argument was wrong.
 */
export function parseArgument<S extends z.ZodType>(schema: S, value: unknown, name: string): z.output<S> {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  throw failure(result.error, [name])
}
