// The two testing databases side by side: per-call p50 of each store call on
// the memory database (pg-mem) and the embedded one (PGlite), measured
// interleaved in one run, with their ratio, plus how long each takes to open,
// and countTasks for users with 100, 1,000 and 10,000 tasks: the median over
// several passes of each pass's ratio of p50s.
//
//   npx tsx bench/testing-databases.ts [--calls 400] [--passes 5]
import type { Kysely } from 'kysely'
import { createTaskStore, createUserStore, type Database } from '../src/index.js'
import { createEmbeddedDatabase, createMemoryDatabase } from '../src/testing/index.js'
import { summarize, timeUs } from './stats.js'

const CALLS = Number(option('--calls') || 400)
const PASSES = Number(option('--passes') || 5)
const OPENS = 15
const COUNT_SIZES = [100, 1_000, 10_000]
const COUNT_CALLS_PER_PASS = 100
const SEED_BATCH = 500

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name)
  return at === -1 ? undefined : process.argv[at + 1]
}

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

async function openSubject(name: string, db: Kysely<Database>, email = `${name}@example.com`): Promise<Subject> {
  const user = await createUserStore(db).createUser({ email })
  return { name, db, userId: user.id, taskIds: [] }
}

/** A new user of each subject's database with `size` tasks, every third completed, inserted in batches. */
async function seedUser(subjects: readonly Subject[], size: number): Promise<Subject[]> {
  const seeded: Subject[] = []
  for (const subject of subjects) {
    const user = await openSubject(subject.name, subject.db, `${subject.name}-${size}@example.com`)
    for (let start = 0; start < size; start += SEED_BATCH) {
      const rows = []
      for (let i = start; i < Math.min(size, start + SEED_BATCH); i++) {
        const completed = i % 3 === 0
        rows.push({ user_id: user.userId, title: `Task ${i}`, completed, completed_at: completed ? new Date() : null })
      }
      await subject.db.insertInto('tasks').values(rows).execute()
    }
    seeded.push(user)
  }
  return seeded
}

/** countTasks p50s per pass for a user with `size` tasks on each database, and the median of the passes' ratios. */
async function measureCounts(subjects: readonly Subject[], size: number) {
  const users = await seedUser(subjects, size)
  const count = (user: Subject) => createTaskStore(user.db).countTasks(user.userId)
  const expected = Math.ceil(size / 3)
  for (const user of users) {
    const counts = await count(user)
    if (counts.total !== size || counts.completed !== expected) {
      throw new Error(`${user.name} counts ${JSON.stringify(counts)} for ${size} tasks, ${expected} completed`)
    }
    for (let i = 0; i < 20; i++) await count(user)
  }
  const passes: Array<{ memory: number; embedded: number; ratio: number }> = []
  for (let pass = 0; pass < PASSES; pass++) {
    const samples: Record<string, number[]> = { memory: [], embedded: [] }
    for (let i = 0; i < COUNT_CALLS_PER_PASS; i++) {
      const order = (i + pass) % 2 === 0 ? users : [...users].reverse()
      for (const user of order) samples[user.name]!.push(await timeUs(() => count(user)))
    }
    const memory = summarize(samples.memory!).p50Us
    const embedded = summarize(samples.embedded!).p50Us
    passes.push({ memory, embedded, ratio: memory / embedded })
  }
  const middle = <T>(values: T[], by: (value: T) => number) =>
    [...values].sort((a, b) => by(a) - by(b))[Math.floor(values.length / 2)]!
  return {
    memory: middle(passes, (pass) => pass.memory).memory,
    embedded: middle(passes, (pass) => pass.embedded).embedded,
    ratio: middle(passes, (pass) => pass.ratio).ratio,
    ratios: passes.map((pass) => pass.ratio),
  }
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
  const countRows: string[][] = [
    ['countTasks, tasks', 'memory p50 µs', 'embedded p50 µs', 'median ratio', 'ratio per pass'],
  ]
  for (const size of COUNT_SIZES) {
    const { memory, embedded, ratio, ratios } = await measureCounts(subjects, size)
    const each = ratios.map((value) => value.toFixed(2)).join(' ')
    countRows.push([size.toLocaleString('en'), String(memory), String(embedded), ratio.toFixed(2), each])
  }
  for (const subject of subjects) await subject.db.destroy()

  printTable(rows)
  console.log(`\n${CALLS} calls of each, interleaved; a ratio below 1 means the memory database is faster.\n`)
  printTable(countRows)
  console.log(
    `\n${PASSES} passes of ${COUNT_CALLS_PER_PASS} interleaved calls per size; p50s are the passes' medians, ` +
      'the ratio is the median of the passes’ ratios (memory / embedded).',
  )
}

function printTable(rows: readonly string[][]): void {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
  for (const row of rows) console.log(row.map((cell, column) => cell.padStart(widths[column]!)).join('  '))
}

await main()
