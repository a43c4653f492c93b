// Plain Kysely on node-postgres: the query builder per call, no taskstore.
import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import type { Database } from '../../src/index.js'
import {
  containsPattern,
  ownershipFailure,
  PAGE_SIZE,
  type PeerClient,
  type PeerOptions,
  type PeerTask,
  toPage,
} from './peer-client.js'

const COLUMNS = [
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

export function openKyselyPeer(options: PeerOptions): PeerClient {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolMax,
    idleTimeoutMillis: options.idleTimeoutMillis,
    connectionTimeoutMillis: options.connectionTimeoutMillis,
  })
  pool.on('error', () => {})
  const root = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  const db = root.withSchema(options.schema)

  async function owned(task: PeerTask | undefined, taskId: number): Promise<PeerTask> {
    if (task) return task
    const row = await db.selectFrom('tasks').select('user_id').where('id', '=', taskId).executeTakeFirst()
    return ownershipFailure(taskId, row?.user_id)
  }

  return {
    name: 'kysely',
    async getTask(userId, taskId) {
      const task = await db
        .selectFrom('tasks')
        .select(COLUMNS)
        .where('id', '=', taskId)
        .where('user_id', '=', userId)
        .executeTakeFirst()
      return owned(task, taskId)
    },
    async getTasks(userId, query = {}) {
      const column = query.sort === 'priority' ? 'priority' : 'created_at'
      let select = db.selectFrom('tasks').select(COLUMNS).where('user_id', '=', userId)
      if (query.completed !== undefined) select = select.where('completed', '=', query.completed)
      if (query.search !== undefined) {
        const pattern = containsPattern(query.search)
        select = select.where((eb) => eb.or([eb('title', 'ilike', pattern), eb('description', 'ilike', pattern)]))
      }
      const after = query.after
      if (after) {
        select = select.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.createdAt, after.id)))
      }
      const rows = await select
        .orderBy(column, 'desc')
        .orderBy('id', 'desc')
        .limit(PAGE_SIZE + 1)
        .execute()
      return toPage(rows)
    },
    async createTask(userId, input) {
      return db
        .insertInto('tasks')
        .values({
          user_id: userId,
          title: input.title.trim(),
          description: input.description ?? null,
          priority: input.priority ?? 3,
        })
        .returning(COLUMNS)
        .executeTakeFirstOrThrow()
    },
    async updateTask(userId, taskId, patch) {
      const task = await db
        .updateTable('tasks')
        .set({
          ...(patch.title !== undefined && { title: patch.title.trim() }),
          ...(patch.priority !== undefined && { priority: patch.priority }),
        })
        .where('id', '=', taskId)
        .where('user_id', '=', userId)
        .returning(COLUMNS)
        .executeTakeFirst()
      return owned(task, taskId)
    },
    async toggleComplete(userId, taskId) {
      const task = await db
        .updateTable('tasks')
        .set({
          completed: sql<boolean>`not completed`,
          completed_at: sql<Date | null>`case when completed then null else now() end`,
        })
        .where('id', '=', taskId)
        .where('user_id', '=', userId)
        .returning(COLUMNS)
        .executeTakeFirst()
      return owned(task, taskId)
    },
    async deleteTask(userId, taskId) {
      const task = await db
        .deleteFrom('tasks')
        .where('id', '=', taskId)
        .where('user_id', '=', userId)
        .returning(COLUMNS)
        .executeTakeFirst()
      return owned(task, taskId)
    },
    async countTasks(userId) {
      const row = await db
        .selectFrom('tasks')
        .select((eb) => [
          eb.fn.countAll<string>().as('total'),
          sql<string>`count(*) filter (where completed)`.as('completed'),
        ])
        .where('user_id', '=', userId)
        .executeTakeFirstOrThrow()
      const total = Number(row.total)
      const completed = Number(row.completed)
      return { total, completed, pending: total - completed }
    },
    close: () => root.destroy(),
  }
}
