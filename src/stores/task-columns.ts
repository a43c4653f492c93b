import type { RowReader } from '../db/direct-query.js'
import type { Task } from './task.js'

/** The columns of a `Task`, aliased so rows need no mapping. */
export const TASK_COLUMNS = [
  'id',
  'user_id as userId',
  'title',
  'description',
  'completed',
  'completed_at as completedAt',
  'priority',
  'created_at as createdAt',
  'updated_at as updatedAt',
] as const

/** The column behind each sort key. */
export const SORT_COLUMN = {
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  priority: 'priority',
  title: 'title',
  completedAt: 'completed_at',
} as const

const TASK_FIELDS = TASK_COLUMNS.map((column) => column.split(' as ').at(-1)!)

/**
 * Makes `Task`s from rows sent as arrays of values, whatever the order of
 * the columns, as long as they are exactly a task's fields: one object
 * literal, where the driver would add nine properties to each row by name.
 */
export const TASK_ROWS: RowReader<Task> = {
  forColumns(names) {
    if (names.length !== TASK_FIELDS.length) return undefined
    const at = TASK_FIELDS.map((field) => names.indexOf(field))
    if (at.includes(-1)) return undefined
    const [id, userId, title, description, completed, completedAt, priority, createdAt, updatedAt] = at as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ]
    return (values) => ({
      id: values[id] as number,
      userId: values[userId] as string,
      title: values[title] as string,
      description: values[description] as string | null,
      completed: values[completed] as boolean,
      completedAt: values[completedAt] as Date | null,
      priority: values[priority] as number,
      createdAt: values[createdAt] as Date,
      updatedAt: values[updatedAt] as Date,
    })
  },
}
