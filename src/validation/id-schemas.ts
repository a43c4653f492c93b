import { z } from 'zod'
import { boundedText } from './text-rules.js'

/** Largest value of a Postgres `integer`. */
export const MAX_INTEGER = 2_147_483_647

/** A task id: an integer in 1…2147483647. */
export const taskIdSchema = z
  .number({ error: 'must be a number' })
  .int({ error: 'must be an integer' })
  .min(1, { error: 'must be at least 1' })
  .max(MAX_INTEGER, { error: `must be at most ${MAX_INTEGER}` })

/** A user id: 1–36 characters (a UUID, or an id from the host's auth provider). */
export const userIdSchema = boundedText(1, 36)
