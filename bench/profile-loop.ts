// A focused loop for profiling one store operation (or raw pg sending the same SQL):
//   node --cpu-prof --cpu-prof-dir=bench/.cache/profiles --import tsx bench/profile-loop.ts --op list --client store
// Prints calls/s and client CPU per call; needs a dataset seeded by `npm run bench` (add --quick for the small one).
import { PerformanceObserver } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { CompiledQuery, Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { captureTemplate, closeContext, openSeededContext } from './bench-context.js'
import { runTemplate, type Slots } from './sql-recorder.js'
import type { TaskStore } from './subject.js'

const OPS: Record<string, (store: TaskStore, slots: Slots) => Promise<unknown>> = {
  get: (store, { userId, taskId }) => store.getTask(userId, taskId!),
  list: (store, { userId }) => store.getTasks(userId),
  search: (store, { userId }) => store.getTasks(userId, { search: 'invoice' }),
  toggle: (store, { userId, taskId }) => store.toggleComplete(userId, taskId!),
  update: (store, { userId, taskId }) => store.updateTask(userId, taskId!, { priority: 2 }),
  count: (store, { userId }) => store.countTasks(userId),
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      op: { type: 'string', default: 'list' },
      client: { type: 'string', default: 'both' },
      segments: { type: 'string', default: '1' },
      seconds: { type: 'string', default: '10' },
      concurrency: { type: 'string', default: '8' },
      quick: { type: 'boolean', default: false },
    },
  })
  const op = OPS[values.op]
  if (!op) throw new Error(`--op must be one of ${Object.keys(OPS).join(', ')}`)
  const { context, fixtures } = await openSeededContext(values.quick)
  try {
    const template = await captureTemplate(context, op, fixtures.tasks[0]!)
    // Between raw pg and the store: Kysely alone on its own pg pool, and the
    // database createDatabase returns, each running the recorded SQL precompiled.
    const bare = new Kysely<any>({
      dialect: new PostgresDialect({
        pool: new pg.Pool({ connectionString: context.plan.connectionString, max: context.plan.poolMax }),
      }),
    })
    const only = template.statements[0]!
    const compiled = (slots: Slots) =>
      CompiledQuery.raw(
        only.text,
        only.values.map((value, index) => {
          const slot = only.slots.find(([at]) => at === index)
          return slot ? slots[slot[1]] : value
        }),
      )
    const calls = {
      raw: (slots: Slots) => runTemplate(context.raw, template, slots),
      rawFastTimestamps: (slots: Slots) => runTemplate(context.rawFastTimestamps, template, slots, { prepare: true }),
      kysely: (slots: Slots) => bare.executeQuery(compiled(slots)),
      database: (slots: Slots) => context.db.executeQuery(compiled(slots)),
      store: (slots: Slots) => op(context.store, slots),
    }
    type Client = keyof typeof calls
    const clients: Client[] =
      values.client === 'all'
        ? ['store', 'database', 'kysely', 'raw', 'rawFastTimestamps']
        : values.client === 'both'
          ? ['store', 'rawFastTimestamps']
          : [values.client as Client]
    let gcMs = 0
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) gcMs += entry.duration
    })
    observer.observe({ entryTypes: ['gc'] })
    // Alternating segments (store, raw, store, …) so machine noise lands on both.
    for (let segment = 0; segment < Number(values.segments); segment++) {
      for (const client of clients) {
        const call = calls[client]
        const concurrency = Number(values.concurrency)
        const deadline = performance.now() + Number(values.seconds) * 1000
        gcMs = 0
        const cpuBefore = process.cpuUsage()
        const threadBefore = mainThreadCpu()
        const started = performance.now()
        let done = 0
        await Promise.all(
          Array.from({ length: concurrency }, async (_, worker) => {
            for (let k = worker; performance.now() < deadline; k += concurrency) {
              await call(fixtures.tasks[k % fixtures.tasks.length]!)
              done++
            }
          }),
        )
        const elapsed = (performance.now() - started) / 1000
        const cpu = process.cpuUsage(cpuBefore)
        const thread = mainThreadCpu(threadBefore)
        process.stdout.write(
          `${client.padEnd(8)} ${values.op}: ${done} calls, ${(done / elapsed).toFixed(0)}/s, client CPU ${((cpu.user + cpu.system) / done).toFixed(1)} µs per call (user ${(cpu.user / done).toFixed(1)}, system ${(cpu.system / done).toFixed(1)}), GC ${((gcMs * 1000) / done).toFixed(1)} µs per call${thread === undefined ? '' : `, main thread ${(thread / done).toFixed(1)} µs`}\n`,
        )
      }
    }
    observer.disconnect()
    await bare.destroy()
  } finally {
    await closeContext(context)
  }
}

// process.threadCpuUsage (Node 23.9+): the main thread's CPU alone, apart from GC and I/O helper threads
function mainThreadCpu(before?: number): number | undefined {
  const read = (process as { threadCpuUsage?: () => { user: number; system: number } }).threadCpuUsage
  if (!read) return undefined
  const { user, system } = read()
  return user + system - (before ?? 0)
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 1
})
