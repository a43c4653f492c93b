import type { BenchContext, Fixtures } from './bench-context.js'
import { captureTemplate } from './bench-context.js'
import { measureInterleaved } from './measure-interleaved.js'
import { createProgressBar } from './progress-bar.js'
import { quote } from './seed-dataset.js'
import { runTemplate } from './sql-recorder.js'
import { type LatencySummary, summarize } from './stats.js'

/** countTasks for the heaviest user before and after bulk updates to its tasks. */
export interface CountResult {
  readonly userTasks: number
  readonly updates: number
  readonly updateSeconds: number
  readonly before: CountPhase
  readonly after: CountPhase
  /** Dead row versions in the tasks table right after the updates (pg_stat_user_tables). */
  readonly deadTuplesAfter: number | null
  /** Whether autovacuum ran on tasks between the updates and the end of the measurement. */
  readonly autovacuumDuringMeasurement: boolean
  /** countTasks agreed with a fresh count(*) after the updates. */
  readonly consistent: boolean
  readonly vacuumSecondsAfter: number
}

interface CountPhase {
  /** taskstore's countTasks. */
  readonly store: LatencySummary
  /** The SQL countTasks sent, run raw. */
  readonly raw: LatencySummary
  /** A plain `count(*)` over the user's rows, whatever the store does. */
  readonly plainCount: LatencySummary
}

const SLICES = 10

/**
 * Measures countTasks for the user with the most tasks, updates every one
 * of its tasks in bulk SQL (priority for all, `completed` flipped for one in
 * ten, so counters must follow), and measures again at once — before any
 * vacuum — next to a plain count(*). Vacuums afterwards to leave the
 * dataset as it was.
 */
export async function runCountSuite(context: BenchContext, fixtures: Fixtures): Promise<CountResult> {
  const largest = fixtures.heavy.at(-1)!
  const tasks = `${quote(context.schema)}.tasks`
  const slots = { userId: largest.userId }
  const template = await captureTemplate(context, (store, { userId }) => store.countTasks(userId), slots)
  const plainSql = `select count(*) as total, count(*) filter (where completed) as completed from ${tasks} where user_id = $1`
  const measure = async (): Promise<CountPhase> => {
    const [store, raw, plainCount] = await measureInterleaved(
      context.plan,
      [
        { label: 'store', run: () => context.store.countTasks(largest.userId) },
        { label: 'raw', run: () => runTemplate(context.raw, template, slots) },
        { label: 'plain count', run: () => context.raw.query(plainSql, [largest.userId]) },
      ],
      { rounds: Math.min(6, context.plan.rounds), minIterations: 20 },
    )
    return { store: summarize(store!), raw: summarize(raw!), plainCount: summarize(plainCount!) }
  }

  const before = await measure()
  const autovacuumBefore = await lastAutovacuum(context)

  const range = await context.admin.query<{ low: number; high: number }>(
    `select min(id) as low, max(id) as high from ${tasks} where user_id = $1`,
    [largest.userId],
  )
  const { low, high } = range.rows[0]!
  const step = Math.ceil((high - low + 1) / SLICES)
  const bar = createProgressBar(
    `Updating ${largest.tasks.toLocaleString('en-US')} tasks of ${largest.userId}`,
    largest.tasks,
  )
  const updateStarted = performance.now()
  let updates = 0
  for (let from = low; from <= high; from += step) {
    const result = await context.admin.query(
      `update ${tasks} set
         priority = priority % 5 + 1,
         completed = case when id % 10 = 0 then not completed else completed end,
         completed_at = case when id % 10 = 0 then (case when completed then null else now() end) else completed_at end
       where user_id = $1 and id between $2 and $3`,
      [largest.userId, from, from + step - 1],
    )
    updates += result.rowCount ?? 0
    bar.advance(result.rowCount ?? 0)
  }
  bar.finish()
  const updateSeconds = (performance.now() - updateStarted) / 1000

  // Statistics reach pg_stat_user_tables within about half a second.
  await new Promise((resolve) => setTimeout(resolve, 1_000))
  const dead = await context.admin.query<{ n_dead_tup: string }>(
    'select n_dead_tup from pg_stat_user_tables where schemaname = $1 and relname = $2',
    [context.schema, 'tasks'],
  )
  const after = await measure()
  const autovacuumAfter = await lastAutovacuum(context)

  const expected = await context.admin.query<{ total: string; completed: string }>(plainSql, [largest.userId])
  const counted = await context.store.countTasks(largest.userId)
  const consistent =
    counted.total === Number(expected.rows[0]!.total) &&
    counted.completed === Number(expected.rows[0]!.completed) &&
    counted.pending === counted.total - counted.completed

  const vacuumStarted = performance.now()
  await context.admin.query(`vacuum analyze ${tasks}`)
  return {
    userTasks: largest.tasks,
    updates,
    updateSeconds,
    before,
    after,
    deadTuplesAfter: dead.rows[0] ? Number(dead.rows[0].n_dead_tup) : null,
    autovacuumDuringMeasurement: autovacuumBefore !== autovacuumAfter,
    consistent,
    vacuumSecondsAfter: (performance.now() - vacuumStarted) / 1000,
  }
}

async function lastAutovacuum(context: BenchContext): Promise<string | null> {
  const { rows } = await context.admin.query<{ runs: string }>(
    `select autovacuum_count::text as runs from pg_stat_user_tables where schemaname = $1 and relname = 'tasks'`,
    [context.schema],
  )
  return rows[0]?.runs ?? null
}
