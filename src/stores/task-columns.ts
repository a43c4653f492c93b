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
