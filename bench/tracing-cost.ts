// `npm run build && BENCH_DATABASE_URL=… npx tsx bench/tracing-cost.ts`: what tracing costs a store
// call, with no tracer provider registered and with one. See bench/README.md ("Tracing").
import { writeFile } from 'node:fs/promises'
import { type TracerProvider as ApiTracerProvider, context, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { BatchSpanProcessor, type SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace'
import { QueryTracer, traceCalls } from '../src/tracing/tracing.js'
import { readPlan } from './bench-config.js'
import { type Contender, measureInterleaved } from './measure-interleaved.js'
import { summarize } from './stats.js'
import { createDatabase, createTaskStore, migrateToLatest } from './subject.js'

const RESULTS_FILE = new URL('./results/tracing-cost.json', import.meta.url)
const SCHEMA = 'taskstore_bench_tracing'
const TASKS = 1_000
const MICRO_CALLS = 200_000

/** Takes every span and keeps none: the cost of recording and exporting, not of any backend. */
const discardingExporter: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: async () => {},
}

const chosen = readPlan(process.argv.slice(2), process.env)
if ('error' in chosen) {
  console.error(chosen.error)
  process.exit(chosen.exitCode)
}
const { plan } = chosen

const provider = new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter: discardingExporter })] })
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
let registered: ApiTracerProvider | undefined
function register(next: ApiTracerProvider | undefined): void {
  if (registered === next) return
  trace.disable()
  if (next) trace.setGlobalTracerProvider(next)
  registered = next
}

/** µs per call of `work`, over many calls: the CPU a wrapper adds, far below what one query's timing resolves. */
async function microUs(work: () => Promise<unknown> | unknown): Promise<number> {
  for (let i = 0; i < 10_000; i++) await work()
  const started = performance.now()
  for (let i = 0; i < MICRO_CALLS; i++) await work()
  return ((performance.now() - started) * 1000) / MICRO_CALLS
}

const db = createDatabase({ connectionString: plan.connectionString, schema: SCHEMA, pool: { max: 4 } })
try {
  await migrateToLatest(db)
  await db.deleteFrom('users').execute()
  await db.insertInto('users').values({ id: 'tracing-user', email: 'tracing@example.com' }).execute()
  const tasks = createTaskStore(db)
  const ids: number[] = []
  for (let i = 0; i < TASKS; i++) ids.push((await tasks.createTask('tracing-user', { title: `task ${i}` })).id)

  const operations: Record<string, (index: number) => Promise<unknown>> = {
    getTask: (index) => tasks.getTask('tracing-user', ids[index % TASKS]!),
    toggleComplete: (index) => tasks.toggleComplete('tracing-user', ids[index % TASKS]!),
    countTasks: () => tasks.countTasks('tracing-user'),
  }
  const interleaved: Record<string, { withoutProviderUs: number; withProviderUs: number; ratio: number }> = {}
  console.log(
    'p50 of store calls, no tracer provider vs one registered (batch processor, spans discarded), interleaved:',
  )
  for (const [name, call] of Object.entries(operations)) {
    const contenders: Contender[] = [
      {
        label: 'no provider',
        run: (index) => {
          register(undefined)
          return call(index)
        },
      },
      {
        label: 'provider',
        run: (index) => {
          register(provider)
          return call(index)
        },
      },
    ]
    const [without, withProvider] = (await measureInterleaved(plan, contenders)).map(summarize)
    const ratio = withProvider!.p50Us / without!.p50Us
    interleaved[name] = { withoutProviderUs: without!.p50Us, withProviderUs: withProvider!.p50Us, ratio }
    console.log(`  ${name.padEnd(15)} ${without!.p50Us} µs → ${withProvider!.p50Us} µs  (${ratio.toFixed(3)}×)`)
  }
  register(undefined)

  // With no provider the tracing code still runs: a call wrapper and, per query, an observation.
  const plain = { async noop() {} }
  const wrapped = traceCalls({ async noop() {} }, () => ({ 'db.system.name': 'postgresql' }))
  const queries = new QueryTracer(db)
  await wrapped.noop()
  const plainUs = await microUs(() => plain.noop())
  const wrappedUs = await microUs(() => wrapped.noop())
  const observedUs = await microUs(() => queries.start('select 1 from "tasks"')?.end())
  const perCallUs = wrappedUs - plainUs + observedUs
  const getTaskUs = interleaved.getTask!.withoutProviderUs
  const share = perCallUs / getTaskUs
  console.log(
    `Tracing code with no provider: ${(wrappedUs - plainUs).toFixed(2)} µs per call + ${observedUs.toFixed(2)} µs per query` +
      ` = ${perCallUs.toFixed(2)} µs for a one-query call, ${(share * 100).toFixed(2)} % of getTask's p50 (${getTaskUs} µs; target ≤ 1 %)`,
  )
  const loadAverage = (await import('node:os')).loadavg()
  await writeFile(
    RESULTS_FILE,
    `${JSON.stringify({ interleaved, noProvider: { perCallUs, share, targetMet: share <= 0.01 }, loadAverage }, null, 2)}\n`,
  )
  console.log(`Wrote ${RESULTS_FILE.pathname}.`)
} finally {
  await provider.shutdown()
  await db.destroy()
}
