import type { TASK_SORTS } from '../validation/index.js'

/** A task as the stores return it. */
export interface Task {
  id: number
  userId: string
  title: string
  description: string | null
  completed: boolean
  /** When the task last became complete; null while it is incomplete. */
  completedAt: Date | null
  /** 1 (highest) … 5; 3 by default. */
  priority: number
  createdAt: Date
  updatedAt: Date
}

/** One page of a keyset-paginated listing. */
export interface Page<T> {
  items: T[]
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null
}

/** A sort key of task listings. */
export type TaskSort = (typeof TASK_SORTS)[number]

/** Filters, sort and page of `getTasks`. */
export interface TaskQuery {
  completed?: boolean
  priority?: number
  /** Case-insensitive substring of title or description; `%` and `_` match themselves. */
  search?: string
  /** Default `createdAt`. `completedAt` puts incomplete tasks last in either order. */
  sort?: TaskSort
  /** Default `desc`. Ties are broken by `id` in the same direction. */
  order?: 'asc' | 'desc'
  /** 1–100, default 50. */
  limit?: number
  /** The `nextCursor` of the previous page. */
  cursor?: string
}

/** Filters, sort and page of `listAllTasks`: a `TaskQuery` optionally narrowed to one user. */
export interface AllTasksQuery extends TaskQuery {
  userId?: string
}

/** A user's task counts. */
export interface TaskCounts {
  total: number
  completed: number
  pending: number
}
