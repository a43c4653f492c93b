import type { z } from 'zod'

/**
 * The `error` option of an object schema: a value that is not an object is
 * reported as `<subject> must be an object` (zod's default, "Invalid input:
 * expected object…", would repeat the "Invalid input" a ValidationError's
 * message starts with); every other issue keeps its own message.
 */
export function notAnObjectError(subject: string) {
  return (issue: z.core.$ZodRawIssue) => (issue.code === 'invalid_type' ? `${subject} must be an object` : undefined)
}
