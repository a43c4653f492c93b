import type { BenchContext, Fixtures } from './bench-context.js'
import { quote } from './seed-dataset.js'
import { type LatencySummary, seededRandom, summarize, timeUs } from './stats.js'
import { createDatabase, createTaskStore, migrateToLatest, type TaskStore, undoThrough } from './subject.js'

/** The writer's tasks in both schemas, copied from the heaviest user so the indexes are as deep. */
const WRITER = 'bench-writer'
/** The listing indexes' migration: the "before" schema stops one step short of it. */
const MEASURED_MIGRATION = '0006_listing_indexes'
/** Write p50 with the listing indexes may be at most this much above without. */
export const WRITE_RATIO_TARGET = 1.1

/** createTask and updateTask without and with the listing indexes, from one run. */
export interface WriteCostResult {
  readonly op: 'createTask' | 'updateTask'
  readonly before: LatencySummary
  readonly after: LatencySummary
  /** after p50 / before p50 */
  readonly ratio: number
  /** With 0006's B-trees but not its trigram index: what the search index alone adds. */
  readonly withoutSearchIndex: LatencySummary
  /** withoutSearchIndex p50 / before p50 */
  readonly ratioWithoutSearchIndex: number
}

interface Side {
  readonly schema: string
  readonly store: TaskStore
  readonly taskIds: number[]
  close(): Promise<void>
}

/**
 * Measures what migration 0006's indexes cost a write: three schemas in
 * the same database, one migrated to the step before it, one to the latest
 * and one to the latest without the trigram index, each holding a copy of
 * the heaviest user's tasks, take turns at createTask and updateTask (which
 * goes first rotates), and the p50s are compared. The schemas are dropped
 * afterwards.
 */
export async function runWriteCost(
  context: BenchContext,
  fixtures: Fixtures,
  iterations: number,
  report: (result: WriteCostResult) => void,
): Promise<WriteCostResult[]> {
  const heaviest = fixtures.heavy.at(-1)!
  const sides: Side[] = []
  try {
    for (const version of ['before', 'after', 'btree_only'] as const) {
      sides.push(await openSide(context, `${context.schema}_writes_${version}`, version, heaviest.userId))
    }
    const random = seededRandom(7)
    const samples = sides.map(() => ({ create: [] as number[], update: [] as number[] }))
    for (let i = 0; i < iterations; i++) {
      const order = [0, 1, 2].map((k) => (k + i) % 3)
      const pick = random()
      for (const s of order) {
        const side = sides[s]!
        samples[s]!.create.push(
          await timeUs(() => side.store.createTask(WRITER, { title: `Write cost ${i}`, priority: 1 + (i % 5) })),
        )
      }
      for (const s of order) {
        const side = sides[s]!
        const taskId = side.taskIds[Math.floor(pick * side.taskIds.length)]!
        samples[s]!.update.push(
          await timeUs(() => side.store.updateTask(WRITER, taskId, { title: `Updated ${i}`, priority: 1 + (i % 5) })),
        )
      }
    }
    const results: WriteCostResult[] = (['create', 'update'] as const).map((kind) => {
      const before = summarize(samples[0]![kind])
      const after = summarize(samples[1]![kind])
      const withoutSearchIndex = summarize(samples[2]![kind])
      return {
        op: kind === 'create' ? 'createTask' : 'updateTask',
        before,
        after,
        ratio: after.p50Us / before.p50Us,
        withoutSearchIndex,
        ratioWithoutSearchIndex: withoutSearchIndex.p50Us / before.p50Us,
      }
    })
    for (const result of results) report(result)
    return results
  } finally {
    for (const side of sides) await side.close()
  }
}

async function openSide(
  context: BenchContext,
  schema: string,
  version: 'before' | 'after' | 'btree_only',
  source: string,
): Promise<Side> {
  await context.admin.query(`drop schema if exists ${quote(schema)} cascade`)
  // Without waiting for the WAL flush at commit: the same for both schemas, and on a shared disk several
  // milliseconds of noise that would hide what the indexes cost.
  const url = new URL(context.plan.connectionString)
  url.searchParams.set('options', '-c synchronous_commit=off')
  const db = createDatabase({ connectionString: url.toString(), schema, pool: { max: 2 } })
  await migrateToLatest(db, { schema })
  if (version === 'before') await undoThrough(db, MEASURED_MIGRATION, { schema })
  const table = `${quote(schema)}.tasks`
  await context.admin.query(`insert into ${quote(schema)}.users (id, email) values ($1, $2)`, [
    WRITER,
    `${WRITER}@bench.example`,
  ])
  await context.admin.query(
    `insert into ${table} (user_id, title, description, completed, completed_at, priority, created_at, updated_at)
     select $1::varchar, title, description, completed, completed_at, priority, created_at, updated_at
     from ${quote(context.schema)}.tasks where user_id = $2`,
    [WRITER, source],
  )
  if (version === 'btree_only') await context.admin.query(`drop index if exists ${quote(schema)}.tasks_search_idx`)
  await context.admin.query(`vacuum analyze ${table}`)
  const { rows } = await context.admin.query<{ id: number }>(`select id from ${table} where user_id = $1`, [WRITER])
  return {
    schema,
    store: createTaskStore(db),
    taskIds: rows.map((row) => row.id),
    async close() {
      await db.destroy()
      await context.admin.query(`drop schema if exists ${quote(schema)} cascade`)
    },
  }
}
