// Pages through one user's tasks in every sort and order, in this process's
// time zone (set TZ in its environment), and prints what it saw as one JSON line:
//   tsx paging-child.ts '{"backend":"memory"}'        seeds the historic tasks itself
//   tsx paging-child.ts '{"backend":"server","reach":{…},"schema":"…","userId":"…"}'
import { type Kysely, sql } from 'kysely'
import { createDatabase, createTaskStore, createUserStore, type Database, type TaskSort } from '../../src/index.js'
import { SORT_COLUMN } from '../../src/stores/task-columns.js'
import { createEmbeddedDatabase, createMemoryDatabase } from '../../src/testing/index.js'
import type { ServerReach } from './backends.js'
import { TEST_SCRYPT } from './fixtures.js'
import { seedHistoricTasks } from './historic-tasks.js'
import { relaySettings } from './neon-relay.js'

/** What the parent asks for. */
export interface PagingRequest {
  readonly backend: 'memory' | 'embedded' | 'server'
  readonly reach?: ServerReach
  readonly schema?: string
  readonly userId?: string
}

/** One listing followed to its end. */
export interface Walk {
  readonly sort: TaskSort
  readonly order: 'asc' | 'desc'
  readonly limit: number
  readonly ids: number[]
  readonly longestCursor: number
}

/** What the child prints. */
export interface PagingReport {
  readonly zone: string
  /** Seconds of 1960-06-01T12:00:00Z in local time: non-zero where the zone then had a local-mean-time offset. */
  readonly localSecondsIn1960: number
  readonly serverTimeZone: string | null
  readonly ids: number[]
  readonly tasks: { id: number; createdAt: number; updatedAt: number; completedAt: number | null }[]
  readonly walks: Walk[]
  /** The database's own ORDER BY for each sort and order, as ids. */
  readonly ordered: Record<string, number[]>
}

const SORTS: readonly TaskSort[] = ['createdAt', 'updatedAt', 'completedAt', 'priority', 'title']
async function open(request: PagingRequest): Promise<{ db: Kysely<Database>; userId: string; ids: number[] }> {
  if (request.backend === 'server') {
    const { connectionString, driver, relayPort } = request.reach!
    const neon = relayPort === undefined ? undefined : await relaySettings(relayPort)
    const db = createDatabase({ connectionString, driver, neon, schema: request.schema })
    return { db, userId: request.userId!, ids: [] }
  }
  const db = request.backend === 'memory' ? await createMemoryDatabase() : await createEmbeddedDatabase()
  const user = await createUserStore(db, { scrypt: TEST_SCRYPT }).createUser({ email: 'historian@example.com' })
  const ids = await seedHistoricTasks(db, user.id)
  return { db, userId: user.id, ids }
}

const request = JSON.parse(process.argv[2] ?? '{}') as PagingRequest
const { db, userId, ids } = await open(request)
try {
  const tasks = createTaskStore(db)
  const all = (await tasks.getTasks(userId, { limit: 100, order: 'asc' })).items
  const walks: Walk[] = []
  const ordered: Record<string, number[]> = {}
  for (const sort of SORTS) {
    for (const order of ['asc', 'desc'] as const) {
      const rows = await db
        .selectFrom('tasks')
        .select('id')
        .where('user_id', '=', userId)
        .orderBy(SORT_COLUMN[sort], (ob) => (order === 'asc' ? ob.asc() : ob.desc()).nullsLast())
        .orderBy('id', order)
        .execute()
      ordered[`${sort} ${order}`] = rows.map((row) => row.id)
      for (const limit of [1, 4]) {
        const seen: number[] = []
        let longestCursor = 0
        let cursor: string | undefined
        // a listing that repeats a page forever stops here and shows as too many ids
        for (let page = 0; page <= all.length + 1; page++) {
          const result = await tasks.getTasks(userId, { sort, order, limit, cursor })
          seen.push(...result.items.map((task) => task.id))
          if (!result.nextCursor) break
          cursor = result.nextCursor
          longestCursor = Math.max(longestCursor, cursor.length)
        }
        walks.push({ sort, order, limit, ids: seen, longestCursor })
      }
    }
  }
  const serverTimeZone =
    request.backend === 'memory'
      ? null
      : (await sql<{ zone: string }>`select current_setting('TimeZone') as zone`.execute(db)).rows[0]!.zone
  const report: PagingReport = {
    zone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    localSecondsIn1960: new Date(Date.UTC(1960, 5, 1, 12)).getSeconds(),
    serverTimeZone,
    ids,
    tasks: all.map((task) => ({
      id: task.id,
      createdAt: task.createdAt.getTime(),
      updatedAt: task.updatedAt.getTime(),
      completedAt: task.completedAt?.getTime() ?? null,
    })),
    walks,
    ordered,
  }
  console.log(JSON.stringify(report))
} finally {
  await db.destroy()
}
