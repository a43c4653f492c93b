// The two testing databases side by side: per-call p50 of each store call on
// the memory database (pg-mem) and the embedded one (PGlite), measured
// interleaved in one run, with their ratio, plus how long each takes to open.
//
//   npx tsx bench/testing-databases.ts [--calls 400]
import type { Kysely } from 'kysely'
import { createTaskStore, createUserStore, type Database } from '../src/index.js'
import { createEmbeddedDatabase, createMemoryDatabase } from '../src/testing/index.js'
import { summarize, timeUs } from './stats.js'

const CALLS = Number(process.argv[process.argv.indexOf('--calls') + 1] || 400)
const OPENS = 15

interface Subject {
  readonly name: string
  readonly db: Kysely<Database>
  readonly userId: string
  readonly taskIds: number[]
}

type Operation = (subject: Subject, index: number) => Promise<unknown>

const OPERATIONS: ReadonlyArray<readonly [string, Operation]> = [
  [
    'createTask',
    async (subject, index) => {
      const task = await createTaskStore(subject.db).createTask(subject.userId, { title: `Task ${index}` })
      subject.taskIds.push(task.id)
    },
  ],
  [
    'toggleComplete',
    (subject, index) => createTaskStore(subject.db).toggleComplete(subject.userId, pick(subject, index)),
  ],
  ['getTask', (subject, index) => createTaskStore(subject.db).getTask(subject.userId, pick(subject, index))],
  [
    'updateTask',
    (subject, index) =>
      createTaskStore(subject.db).updateTask(subject.userId, pick(subject, index), { priority: (index % 5) + 1 }),
  ],
  ['getTasks (20)', (subject) => createTaskStore(subject.db).getTasks(subject.userId, { limit: 20 })],
  ['countTasks', (subject) => createTaskStore(subject.db).countTasks(subject.userId)],
]

function pick(subject: Subject, index: number): number {
  return subject.taskIds[index % subject.taskIds.length]!
}

async function openSubject(name: string, db: Kysely<Database>): Promise<Subject> {
  const user = await createUserStore(db).createUser({ email: `${name}@example.com` })
  return { name, db, userId: user.id, taskIds: [] }
}

async function main(): Promise<void> {
  const opens: Record<string, number[]> = { memory: [], embedded: [] }
  for (let i = 0; i < OPENS; i++) {
    let db: Kysely<Database> | undefined
    opens.memory!.push(await timeUs(async () => (db = await createMemoryDatabase())))
    await db?.destroy()
  }
  for (let i = 0; i < 3; i++) {
    let db: Kysely<Database> | undefined
    opens.embedded!.push(await timeUs(async () => (db = await createEmbeddedDatabase())))
    await db?.destroy()
  }

  const subjects = [
    await openSubject('memory', await createMemoryDatabase()),
    await openSubject('embedded', await createEmbeddedDatabase()),
  ]
  const rows: string[][] = [['call', 'memory p50 µs', 'embedded p50 µs', 'memory / embedded']]
  const ms = (us: number) => (us / 1000).toFixed(1)
  const openMemory = summarize(opens.memory!).p50Us
  const openEmbedded = summarize(opens.embedded!).p50Us
  rows.push(['open (ms)', ms(openMemory), ms(openEmbedded), (openMemory / openEmbedded).toFixed(2)])
  for (const [name, operation] of OPERATIONS) {
    const samples: Record<string, number[]> = { memory: [], embedded: [] }
    // Warm up, then alternate which database goes first, so neither gains from order.
    for (const subject of subjects) for (let i = 0; i < 20; i++) await operation(subject, i)
    for (let i = 0; i < CALLS; i++) {
      const order = i % 2 === 0 ? subjects : [...subjects].reverse()
      for (const subject of order) samples[subject.name]!.push(await timeUs(() => operation(subject, i)))
    }
    const memory = summarize(samples.memory!).p50Us
    const embedded = summarize(samples.embedded!).p50Us
    rows.push([name, String(memory), String(embedded), (memory / embedded).toFixed(2)])
  }
  for (const subject of subjects) await subject.db.destroy()

  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
  for (const row of rows) console.log(row.map((cell, column) => cell.padStart(widths[column]!)).join('  '))
  console.log(`\n${CALLS} calls of each, interleaved; a ratio below 1 means the memory database is faster.`)
}

await main()
