// `npm run build && BENCH_DATABASE_URL=… npx tsx bench/scale-check.ts`: how each operation's cost
// grows from the full bench's 1.1 million tasks to 10 million. See bench/README.md ("Ten million tasks").
import { writeFile } from 'node:fs/promises'
import { type BenchPlan, type DatasetSpec, readPlan, userIds } from './bench-config.js'
import {
  type BenchContext,
  closeContext,
  cursorAtDepth,
  type Fixtures,
  loadFixtures,
  openContext,
  reconnectClients,
  warmPools,
} from './bench-context.js'
import { describeMachine, describePostgres } from './environment-info.js'
import { measureInterleaved } from './measure-interleaved.js'
import { ensureDataset, quote } from './seed-dataset.js'
import { type LatencySummary, summarize } from './stats.js'
import type { TaskStore } from './subject.js'

const RESULTS_FILE = new URL('./results/scale-check.json', import.meta.url)
const HEAVY = [100, 10_000, 100_000]
/** The full bench's data set: 1,110,100 tasks. */
const SMALL: DatasetSpec = {
  name: 'scale',
  schema: 'taskstore_bench_scale_1m',
  users: 10_000,
  tasksPerUser: 100,
  heavyUsers: HEAVY,
  seedVersion: 1,
}
/** Nine times the users, the same heavy ones: 10,010,100 tasks. */
const LARGE: DatasetSpec = { ...SMALL, schema: 'taskstore_bench_scale_10m', users: 99_000 }

interface Operation {
  readonly name: string
  readonly call: (store: TaskStore, fixtures: Fixtures, index: number, deepCursor: string) => Promise<unknown>
}

const HEAVIEST = userIds.heavy(100_000)
const OPERATIONS: readonly Operation[] = [
  {
    name: 'getTask',
    call: (store, { tasks }, index) => {
      const { userId, taskId } = tasks[index % tasks.length]!
      return store.getTask(userId, taskId)
    },
  },
  { name: 'getTasks 100-task user', call: (store, { users }, index) => store.getTasks(users[index % users.length]!) },
  { name: 'getTasks 100k user', call: (store) => store.getTasks(HEAVIEST) },
  { name: 'getTasks 100k deep page', call: (store, _fixtures, _index, cursor) => store.getTasks(HEAVIEST, { cursor }) },
  { name: 'countTasks 100k user', call: (store) => store.countTasks(HEAVIEST) },
  { name: 'createTask', call: (store) => store.createTask(userIds.scratch, { title: 'Scale task', priority: 2 }) },
  {
    name: 'toggleComplete',
    call: (store, { scratchTasks }, index) => {
      const { userId, taskId } = scratchTasks[index % scratchTasks.length]!
      return store.toggleComplete(userId, taskId)
    },
  },
  {
    name: 'updateTask',
    call: (store, { scratchTasks }, index) => {
      const { userId, taskId } = scratchTasks[index % scratchTasks.length]!
      return store.updateTask(userId, taskId, { priority: (index % 5) + 1 })
    },
  },
]

interface Side {
  readonly spec: DatasetSpec
  readonly context: BenchContext
  fixtures?: Fixtures
  deepCursor?: string
}

function log(message: string): void {
  process.stderr.write(`${message}\n`)
}

async function sizes(context: BenchContext): Promise<Record<string, string>> {
  const { rows } = await context.admin.query<{ name: string; size: string }>(
    `select c.relname as name, pg_size_pretty(pg_relation_size(c.oid)) as size
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = $1 and c.relkind in ('r', 'i') and c.relname not like 'bench%'
     order by pg_relation_size(c.oid) desc`,
    [context.schema],
  )
  return Object.fromEntries(rows.map((row) => [row.name, row.size]))
}

/**
 * Buffers (shared hit + read) the default listing of one 100-task user and
 * of the 100,000-task user touch, from EXPLAIN (ANALYZE, BUFFERS): what a
 * clock cannot show, the work itself, at each size.
 */
