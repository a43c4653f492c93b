import type { Kysely, Transaction } from 'kysely'
import { sql } from 'kysely'
import { capabilitiesOf } from '../db/database-capabilities.js'
import { asTaskstoreDatabase, type Database } from '../db/taskstore-database.js'
import { databaseAttributes, traceCalls } from '../tracing/tracing.js'
import {
  allTasksQuerySchema,
  parseInput,
  parseTaskId,
  parseTaskInput,
  parseTaskPatch,
  parseTaskQuery,
  parseUserId,
} from '../validation/index.js'
import { patchAssignments } from './patch-assignments.js'
import { QueryRunner } from './query-runner.js'
import { placeholder } from './query-template.js'
import type { Task, TaskStore } from './task.js'
import { TASK_COLUMNS } from './task-columns.js'
import { createTaskCounter } from './task-counter.js'
import { createOwnedTaskAccess } from './task-ownership.js'
import { createTaskPages } from './task-pages.js'
import { updatedAtFor } from './updated-at.js'

// The column each field of a task patch sets.
const TASK_PATCH_COLUMNS = {
  title: 'title',
  description: 'description',
  priority: 'priority',
  completed: 'completed',
} as const satisfies Record<string, keyof Database['tasks']>

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
  const counter = createTaskCounter(db, runner, can.triggers)
  const { one: oneOwnedTask, byOwner } = createOwnedTaskAccess(db, runner, updatedAt)
  const list = createTaskPages(db, runner, can)

  return traceCalls<TaskStore>(
    {
      async createTask(userId, input) {
        const owner = parseUserId(userId, 'userId')
        const task = parseTaskInput(input)
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
        const changes = parseTaskPatch(patch)
        const { fields, set } = patchAssignments(changes, TASK_PATCH_COLUMNS, updatedAt)
        return oneOwnedTask(
          `update:${fields}`,
          () =>
            byOwner(
              db
                .updateTable('tasks')
                .set({
                  ...set(),
                  // completedAt changes only when completed does
                  ...(changes.completed !== undefined && {
                    completed_at: sql`case when ${placeholder('completed')}::boolean then coalesce(completed_at, now()) end`,
                  }),
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
