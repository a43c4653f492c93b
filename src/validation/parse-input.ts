import type { z } from 'zod'
import { ValidationError } from '../errors/index.js'

/**
 * Parses a value with a schema, or throws a {@link ValidationError} whose
 * issue paths start with `path` (the argument's name).
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, path: string): z.output<S> {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const issues = result.error.issues.map((issue) => ({
    path: [path, ...issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment))],
    message: issue.message,
  }))
  throw new ValidationError(issues, { cause: result.error })
}
