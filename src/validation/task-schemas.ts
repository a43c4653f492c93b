import { z } from 'zod'
import { maxCursorLength } from './cursor-format.js'
import { userIdSchema } from './id-schemas.js'
import { notAnObjectError } from './object-error.js'
import { boundedText } from './text-rules.js'

/** Bounds these schemas share with the hand checks in `query-parsing.ts` and `task-parsing.ts`. */
export const PRIORITY = { min: 1, max: 5 } as const
export const PAGE_SIZE = { min: 1, max: 100 } as const
/** A title's length in code points, after trimming. */
export const TITLE_LENGTH = { min: 1, max: 200 } as const
/** The longest cursor the store makes (a page ending on 200 four-byte characters): longer is refused unread. */
export const MAX_CURSOR_LENGTH = maxCursorLength(TITLE_LENGTH.max)

/** A description's length in code points. */
export const DESCRIPTION_LENGTH = { min: 0, max: 1000 } as const

const title = boundedText(TITLE_LENGTH.min, TITLE_LENGTH.max, { trim: true })
const description = boundedText(DESCRIPTION_LENGTH.min, DESCRIPTION_LENGTH.max)
const priority = z
  .number({ error: 'must be a number' })
  .int({ error: 'must be an integer' })
  .min(PRIORITY.min, { error: `must be between ${PRIORITY.min} and ${PRIORITY.max}` })
  .max(PRIORITY.max, { error: `must be between ${PRIORITY.min} and ${PRIORITY.max}` })

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
export const taskInputSchema = z.strictObject(
  {
    title,
    description: description.nullable().optional(),
    priority: priority.optional(),
    completed: z.boolean({ error: 'must be a boolean' }).optional(),
  },
  { error: notAnObjectError('a task') },
)

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
  .strictObject(
    {
      title: title.optional(),
      description: description.nullable().optional(),
      priority: priority.optional(),
      completed: z.boolean({ error: 'must be a boolean' }).optional(),
    },
    { error: notAnObjectError('a task patch') },
  )
  .refine((patch) => Object.values(patch).some((value) => value !== undefined), {
    message: 'must change at least one field',
  })

/** The columns a task list can be sorted by. */
export const TASK_SORTS = ['createdAt', 'updatedAt', 'priority', 'title', 'completedAt'] as const

/** Filters, sort and page of a task listing. */
export const taskQuerySchema = z.strictObject(
  {
    completed: z.boolean({ error: 'must be a boolean' }).optional(),
    priority: priority.optional(),
    search: boundedText(0, 200).optional(),
    sort: z.enum(TASK_SORTS, { error: `must be one of ${TASK_SORTS.join(', ')}` }).optional(),
    order: z.enum(['asc', 'desc'], { error: 'must be asc or desc' }).optional(),
    limit: z
      .number({ error: 'must be a number' })
      .int({ error: 'must be an integer' })
      .min(PAGE_SIZE.min, { error: `must be between ${PAGE_SIZE.min} and ${PAGE_SIZE.max}` })
      .max(PAGE_SIZE.max, { error: `must be between ${PAGE_SIZE.min} and ${PAGE_SIZE.max}` })
      .optional(),
    cursor: z
      .string({ error: 'must be a string' })
      .max(MAX_CURSOR_LENGTH, { error: 'is not a valid cursor' })
      .optional(),
  },
  { error: notAnObjectError('a task query') },
)

/** A listing across users (admin): the same query, optionally narrowed to one user. */
export const allTasksQuerySchema = taskQuerySchema.extend({ userId: userIdSchema.optional() })

export type TaskInput = z.input<typeof taskInputSchema>
export type TaskPatch = z.input<typeof taskPatchSchema>
/** A new task once parsed: its title trimmed. */
export type ParsedTaskInput = z.output<typeof taskInputSchema>
/** A task patch once parsed: its title trimmed. */
export type ParsedTaskPatch = z.output<typeof taskPatchSchema>
/** A task listing's query once parsed. */
export type ParsedTaskQuery = z.output<typeof taskQuerySchema>
