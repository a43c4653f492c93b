// Where one store call's time goes, against raw pg sending the same prepared statement with the same timestamp parser:
//   npx tsx bench/call-phases.ts [--op update] [--blocks 10] [--quick]
// Each call is split at the moment node-postgres is handed the statement and the moment its answer comes back:
// before (validation, the store's own code, the pool checkout), the round trip (the driver's write, the server,
// the driver's parsing of the answer) and after (back to the caller). Calls alternate in turns of 20 on the same
// rows; every block opens fresh pools. Needs a dataset seeded by `npm run bench` (with `--quick`, by `npm run bench -- --quick`).
import { parseArgs } from 'node:util'
import pg from 'pg'
import { captureTemplate, closeContext, openSeededContext, reconnectClients } from './bench-context.js'
import { runTemplate, type Slots } from './sql-recorder.js'
import { summarize } from './stats.js'
import type { TaskStore } from './subject.js'

const OPS: Record<string, { call: (store: TaskStore, slots: Slots) => Promise<unknown>; writes: boolean }> = {
  get: { call: (store, { userId, taskId }) => store.getTask(userId, taskId!), writes: false },
  update: {
    call: (store, { userId, taskId }) => store.updateTask(userId, taskId!, { title: 'Renamed', priority: 4 }),
    writes: true,
  },
  toggle: { call: (store, { userId, taskId }) => store.toggleComplete(userId, taskId!), writes: true },
  create: {
    call: (store, { userId }) => store.createTask(userId, { title: 'Benchmark task', priority: 2 }),
    writes: true,
  },
}
const TURN = 20
const TURNS_PER_BLOCK = 20

type Phase = 'before' | 'roundTrip' | 'after' | 'total'
const PHASES: readonly Phase[] = ['before', 'roundTrip', 'after', 'total']

/** When the last statement was handed to node-postgres, and when its answer came back. */
const clock = { sent: 0, answered: 0 }

/** Notes both moments on every pg client made from now on (the store's pools take the method when a client is first lent). */
function timeDriverCalls(): void {
  const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }
  const query = prototype.query
  prototype.query = function (this: unknown, ...args: unknown[]) {
    clock.sent = performance.now()
    const at = args.findIndex((arg) => typeof arg === 'function')
    if (at >= 0) {
      const callback = args[at] as (...result: unknown[]) => unknown
      args[at] = (...result: unknown[]) => {
        clock.answered = performance.now()
        return callback(...result)
      }
      return query.apply(this, args)
    }
    return (query.apply(this, args) as Promise<unknown>).then((result) => {
      clock.answered = performance.now()
      return result
    })
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      op: { type: 'string', default: 'update' },
      blocks: { type: 'string', default: '10' },
      quick: { type: 'boolean', default: false },
    },
  })
  const op = OPS[values.op]
  if (!op) throw new Error(`--op must be one of ${Object.keys(OPS).join(', ')}`)
  const { context, fixtures } = await openSeededContext(values.quick)
  try {
    const rows = op.writes ? fixtures.scratchTasks : fixtures.tasks
    const slotsAt = (k: number) => rows[k % rows.length]!
    const template = await captureTemplate(context, op.call, slotsAt(0))
    // after the recording, which puts pg's own method back; every block's fresh clients take this one
    timeDriverCalls()
    const clients = {
      taskstore: (slots: Slots) => op.call(context.store, slots),
      'raw pg': (slots: Slots) => runTemplate(context.rawFastTimestamps, template, slots, { prepare: true }),
    }
    type Client = keyof typeof clients
    const names = Object.keys(clients) as Client[]
    const samples = Object.fromEntries(
      names.map((name) => [name, Object.fromEntries(PHASES.map((phase) => [phase, [] as number[]]))]),
    ) as Record<Client, Record<Phase, number[]>>
    for (let block = 0; block < Number(values.blocks); block++) {
      await reconnectClients(context)
      for (let k = 0; k < TURN; k++) for (const name of names) await clients[name](slotsAt(k))
      for (let turn = 0; turn < TURNS_PER_BLOCK; turn++) {
        const order = turn % 2 === 0 ? names : [...names].reverse()
        for (const name of order) {
          for (let k = 0; k < TURN; k++) {
            const started = performance.now()
            await clients[name](slotsAt(turn * TURN + k))
            const ended = performance.now()
            const phases = samples[name]
            phases.before.push((clock.sent - started) * 1000)
            phases.roundTrip.push((clock.answered - clock.sent) * 1000)
            phases.after.push((ended - clock.answered) * 1000)
            phases.total.push((ended - started) * 1000)
          }
        }
      }
    }
    const calls = Number(values.blocks) * TURNS_PER_BLOCK * TURN
    process.stdout.write(`${values.op}: p50 µs of each phase, ${calls} calls per client\n`)
    process.stdout.write(`${'client'.padEnd(10)} ${PHASES.map((phase) => phase.padStart(10)).join(' ')}\n`)
    for (const name of names) {
      const cells = PHASES.map((phase) => String(summarize(samples[name][phase]).p50Us).padStart(10))
      process.stdout.write(`${name.padEnd(10)} ${cells.join(' ')}\n`)
    }
  } finally {
    await closeContext(context)
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 1
})
