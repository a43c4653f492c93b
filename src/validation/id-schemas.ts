import { z } from 'zod'
import { isIntegerIn } from './hand-checks.js'
import { parseArgument } from './parse-input.js'
import { boundedText, isBoundedText } from './text-rules.js'

/** Largest value of a Postgres `integer`. */
export const MAX_INTEGER = 2_147_483_647

const TASK_ID = { min: 1, max: MAX_INTEGER } as const

/** A task id: an integer in 1…2147483647. */
export const taskIdSchema = z
  .number({ error: 'must be a number' })
  .int({ error: 'must be an integer' })
  .min(TASK_ID.min, { error: `must be at least ${TASK_ID.min}` })
  .max(TASK_ID.max, { error: `must be at most ${TASK_ID.max}` })

const USER_ID_LENGTH = { min: 1, max: 36 } as const

/** A user id: 1–36 characters (a UUID, or an id from the host's auth provider). */
export const userIdSchema = boundedText(USER_ID_LENGTH.min, USER_ID_LENGTH.max)

/**
 * Parses a task id: the same rule as {@link taskIdSchema}, checked by hand
 * first because every store call does it; zod runs only to explain a failure,
 * at the path `[name]`.
 */
export function parseTaskId(value: unknown, name: string): number {
  if (isIntegerIn(value, TASK_ID)) return value
  return parseArgument(taskIdSchema, value, name)
}

/**
 * Parses a user id: the same rule as {@link userIdSchema} (1–36 code points,
 * no NUL, no unpaired surrogate), checked by hand first for the same reason.
 */
export function parseUserId(value: unknown, name: string): string {
  if (typeof value === 'string' && isBoundedText(value, USER_ID_LENGTH.min, USER_ID_LENGTH.max)) return value
  return parseArgument(userIdSchema, value, name)
}
