import { CompiledQuery, sql } from 'kysely'
import { expect, test } from 'vitest'
import { createDatabase, createTaskStore, type QueryLogEvent, type TaskQuery } from '../../src/index.js'
import { describeEachBackend } from '../support/backends.js'

interface PlanNode {
  'Node Type': string
  'Relation Name'?: string
  'Index Cond'?: string
  Plans?: PlanNode[]
}

function sequentialScans(node: PlanNode): string[] {
  const own = node['Node Type'] === 'Seq Scan' ? [node['Relation Name'] ?? '?'] : []
  return [...own, ...(node.Plans ?? []).flatMap(sequentialScans)]
}

describeEachBackend(
  'query plans',
  (context) => {
    test('no user-scoped query scans the tasks table sequentially (60,000 tasks)', async () => {
      const { db, schema } = context()
      const users = sql.id(schema, 'users')
      const tasks = sql.id(schema, 'tasks')
      await sql`insert into ${users} (id, email) select 'user-' || g, 'user' || g || '@example.com' from generate_series(1, 60) g`.execute(
        db,
      )
      await sql`
        insert into ${tasks} (user_id, title, description, priority, completed, completed_at, created_at)
        select 'user-' || (g % 60 + 1), 'task ' || g, case when g % 3 = 0 then 'note ' || g end, g % 5 + 1,
               g % 4 = 0, case when g % 4 = 0 then now() - (g || ' seconds')::interval end, now() - (g || ' minutes')::interval
        from generate_series(1, 60000) g`.execute(db)
      await sql`analyze ${tasks}`.execute(db)

      const events: QueryLogEvent[] = []
      const logged = createDatabase({
        connectionString: process.env.TEST_DATABASE_URL,
        schema,
        log: (event) => events.push(event),
        logParameters: true,
      })
      try {
        const store = createTaskStore(logged)
        const user = 'user-7'
        const first = await store.getTasks(user, { limit: 5 })
        const taskId = first.items[0]!.id
        const queries: TaskQuery[] = [
          { completed: false },
          { priority: 2 },
          { search: '12' },
          { limit: 5, cursor: first.nextCursor! },
        ]
        for (const sort of ['createdAt', 'updatedAt', 'priority', 'title', 'completedAt'] as const) {
          for (const order of ['asc', 'desc'] as const) {
            const page = await store.getTasks(user, { sort, order, limit: 3 })
            queries.push({ sort, order, limit: 3, cursor: page.nextCursor! })
          }
        }
        for (const query of queries) await store.getTasks(user, query)
        await store.getTask(user, taskId)
        await store.updateTask(user, taskId, { priority: 1 })
        await store.toggleComplete(user, taskId)
        await store.countTasks(user)
        await store.clearCompleted(user)
        await store.deleteTask(user, first.items[1]!.id)

        const statements = events.filter((event) => !event.error)
        // control: a query no index serves is reported, so the check below can fail
        const unindexed = await explain(logged, `select * from "${schema}".tasks where description = $1`, ['x'])
        expect(sequentialScans(unindexed)).toEqual(['tasks'])

        expect(statements.length).toBeGreaterThan(25)
        for (const { sql: text, parameters } of statements) {
          const plan = await explain(logged, text, parameters ?? [])
          expect({ text, scans: sequentialScans(plan) }).toEqual({ text, scans: [] })
        }

        // a page after a cursor is bounded by the index on the sort key and the id together
        const mark = events.length
        await store.getTasks(user, { limit: 5, cursor: first.nextCursor! })
        const deep = events[mark]!
        const conditions = indexConditions(await explain(logged, deep.sql, deep.parameters ?? []))
        expect(conditions.join(' ')).toMatch(/ROW\(created_at, id\) < ROW\(/)
      } finally {
        await logged.destroy()
      }
    })
  },
  { only: ['postgres'] },
)

function indexConditions(node: PlanNode): string[] {
  const own = node['Index Cond'] === undefined ? [] : [node['Index Cond']]
  return [...own, ...(node.Plans ?? []).flatMap(indexConditions)]
}

async function explain(
  db: ReturnType<typeof createDatabase>,
  text: string,
  parameters: readonly unknown[],
): Promise<PlanNode> {
  const result = await db.executeQuery<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
    CompiledQuery.raw(`explain (format json) ${text}`, [...parameters]),
  )
  return result.rows[0]!['QUERY PLAN'][0].Plan
}
