// Where postgres.js's lead comes from: the store's own SQL sent by pg and by postgres.js, each with
// and without server-side prepared statements, beside the store with and without `preparedStatements`,
// in interleaved rounds. (countTasks sends a statement to fold deltas now and then, so it is left out.)
//   npx tsx bench/statement-preparation.ts [--quick] [--op get,list,search,update,toggle]
// Needs a dataset seeded by `npm run bench` (add --quick for the small one) and a built package.
import { parseArgs } from 'node:util'
import postgres from 'postgres'
import { readPlan, SEARCH_TERM, userIds } from './bench-config.js'
import {
  captureTemplate,
  closeContext,
  loadFixtures,
  openContext,
  openStoreDatabase,
  warmPools,
} from './bench-context.js'
import { measureInterleaved } from './measure-interleaved.js'
import type { Slots } from './sql-recorder.js'
import { summarize } from './stats.js'
import { createTaskStore, type TaskStore } from './subject.js'

/** Writes go to the scratch user's tasks, so the measured data stays as seeded. */
const WRITES = new Set(['update', 'toggle'])

const OPS: Record<string, (store: TaskStore, slots: Slots) => Promise<unknown>> = {
  get: (store, { userId, taskId }) => store.getTask(userId, taskId!),
  list: (store, { userId }) => store.getTasks(userId),
  search: (store, { userId }) => store.getTasks(userId, { search: SEARCH_TERM }),
  update: (store, { userId, taskId }) => store.updateTask(userId, taskId!, { priority: 2 }),
  toggle: (store, { userId, taskId }) => store.toggleComplete(userId, taskId!),
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      op: { type: 'string', default: Object.keys(OPS).join(',') },
      quick: { type: 'boolean', default: false },
    },
  })
  const read = readPlan(values.quick ? ['--quick', '--no-peers'] : ['--no-peers'], process.env)
  if ('error' in read) throw new Error(read.error)
  const { plan } = read
  const context = openContext(plan)
  const options = { max: plan.poolMax, onnotice: () => {} }
  const prepared = postgres(plan.connectionString, { ...options, prepare: true })
  const unprepared = postgres(plan.connectionString, { ...options, prepare: false })
  const unpreparedDb = openStoreDatabase(plan, { preparedStatements: false })
  const unpreparedStore = createTaskStore(unpreparedDb)
  try {
    await warmPools(context)
    await unpreparedStore.countTasks(userIds.scratch)
    const fixtures = await loadFixtures(context)
    for (const name of values.op.split(',')) {
      const op = OPS[name]
      if (!op) throw new Error(`--op takes ${Object.keys(OPS).join(', ')}`)
      const rows = WRITES.has(name) ? fixtures.scratchTasks : fixtures.tasks
      const template = await captureTemplate(context, op, rows[0]!)
      if (template.statements.length !== 1) throw new Error(`${name} sends more than one statement`)
      const { text, values: recorded, slots } = template.statements[0]!
      const valuesFor = (index: number) => {
        const task = rows[index % rows.length]!
        const bound = [...recorded] as unknown[]
        for (const [at, slot] of slots) bound[at] = task[slot]
        return bound
      }
      const contenders = [
        { label: 'taskstore', run: (i: number) => op(context.store, rows[i % rows.length]!) },
        {
          label: 'taskstore, preparedStatements: false',
          run: (i: number) => op(unpreparedStore, rows[i % rows.length]!),
        },
        { label: 'pg, unnamed statement', run: (i: number) => context.raw.query(text, valuesFor(i)) },
        {
          label: 'pg, named statement',
          run: (i: number) => context.raw.query({ name: `bench_${name}`, text, values: valuesFor(i) }),
        },
        { label: 'postgres.js, prepare: false', run: (i: number) => unprepared.unsafe(text, valuesFor(i) as never[]) },
        {
          label: 'postgres.js, prepared',
          run: (i: number) => prepared.unsafe(text, valuesFor(i) as never[], { prepare: true }),
        },
      ]
      const samples = await measureInterleaved(plan, contenders, { rounds: 4 })
      process.stdout.write(`${name}: p50 µs\n`)
      contenders.forEach((contender, k) => {
        process.stdout.write(`  ${contender.label.padEnd(32)} ${summarize(samples[k]!).p50Us}\n`)
      })
    }
  } finally {
    await Promise.allSettled([prepared.end(), unprepared.end(), unpreparedDb.destroy(), closeContext(context)])
  }
}

await main()
