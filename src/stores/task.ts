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

/** Filters, sort and page of `getTasks`. A field given as `undefined` counts as left out. */
export interface TaskQuery {
  completed?: boolean | undefined
  priority?: number | undefined
  /** Case-insensitive substring of title or description; `%` and `_` match themselves. */
  search?: string | undefined
  /** Default `createdAt`. `completedAt` puts incomplete tasks last in either order. */
  sort?: TaskSort | undefined
  /** Default `desc`. Ties are broken by `id` in the same direction. */
  order?: 'asc' | 'desc' | undefined
  /** 1–100, default 50. */
  limit?: number | undefined
  /** The `nextCursor` of the previous page. */
  cursor?: string | undefined
}

/** Filters, sort and page of `listAllTasks`: a `TaskQuery` optionally narrowed to one user. */
export interface AllTasksQuery extends TaskQuery {
  userId?: string | undefined
}

/** A user's task counts. */
export interface TaskCounts {
  total: number
  completed: number
  pending: number
}

/** Reads and writes one user's tasks; every method is scoped to `userId`. */
export interface TaskStore {
  /**
   * Adds a task for the user.
   * @throws {ValidationError} on bad input. {NotFoundError} when the user does not exist.
   * @example
   * ```ts
   * const task = await tasks.createTask(userId, { title: 'Buy milk', priority: 2 })
   * ```
   */
  createTask(
    userId: string,
    input: { title: string; description?: string | null; priority?: number; completed?: boolean },
  ): Promise<Task>
  /**
   * Returns one of the user's tasks.
   * @throws {NotFoundError} no such task. {ForbiddenError} it belongs to another user.
   * @example
   * ```ts
   * const task = await tasks.getTask(userId, 42)
   * ```
   */
  getTask(userId: string, taskId: number): Promise<Task>
  /**
   * Lists the user's tasks, one keyset page at a time.
   * @throws {ValidationError} on a bad query or a cursor from another listing.
   * @example
   * ```ts
   * let page = await tasks.getTasks(userId, { completed: false, limit: 20 })
   * while (page.nextCursor) page = await tasks.getTasks(userId, { completed: false, limit: 20, cursor: page.nextCursor })
   * ```
   */
  getTasks(userId: string, query?: TaskQuery): Promise<Page<Task>>
  /**
   * Changes some fields of a task; `description: null` clears it.
   * @throws {ValidationError} on an empty patch or unknown keys. {NotFoundError}. {ForbiddenError}.
   * @example
   * ```ts
   * const task = await tasks.updateTask(userId, 42, { title: 'Buy oat milk', completed: true })
   * ```
   */
  updateTask(
    userId: string,
    taskId: number,
    patch: { title?: string; description?: string | null; priority?: number; completed?: boolean },
  ): Promise<Task>
  /**
   * Deletes a task and returns it as it was.
   * @throws {NotFoundError}. {ForbiddenError}.
   * @example
   * ```ts
   * const removed = await tasks.deleteTask(userId, 42)
   * ```
   */
  deleteTask(userId: string, taskId: number): Promise<Task>
  /**
   * Flips `completed` in one atomic statement and returns the task after the flip.
   * @throws {NotFoundError}. {ForbiddenError}.
   * @example
   * ```ts
   * const { completed, completedAt } = await tasks.toggleComplete(userId, 42)
   * ```
   */
  toggleComplete(userId: string, taskId: number): Promise<Task>
  /**
   * Counts the user's tasks.
   * @example
   * ```ts
   * const { total, completed, pending } = await tasks.countTasks(userId)
   * ```
   */
  countTasks(userId: string): Promise<TaskCounts>
  /**
   * Deletes the user's completed tasks and returns how many went.
   * @example
   * ```ts
   * const removed = await tasks.clearCompleted(userId)
   * ```
   */
  clearCompleted(userId: string): Promise<number>
  /**
   * Admin and debugging: lists every user's tasks, optionally one user's.
   * @example
   * ```ts
   * const page = await tasks.listAllTasks({ sort: 'updatedAt', limit: 100 })
   * ```
   */
  listAllTasks(query?: AllTasksQuery): Promise<Page<Task>>
}
