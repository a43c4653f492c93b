import { z } from 'zod'
import { userIdSchema } from './id-schemas.js'
import { notAnObjectError } from './object-error.js'
import { boundedText } from './text-rules.js'

/** An email address, trimmed and lower-cased, at most 255 characters. */
export const emailSchema = z
  .string({ error: 'must be a string' })
  .trim()
  .toLowerCase()
  .pipe(z.email({ error: 'must be a valid email address' }).max(255, { error: 'must be at most 255 characters' }))

/** A password as typed by a person: 8–1024 characters. */
export const passwordSchema = boundedText(8, 1024)

const name = boundedText(0, 100).nullable()

/**
 * A new user. `password` is hashed with scrypt; `passwordHash` stores a
 * hash made by the host's auth system as is (give one or neither).
 *
 * @example
 * ```ts
 * const input = userInputSchema.parse({ email: ' Ada@Example.com ', password: 'correct horse' })
 * input.email // 'ada@example.com'
 * ```
 */
export const userInputSchema = z
  .strictObject(
    {
      email: emailSchema,
      name: name.optional(),
      password: passwordSchema.optional(),
      passwordHash: boundedText(1, 255).optional(),
      id: userIdSchema.optional(),
    },
    { error: notAnObjectError('a user') },
  )
  .refine((input) => input.password === undefined || input.passwordHash === undefined, {
    message: 'give password or passwordHash, not both',
    path: ['passwordHash'],
  })

/**
 * A partial update of a user: at least one of `email`, `name`, `isActive`,
 * `emailVerified`, `password`. Unknown keys are rejected.
 *
 * @example
 * ```ts
 * const patch = userPatchSchema.parse({ emailVerified: true })
 * ```
 */
export const userPatchSchema = z
  .strictObject(
    {
      email: emailSchema.optional(),
      name: name.optional(),
      isActive: z.boolean({ error: 'must be a boolean' }).optional(),
      emailVerified: z.boolean({ error: 'must be a boolean' }).optional(),
      password: passwordSchema.optional(),
    },
    { error: notAnObjectError('a user patch') },
  )
  .refine((patch) => Object.values(patch).some((value) => value !== undefined), {
    message: 'must change at least one field',
  })

export type UserInput = z.input<typeof userInputSchema>
export type UserPatch = z.input<typeof userPatchSchema>
