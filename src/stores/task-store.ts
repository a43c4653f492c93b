import { type Kysely, sql, type Transaction } from 'kysely'
import { capabilitiesOf } from '../db/database-capabilities.js'
import { ANY_USER } from '../db/read-tokens.js'
import { asTaskstoreDatabase, type Database } from '../db/taskstore-database.js'
import { ForbiddenError, NotFoundError } from '../errors/index.js'
import { databaseAttributes, traceCalls } from '../tracing/tracing.js'
import {
  allTasksQuerySchema,
  parseInput,
  parseTaskId,
  parseTaskQuery,
  parseUserId,
  taskInputSchema,
  taskPatchSchema,
} from '../validation/index.js'
import { type QueryBuild, QueryRunner, type Route } from './query-runner.js'
import { placeholder } from './query-template.js'
import type { AllTasksQuery, Page, Task, TaskCounts, TaskQuery } from './task.js'
import { TASK_COLUMNS } from './task-columns.js'
import { createTaskCounter } from './task-counter.js'
import {
  cursorScope,
  decodeCursor,
  encodeCursor,
  PG_MEM_TIMES,
  POSTGRES_TIMES,
  positionParameter,
} from './task-cursor.js'
import { buildListing, containsPattern, type ListingShape, shapeKey } from './task-listing.js'
import { updatedAtFor } from './updated-at.js'

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

const DEFAULT_LIMIT = 50

/**
 * Creates the task store over a database or a transaction. Given a
 * transaction, every call joins it, so a host composes several calls
 * atomically.
 *
 * @example
 * ```ts
 * const tasks = createTaskStore(db)
 * await db.transaction().execute(async (trx) => {
 *   const inTrx = createTaskStore(trx)
 *   await inTrx.createTask(userId, { title: 'Plan the week' })
 *   await inTrx.clearCompleted(userId)
 * })
 * ```
 */
