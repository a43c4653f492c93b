import { sql } from 'kysely'

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

/** SQL for "now" as the database sees it. */
export const NOW = sql<Date>`now()`

let lastTick = 0

/**
 * A strictly increasing timestamp from this process's clock. pg-mem runs
 * in-process, has no trigger and no interval arithmetic, so the stores use
 * this to move `updated_at` forward on every change there.
 */
export function monotonicNow(): Date {
  lastTick = Math.max(Date.now(), lastTick + 1)
  return new Date(lastTick)
}
