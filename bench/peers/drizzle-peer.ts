// Drizzle ORM's query builder on node-postgres, keyset pages as Drizzle's cursor-pagination guide writes them.
import { and, count, desc, eq, ilike, lt, or, sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/node-postgres'
import { boolean, integer, pgSchema, smallint, text, timestamp, varchar } from 'drizzle-orm/pg-core'
import pg from 'pg'
import {
  containsPattern,
  ownershipFailure,
  PAGE_SIZE,
  type PeerClient,
  type PeerOptions,
  type PeerTask,
  toPage,
} from './peer-client.js'

/** taskstore's `tasks` table, declared by hand in the schema the benchmark seeded. */
function tasksTable(schema: string) {
  const time = (name: string) => timestamp(name, { withTimezone: true, precision: 3 })
  return pgSchema(schema).table('tasks', {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    userId: varchar('user_id', { length: 36 }).notNull(),
    title: text('title').notNull(),
    description: text('description'),
    completed: boolean('completed').notNull().default(false),
    completedAt: time('completed_at'),
    priority: smallint('priority').notNull().default(3),
    createdAt: time('created_at').notNull().defaultNow(),
    updatedAt: time('updated_at').notNull().defaultNow(),
  })
}

export function openDrizzlePeer(options: PeerOptions): PeerClient {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolMax,
    idleTimeoutMillis: options.idleTimeoutMillis,
    connectionTimeoutMillis: options.connectionTimeoutMillis,
  })
  pool.on('error', () => {})
  const db = drizzle({ client: pool })
  const tasks = tasksTable(options.schema)

  async function owned(task: PeerTask | undefined, taskId: number): Promise<PeerTask> {
    if (task) return task
    const [row] = await db.select({ userId: tasks.userId }).from(tasks).where(eq(tasks.id, taskId))
    return ownershipFailure(taskId, row?.userId)
  }

  const byOwner = (userId: string, taskId: number) => and(eq(tasks.id, taskId), eq(tasks.userId, userId))

  return {
    name: 'drizzle',
    async getTask(userId, taskId) {
      const [task] = await db.select().from(tasks).where(byOwner(userId, taskId))
      return owned(task, taskId)
    },
    async getTasks(userId, query = {}) {
      const { after, search } = query
      const pattern = search === undefined ? undefined : containsPattern(search)
      const rows = await db
        .select()
        .from(tasks)
        .where(
          and(
            eq(tasks.userId, userId),
            query.completed === undefined ? undefined : eq(tasks.completed, query.completed),
            pattern === undefined ? undefined : or(ilike(tasks.title, pattern), ilike(tasks.description, pattern)),
            after
              ? or(
                  lt(tasks.createdAt, after.createdAt),
                  and(eq(tasks.createdAt, after.createdAt), lt(tasks.id, after.id)),
                )
              : undefined,
          ),
        )
        .orderBy(query.sort === 'priority' ? desc(tasks.priority) : desc(tasks.createdAt), desc(tasks.id))
        .limit(PAGE_SIZE + 1)
      return toPage(rows)
    },
    async createTask(userId, input) {
      const [task] = await db
        .insert(tasks)
        .values({
          userId,
          title: input.title.trim(),
          description: input.description ?? null,
          priority: input.priority ?? 3,
        })
        .returning()
      return task!
    },
    async updateTask(userId, taskId, patch) {
      const [task] = await db
        .update(tasks)
        .set({
          ...(patch.title !== undefined && { title: patch.title.trim() }),
          ...(patch.priority !== undefined && { priority: patch.priority }),
        })
        .where(byOwner(userId, taskId))
        .returning()
      return owned(task, taskId)
    },
    async toggleComplete(userId, taskId) {
      const [task] = await db
        .update(tasks)
        .set({
          completed: sql`not ${tasks.completed}`,
          completedAt: sql`case when ${tasks.completed} then null else now() end`,
        })
        .where(byOwner(userId, taskId))
        .returning()
      return owned(task, taskId)
    },
    async deleteTask(userId, taskId) {
      const [task] = await db.delete(tasks).where(byOwner(userId, taskId)).returning()
      return owned(task, taskId)
    },
    async countTasks(userId) {
      const [row] = await db
        .select({ total: count(), completed: sql<number>`count(*) filter (where ${tasks.completed})`.mapWith(Number) })
        .from(tasks)
        .where(eq(tasks.userId, userId))
      const { total, completed } = row!
      return { total, completed, pending: total - completed }
    },
    close: () => pool.end(),
  }
}
