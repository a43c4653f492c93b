// `npm run build && BENCH_DATABASE_URL=… npx tsx bench/count-check.ts`: the targeted run for how
// task counts are kept. See bench/README.md ("Checking the task counts").
import { mkdir, writeFile } from 'node:fs/promises'
import { type BenchPlan, type DatasetSpec, readPlan, userIds } from './bench-config.js'
import {
  type BenchContext,
  captureTemplate,
  closeContext,
  type Fixtures,
  loadFixtures,
  openContext,
  reconnectClients,
  warmPools,
} from './bench-context.js'
import { type CountResult, runCountSuite } from './count-suite.js'
import { describeMachine, describePostgres } from './environment-info.js'
import { freshScratchTasks } from './latency-suite.js'
import { measureInterleaved } from './measure-interleaved.js'
import { ensureDataset, quote } from './seed-dataset.js'
import { runTemplate, type Slots } from './sql-recorder.js'
import { type LatencySummary, summarize } from './stats.js'
import { type TaskStore, undoThrough } from './subject.js'

const RESULTS_FILE = new URL('./results/count-check.json', import.meta.url)
/**
 * Passes over the write operations. On two shared cores one pass's p50s
 * move by 10–20 % with the machine's load; the median ratio over passes
 * is what the target is checked against.
 */
const WRITE_PASSES = 3

/** Enough users that the indexes are as deep as the full data set's, and the 100,000-task user the target names. */
const DATASET: DatasetSpec = {
  name: 'full',
  schema: 'taskstore_bench_counts',
  users: 2_000,
  tasksPerUser: 100,
  heavyUsers: [100, 10_000, 100_000],
  seedVersion: 1,
}
/**
 * The same data set with 0004's counter rows instead of today's counts, for the write comparison: migrated
 * down through 0005, then given the tasks table's later indexes, so only the counting differs.
 */
const BASELINE: DatasetSpec = { ...DATASET, schema: 'taskstore_bench_counts_0004' }

interface WriteOp {
  readonly name: string
  readonly call: (store: TaskStore, slots: Slots) => Promise<unknown>
  /** Each call needs a task of its own (deleteTask). */
  readonly consumesTasks?: boolean
}

const WRITE_OPS: readonly WriteOp[] = [
  {
    name: 'createTask',
    call: (store, { userId }) => store.createTask(userId, { title: 'Benchmark task', priority: 2 }),
  },
  { name: 'toggleComplete', call: (store, { userId, taskId }) => store.toggleComplete(userId, taskId!) },
  { name: 'deleteTask', call: (store, { userId, taskId }) => store.deleteTask(userId, taskId!), consumesTasks: true },
  { name: 'updateTask', call: (store, { userId, taskId }) => store.updateTask(userId, taskId!, { priority: 4 }) },
]

/** One write operation: taskstore and raw `pg` on the new schema and on the 0004 one, interleaved. */
interface WriteResult {
  readonly op: string
  readonly store: LatencySummary
  readonly raw: LatencySummary
  readonly store0004: LatencySummary
  readonly raw0004: LatencySummary
  /** taskstore now over taskstore at 0004: the regression the target bounds (≤ 1.05). */
  readonly storeRatio: number
  /** Raw `pg` sending today's SQL, on the new schema over the 0004 one: the server-side part of it. */
  readonly rawRatio: number
}

/**
 * Gives `target`'s tasks table the indexes `source`'s has, by name, and drops those it lacks: the migrations
 * after 0005 change the indexes every write maintains, which is not what the comparison is about.
 */
async function matchTaskIndexes(source: BenchContext, target: BenchContext): Promise<string[]> {
  const indexes = async (context: BenchContext) => {
    const { rows } = await context.admin.query<{ indexname: string; indexdef: string }>(
      `select indexname, indexdef from pg_indexes where schemaname = $1 and tablename = 'tasks'`,
      [context.schema],
    )
    return new Map(rows.map((row) => [row.indexname, row.indexdef]))
  }
  const wanted = await indexes(source)
  const present = await indexes(target)
  const changes: string[] = []
  for (const name of present.keys()) {
    if (wanted.has(name)) continue
    await target.admin.query(`drop index ${quote(target.schema)}.${quote(name)}`)
    changes.push(`dropped ${name}`)
  }
  const onSource = ` ON ${source.schema}.tasks `
  for (const [name, definition] of wanted) {
    if (present.has(name)) continue
    if (!definition.includes(onSource)) throw new Error(`unexpected index definition: ${definition}`)
    await target.admin.query(definition.replace(onSource, ` ON ${quote(target.schema)}.tasks `))
    changes.push(`created ${name}`)
  }
  return changes
}

function log(message: string): void {
  process.stderr.write(`${message}\n`)
}