export function createTaskStore<DB extends Database>(database: Kysely<DB> | Transaction<DB>): TaskStore {
  const db = asTaskstoreDatabase(database)
  const can = capabilitiesOf(db)
  const runner = new QueryRunner(db)
  const run = runner.run.bind(runner)
  const updatedAt = updatedAtFor(can.triggers)
  const cursorTimes = can.fullTimestampRange ? POSTGRES_TIMES : PG_MEM_TIMES
  const counter = createTaskCounter(db, runner, can.triggers)

  /** Called only after a scoped statement matched nothing: tells "someone else's" from "no such task". */
  async function ownershipFailure(taskId: number): Promise<never> {
    const { rows } = await run<{ userId: string }>(
      'owner',
      () => db.selectFrom('tasks').select('user_id as userId').where('id', '=', placeholder<number>('taskId')),
      { taskId },
    )
    if (rows.length > 0) throw new ForbiddenError(`Task ${taskId} belongs to another user`)
    throw new NotFoundError(`Task ${taskId} does not exist`)
  }

  async function oneOwnedTask(
    key: string,
    build: QueryBuild,
    userId: string,
    taskId: number,
    extra: Record<string, unknown> = {},
    access: 'read' | 'write' = 'write',
  ) {
    const values = { userId, taskId, now: updatedAt.bind(), ...extra }
    const route: Route = access === 'read' ? { read: userId } : { write: [userId] }
    const { rows } = await run<Task>(key, build, values, {}, route)
    if (rows[0]) return rows[0]
    // a replica may lack a task made outside this database: the primary decides before any error
    if (access === 'read') {
      const { rows: fromPrimary } = await run<Task>(key, build, values)
      if (fromPrimary[0]) return fromPrimary[0]
    }
    return ownershipFailure(taskId)
  }

  const byOwner = <Q extends { where: (...args: never[]) => Q }>(query: Q) =>
    (query as any)
      .where('id', '=', placeholder<number>('taskId'))
      .where('user_id', '=', placeholder<string>('userId')) as Q

  async function list(scope: 'user' | 'all', owner: string | undefined, query: AllTasksQuery): Promise<Page<Task>> {
    const limit = query.limit ?? DEFAULT_LIMIT
    const sort = query.sort ?? 'createdAt'
    const order = query.order ?? 'desc'
    const cursorKey = cursorScope([
      scope,
      owner ?? null,
      sort,
      order,
      query.completed ?? null,
      query.priority ?? null,
      query.search ?? null,
    ])
    const position = query.cursor === undefined ? undefined : decodeCursor(cursorKey, sort, query.cursor, cursorTimes)
    const shape: ListingShape = {
      scope,
      byUser: owner !== undefined,
      sort,
      order,
      completed: query.completed !== undefined,
      priority: query.priority !== undefined,
      search: query.search !== undefined,
      after: position === undefined ? 'start' : position.value === null ? 'null' : 'value',
      rowComparison: can.rowComparison,
      likeEscape: can.likeEscape,
      orderedSubqueries: can.orderedSubqueries,
    }
    const search =
      query.search === undefined ? undefined : can.likeEscape ? containsPattern(query.search) : query.search
    const { rows } = await run<Task>(
      shapeKey(shape),
      () => buildListing(db, shape),
      {
        userId: owner,
        completed: query.completed,
        priority: query.priority,
        search,
        afterValue: position && positionParameter(position, sort),
        afterId: position?.id,
        limit: limit + 1,
      },
      {},
      { read: owner ?? ANY_USER },
    )
    if (rows.length <= limit) return { items: rows, nextCursor: null }
    rows.length = limit
    const last = rows[limit - 1]!
    return { items: rows, nextCursor: encodeCursor(cursorKey, { value: last[sort], id: last.id }) }
  }

  return traceCalls<TaskStore>(
    {
      async createTask(userId, input) {
        const owner = parseUserId(userId, 'userId')
        const task = parseInput(taskInputSchema, input)
        const { rows } = await run<Task>(
          'create',
          () =>
            db
              .insertInto('tasks')
              .values({
                user_id: placeholder('userId'),
                title: placeholder('title'),
                description: placeholder('description'),
                priority: placeholder('priority'),
                completed: placeholder('completed'),
                completed_at: sql`case when ${placeholder('completed')}::boolean then now() end`,
              })
              .returning(TASK_COLUMNS),
          {
            userId: owner,
            title: task.title,
            description: task.description ?? null,
            priority: task.priority ?? 3,
            completed: task.completed ?? false,
          },
          { missingReference: `User ${owner} does not exist`, generatesId: 'The tasks table' },
          { write: [owner] },
        )
        return rows[0]!
      },

      async getTask(userId, taskId) {
        const owner = parseUserId(userId, 'userId')
        const id = parseTaskId(taskId, 'taskId')
        return oneOwnedTask('get', () => byOwner(db.selectFrom('tasks').select(TASK_COLUMNS)), owner, id, {}, 'read')
      },

      async getTasks(userId, query = {}) {
        const owner = parseUserId(userId, 'userId')
        const q = parseTaskQuery(query)
        return list('user', owner, q)
      },

      async updateTask(userId, taskId, patch) {
        const owner = parseUserId(userId, 'userId')
        const id = parseTaskId(taskId, 'taskId')
        const changes = parseInput(taskPatchSchema, patch)
        const fields = (['title', 'description', 'priority', 'completed'] as const).filter(
          (field) => changes[field] !== undefined,
        )
        return oneOwnedTask(
          `update:${fields.join(',')}`,
          () =>
            byOwner(
              db
                .updateTable('tasks')
                .set({
                  ...(changes.title !== undefined && { title: placeholder('title') }),
                  ...(changes.description !== undefined && { description: placeholder('description') }),
                  ...(changes.priority !== undefined && { priority: placeholder('priority') }),
                  ...(changes.completed !== undefined && {
                    completed: placeholder('completed'),
                    // completedAt changes only when completed does
                    completed_at: sql`case when ${placeholder('completed')}::boolean then coalesce(completed_at, now()) end`,
                  }),
                  updated_at: updatedAt.value,
                })
                .returning(TASK_COLUMNS),
            ),
          owner,
          id,
          changes,
        )
      },

      async deleteTask(userId, taskId) {
        const owner = parseUserId(userId, 'userId')
        const id = parseTaskId(taskId, 'taskId')
        return oneOwnedTask('delete', () => byOwner(db.deleteFrom('tasks').returning(TASK_COLUMNS)), owner, id)
      },

      async toggleComplete(userId, taskId) {
        const owner = parseUserId(userId, 'userId')
        const id = parseTaskId(taskId, 'taskId')
        // One statement: SET reads the row's values before the update, and the
        // row lock serialises concurrent toggles, so none is ever lost.
        return oneOwnedTask(
          'toggle',
          () =>
            byOwner(
              db
                .updateTable('tasks')
                .set({
                  completed: sql`not completed`,
                  completed_at: sql`case when completed then null else now() end`,
                  updated_at: updatedAt.value,
                })
                .returning(TASK_COLUMNS),
            ),
          owner,
          id,
        )
      },

      async countTasks(userId) {
        return counter.count(parseUserId(userId, 'userId'))
      },

      async clearCompleted(userId) {
        const owner = parseUserId(userId, 'userId')
        const result = await run(
          'clear',
          () =>
            db.deleteFrom('tasks').where('user_id', '=', placeholder<string>('userId')).where('completed', '=', true),
          { userId: owner },
          {},
          { write: [owner] },
        )
        return Number(result.numAffectedRows ?? 0n)
      },

      async listAllTasks(query = {}) {
        const q = parseInput(allTasksQuerySchema, query)
        return list('all', q.userId, q)
      },
    },
    () => databaseAttributes(db),
  )
}
