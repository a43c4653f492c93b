// postgres.js with tagged templates and its defaults (prepared statements, its own type parsing).
import postgres from 'postgres'
import {
  containsPattern,
  ownershipFailure,
  PAGE_SIZE,
  type PeerClient,
  type PeerCounts,
  type PeerOptions,
  type PeerTask,
  toPage,
} from './peer-client.js'

export function openPostgresJsPeer(options: PeerOptions): PeerClient {
  const sql = postgres(options.connectionString, {
    max: options.poolMax,
    idle_timeout: options.idleTimeoutMillis / 1000,
    connect_timeout: options.connectionTimeoutMillis / 1000,
    onnotice: () => {},
    ...(options.pipeline === false && { max_pipeline: 0 }),
  })
  const tasks = sql(`${options.schema}.tasks`)
  const columns = sql`id, user_id as "userId", title, description, completed, completed_at as "completedAt",
    priority, created_at as "createdAt", updated_at as "updatedAt"`

  async function owned(task: PeerTask | undefined, taskId: number): Promise<PeerTask> {
    if (task) return task
    const [row] = await sql<{ userId: string }[]>`select user_id as "userId" from ${tasks} where id = ${taskId}`
    return ownershipFailure(taskId, row?.userId)
  }

  return {
    name: 'postgres.js',
    async getTask(userId, taskId) {
      const [task] = await sql<PeerTask[]>`select ${columns} from ${tasks} where id = ${taskId} and user_id = ${userId}`
      return owned(task, taskId)
    },
    async getTasks(userId, query = {}) {
      const { after, search } = query
      const rows = await sql<PeerTask[]>`
        select ${columns} from ${tasks}
        where user_id = ${userId}
        ${query.completed === undefined ? sql`` : sql`and completed = ${query.completed}`}
        ${search === undefined ? sql`` : sql`and (title ilike ${containsPattern(search)} or description ilike ${containsPattern(search)})`}
        ${after ? sql`and (created_at, id) < (${after.createdAt}, ${after.id})` : sql``}
        order by ${sql(query.sort === 'priority' ? 'priority' : 'created_at')} desc, id desc
        limit ${PAGE_SIZE + 1}`
      return toPage(rows)
    },
    async createTask(userId, input) {
      const [task] = await sql<PeerTask[]>`
        insert into ${tasks} (user_id, title, description, priority)
        values (${userId}, ${input.title.trim()}, ${input.description ?? null}, ${input.priority ?? 3})
        returning ${columns}`
      return task!
    },
    async updateTask(userId, taskId, patch) {
      const changes = {
        ...(patch.title !== undefined && { title: patch.title.trim() }),
        ...(patch.priority !== undefined && { priority: patch.priority }),
      }
      const [task] = await sql<PeerTask[]>`
        update ${tasks} set ${sql(changes)}
        where id = ${taskId} and user_id = ${userId}
        returning ${columns}`
      return owned(task, taskId)
    },
    async toggleComplete(userId, taskId) {
      const [task] = await sql<PeerTask[]>`
        update ${tasks} set completed = not completed, completed_at = case when completed then null else now() end
        where id = ${taskId} and user_id = ${userId}
        returning ${columns}`
      return owned(task, taskId)
    },
    async deleteTask(userId, taskId) {
      const [task] = await sql<PeerTask[]>`
        delete from ${tasks} where id = ${taskId} and user_id = ${userId} returning ${columns}`
      return owned(task, taskId)
    },
    async countTasks(userId) {
      const [row] = await sql<Omit<PeerCounts, 'pending'>[]>`
        select count(*)::int as total, (count(*) filter (where completed))::int as completed
        from ${tasks} where user_id = ${userId}`
      const { total, completed } = row!
      return { total, completed, pending: total - completed }
    },
    close: () => sql.end({ timeout: 5 }),
  }
}