async function measureWrites(
  now: BenchContext,
  nowFixtures: Fixtures,
  before: BenchContext,
  beforeFixtures: Fixtures,
): Promise<WriteResult[]> {
  const results: WriteResult[] = []
  for (const op of WRITE_OPS) {
    const sides = []
    for (const [context, fixtures, suffix] of [
      [now, nowFixtures, ''],
      [before, beforeFixtures, ' 0004'],
    ] as const) {
      const slotsAt = (index: number): Slots =>
        op.name === 'createTask'
          ? { userId: userIds.scratch }
          : fixtures.scratchTasks[index % fixtures.scratchTasks.length]!
      const sentinel = op.consumesTasks ? (await freshScratchTasks(context, 1))[0]! : slotsAt(0)
      const template = await captureTemplate(context, op.call, sentinel)
      for (const client of ['store', 'raw'] as const) {
        let own: Slots[] = []
        sides.push({
          label: `${client}${suffix}`,
          run: (index: number, position: number) => {
            const slots = op.consumesTasks ? own[position]! : slotsAt(index)
            return client === 'store' ? op.call(context.store, slots) : runTemplate(context.raw, template, slots)
          },
          prepare: op.consumesTasks
            ? async (iterations: number) => {
                own = await freshScratchTasks(context, iterations)
              }
            : undefined,
        })
      }
    }
    const [store, raw, store0004, raw0004] = (
      await measureInterleaved(now.plan, sides, {
        beforeRound: async () => {
          await reconnectClients(now)
          await reconnectClients(before)
        },
      })
    ).map(summarize) as [LatencySummary, LatencySummary, LatencySummary, LatencySummary]
    const result = {
      op: op.name,
      store,
      raw,
      store0004,
      raw0004,
      storeRatio: store.p50Us / store0004.p50Us,
      rawRatio: raw.p50Us / raw0004.p50Us,
    }
    log(
      `  ${op.name.padEnd(15)} p50 µs: store ${store.p50Us}, raw ${raw.p50Us}; at 0004: store ${store0004.p50Us}, raw ${raw0004.p50Us}` +
        ` → store ${result.storeRatio.toFixed(3)}×, raw ${result.rawRatio.toFixed(3)}× of 0004`,
    )
    results.push(result)
  }
  return results
}

/** Per operation, the median over passes of both ratios. */
function medianRatios(passes: readonly WriteResult[][]) {
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!
  return passes[0]!.map(({ op }, index) => ({
    op,
    storeRatio: median(passes.map((pass) => pass[index]!.storeRatio)),
    rawRatio: median(passes.map((pass) => pass[index]!.rawRatio)),
  }))
}

function countLine(label: string, count: CountResult['before']): string {
  const p = (summary: LatencySummary) => `${summary.p50Us} / ${summary.p95Us}`
  return `  ${label}: countTasks p50/p95 ${p(count.store)} µs, raw ${p(count.raw)} µs, plain count(*) ${p(count.plainCount)} µs`
}

async function main(): Promise<number> {
  const read = readPlan(process.argv.slice(2), process.env)
  if ('error' in read) {
    ;(read.exitCode === 0 ? process.stdout : process.stderr).write(`${read.error}\n`)
    return read.exitCode
  }
  const plan: BenchPlan = { ...read.plan, dataset: DATASET, rounds: 10, roundTargetMs: 300, poolMax: 4 }
  const startedAt = new Date().toISOString()
  const loadAtStart = describeMachine().loadAverage
  log(`Load average at the start: ${loadAtStart.join(', ')} on ${describeMachine().cores} cores.`)
  const now = openContext(plan)
  const before = openContext({ ...plan, dataset: BASELINE })
  try {
    const postgres = await describePostgres(now.admin)
    for (const [context, spec] of [
      [now, DATASET],
      [before, BASELINE],
    ] as const) {
      // The baseline is always seeded afresh: migrating a reused one up would meet the indexes given to it below.
      const dataset = await ensureDataset(context.admin, context.db, spec, plan.reseed || spec === BASELINE)
      log(`${spec.schema}: ${dataset.tasks.toLocaleString('en-US')} tasks${dataset.reused ? ' (reused)' : ''}.`)
    }
    // ensureDataset migrates to the latest step; the baseline goes back to 0004's counter rows.
    const undone = await undoThrough(before.db, '0005_task_count_deltas')
    log(`${BASELINE.schema}: migrated down (${undone.join(', ')}).`)
    const aligned = await matchTaskIndexes(now, before)
    log(`${BASELINE.schema}: tasks indexes as in ${DATASET.schema} (${aligned.join('; ') || 'already'}).`)
    await before.admin.query(`vacuum analyze ${quote(BASELINE.schema)}.task_counts`)
    for (const context of [now, before]) await warmPools(context)
    const nowFixtures = await loadFixtures(now)
    const beforeFixtures = await loadFixtures(before)

    const passes: WriteResult[][] = []
    for (let pass = 1; pass <= WRITE_PASSES; pass++) {
      log(`Writes, taskstore and raw pg on this schema and on the one at 0004, interleaved (pass ${pass}):`)
      passes.push(await measureWrites(now, nowFixtures, before, beforeFixtures))
    }
    const writes = medianRatios(passes)
    for (const { op, storeRatio, rawRatio } of writes) {
      log(`  median over passes, ${op}: store ${storeRatio.toFixed(3)}×, raw ${rawRatio.toFixed(3)}× of 0004`)
    }
    log('countTasks for the 100,000-task user before and after 100,000 updates (no VACUUM in between):')
    const count = await runCountSuite(now, nowFixtures)
    log(countLine('before', count.before))
    log(countLine('after ', count.after))
    log(`  dead tuples after the updates: ${count.deadTuplesAfter}; consistent: ${count.consistent}`)

    const results = {
      startedAt,
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: describeMachine().loadAverage,
      machine: describeMachine(),
      postgres,
      dataset: DATASET,
      writes,
      writePasses: passes,
      count,
      targets: {
        countP95Under10ms: count.after.store.p95Us < 10_000,
        writesWithin5Percent: writes
          .filter((write) => write.op !== 'updateTask')
          .every((write) => write.storeRatio <= 1.05),
      },
    }
    await mkdir(new URL('./', RESULTS_FILE), { recursive: true })
    await writeFile(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`)
    process.stdout.write(
      `${JSON.stringify({ targets: results.targets, loadAverageAtEnd: results.loadAverageAtEnd })}\n`,
    )
    log(`Wrote ${RESULTS_FILE.pathname}.`)
    return 0
  } finally {
    await closeContext(now)
    await closeContext(before)
  }
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    log(`Count check failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
    process.exitCode = 1
  },
)
