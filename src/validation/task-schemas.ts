import { z } from 'zod'
import { userIdSchema } from './id-schemas.js'
import { boundedText } from './text-rules.js'

const title = boundedText(1, 200, { trim: true })
const description = boundedText(0, 1000)
const priority = z
  .number({ error: 'must be a number' })
  .int({ error: 'must be an integer' })
  .min(1, { error: 'must be between 1 and 5' })
  .max(5, { error: 'must be between 1 and 5' })

/**
 * A new task: `title` (1–200 characters after trimming), optional
 * `description` (≤ 1000, or null), `priority` (1–5, default 3) and
 * `completed` (default false). Unknown keys are rejected.
 *
 * @example
 * ```ts
 * const input = taskInputSchema.parse(request.body) // throws ZodError on bad input
 * ```
 */
export const taskInputSchema = z.strictObject({
  title,
  description: description.nullable().optional(),
  priority: priority.optional(),
  completed: z.boolean({ error: 'must be a boolean' }).optional(),
})

/**
 * A partial update of a task: at least one of `title`, `description`
 * (null clears it), `priority`, `completed`. Unknown keys are rejected.
 *
 * @example
 * ```ts
 * const patch = taskPatchSchema.parse({ completed: true })
 * ```
 */
export const taskPatchSchema = z
  .strictObject({
    title: title.optional(),
    description: description.nullable().optional(),
    priority: priority.optional(),
    completed: z.boolean({ error: 'must be a boolean' }).optional(),
  })
  .refine((patch) => Object.values(patch).some((value) => value !== undefined), {
    message: 'must change at least one field',
  })

/** The columns a task list can be sorted by. */
export const TASK_SORTS = ['createdAt', 'updatedAt', 'priority', 'title', 'completedAt'] as const

/** Filters, sort and page of a task listing. */
export const taskQuerySchema = z.strictObject({
  completed: z.boolean({ error: 'must be a boolean' }).optional(),
  priority: priority.optional(),
  search: boundedText(0, 200).optional(),
  sort: z.enum(TASK_SORTS, { error: `must be one of ${TASK_SORTS.join(', ')}` }).optional(),
  order: z.enum(['asc', 'desc'], { error: 'must be asc or desc' }).optional(),
  limit: z
    .number({ error: 'must be a number' })
    .int({ error: 'must be an integer' })
    .min(1, { error: 'must be between 1 and 100' })
    .max(100, { error: 'must be between 1 and 100' })
    .optional(),
  cursor: z.string({ error: 'must be a string' }).max(1000, { error: 'is not a valid cursor' }).optional(),
})

/** A listing across users (admin): the same query, optionally narrowed to one user. */
export const allTasksQuerySchema = taskQuerySchema.extend({ userId: userIdSchema.optional() })

export type TaskInput = z.input<typeof taskInputSchema>
export type TaskPatch = z.input<typeof taskPatchSchema>
export type TaskQueryInput = z.output<typeof taskQuerySchema>