async function listingBuffers(context: BenchContext, userId: string): Promise<{ hit: number; read: number }> {
  const { rows } = await context.admin.query<{
    'QUERY PLAN': [{ Plan: { 'Shared Hit Blocks': number; 'Shared Read Blocks': number } }]
  }>(
    `explain (analyze, buffers, format json)
     select * from ${quote(context.schema)}.tasks where user_id = $1 order by created_at desc, id desc limit 51`,
    [userId],
  )
  const plan = rows[0]!['QUERY PLAN'][0].Plan
  return { hit: plan['Shared Hit Blocks'], read: plan['Shared Read Blocks'] }
}

async function main(): Promise<number> {
  const read = readPlan(process.argv.slice(2), process.env)
  if ('error' in read) {
    ;(read.exitCode === 0 ? process.stdout : process.stderr).write(`${read.error}\n`)
    return read.exitCode
  }
  const plan: BenchPlan = { ...read.plan, rounds: 8, roundTargetMs: 300, poolMax: 4 }
  const loadAtStart = describeMachine().loadAverage
  log(`Load average at the start: ${loadAtStart.join(', ')} on ${describeMachine().cores} cores.`)
  const sides: Side[] = [SMALL, LARGE].map((spec) => ({ spec, context: openContext({ ...plan, dataset: spec }) }))
  try {
    const postgres = await describePostgres(sides[0]!.context.admin)
    for (const side of sides) {
      const started = performance.now()
      const dataset = await ensureDataset(side.context.admin, side.context.db, side.spec, plan.reseed)
      const seconds = ((performance.now() - started) / 1000).toFixed(0)
      log(
        `${side.spec.schema}: ${dataset.tasks.toLocaleString('en-US')} tasks (${dataset.reused ? 'reused' : 'seeded'}, ${seconds} s).`,
      )
      await warmPools(side.context)
      side.fixtures = await loadFixtures(side.context)
      side.deepCursor = await cursorAtDepth(side.context.store, HEAVIEST, 100_000 - 50)
    }
    const results = []
    log('p50 / p95 in µs, the two data sets interleaved:')
    for (const operation of OPERATIONS) {
      const [small, large] = (
        await measureInterleaved(
          plan,
          sides.map(({ spec, context, fixtures, deepCursor }) => ({
            label: spec.schema,
            run: (index: number) => operation.call(context.store, fixtures!, index, deepCursor!),
          })),
          { beforeRound: async () => Promise.all(sides.map((side) => reconnectClients(side.context))).then(() => {}) },
        )
      ).map(summarize) as [LatencySummary, LatencySummary]
      const ratio = large.p50Us / small.p50Us
      results.push({ operation: operation.name, small, large, ratio })
      log(
        `  ${operation.name.padEnd(24)} 1.1 M: ${small.p50Us} / ${small.p95Us}   10 M: ${large.p50Us} / ${large.p95Us}   → ${ratio.toFixed(3)}×`,
      )
    }
    const buffers = []
    for (const userId of [sides[0]!.fixtures!.users[7]!, HEAVIEST]) {
      const [small, large] = [
        await listingBuffers(sides[0]!.context, userId),
        await listingBuffers(sides[1]!.context, userId),
      ]
      buffers.push({ userId, small, large })
      log(
        `  buffers for a first page of ${userId}: 1.1 M ${small.hit + small.read} (${small.read} read), 10 M ${large.hit + large.read} (${large.read} read)`,
      )
    }
    const relationSizes = { small: await sizes(sides[0]!.context), large: await sizes(sides[1]!.context) }
    for (const [name, size] of Object.entries(relationSizes.large)) {
      log(`  ${name.padEnd(40)} ${(relationSizes.small[name] ?? '—').padStart(8)} → ${size}`)
    }
    await writeFile(
      RESULTS_FILE,
      `${JSON.stringify({ postgres, loadAverageAtStart: loadAtStart, loadAverageAtEnd: describeMachine().loadAverage, results, buffers, relationSizes }, null, 2)}\n`,
    )
    log(`Wrote ${RESULTS_FILE.pathname}.`)
    return 0
  } finally {
    await Promise.all(sides.map((side) => closeContext(side.context)))
  }
}

process.exitCode = await main()
