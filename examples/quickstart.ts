/**
 * A tour of taskstore: opens a database, migrates it, creates a user, adds
 * tasks, toggles one and prints a page of tasks.
 *
 *   npm run example                      # embedded Postgres (PGlite) in ./.data/quickstart
 *   DATABASE_URL=postgres://… npm run example   # your server
 *
 * The embedded data survives between runs: run it twice and the second run
 * lists the first run's tasks too.
 */
import type { Kysely } from 'kysely'
import {
  createDatabase,
  createTaskStore,
  createUserStore,
  type Database,
  migrateToLatest,
  type Task,
} from '../src/index.js'
import { createEmbeddedDatabase } from '../src/testing/index.js'

const DATA_DIR = '.data/quickstart'

async function openDatabase(): Promise<{ db: Kysely<Database>; where: string }> {
  if (process.env.DATABASE_URL) {
    const db = createDatabase()
    await migrateToLatest(db)
    return { db, where: 'the server in DATABASE_URL' }
  }
  return { db: await createEmbeddedDatabase({ dataDir: DATA_DIR }), where: `embedded Postgres in ${DATA_DIR}` }
}

function printTable(tasks: Task[]): void {
  const rows = tasks.map((task) => ({
    id: String(task.id),
    done: task.completed ? '[x]' : '[ ]',
    priority: String(task.priority),
    title: task.title,
    created: task.createdAt.toISOString().replace('T', ' ').slice(0, 19),
  }))
  const columns = ['id', 'done', 'priority', 'title', 'created'] as const
  const width = (column: (typeof columns)[number]) => Math.max(column.length, ...rows.map((row) => row[column].length))
  const line = (cells: Record<(typeof columns)[number], string>) =>
    columns.map((c) => cells[c].padEnd(width(c))).join('  ')
  console.log(line({ id: 'id', done: 'done', priority: 'priority', title: 'title', created: 'created' }))
  console.log(columns.map((c) => '-'.repeat(width(c))).join('  '))
  for (const row of rows) console.log(line(row))
}

async function main(): Promise<void> {
  const { db, where } = await openDatabase()
  try {
    console.log(`Using ${where}.\n`)
    const users = createUserStore(db)
    const tasks = createTaskStore(db)

    const email = 'ada@example.com'
    const existing = await users.findUserByEmail(email)
    const ada = existing ?? (await users.createUser({ email, name: 'Ada Lovelace', password: 'analytical engine' }))
    console.log(existing ? `Welcome back, ${ada.name}.` : `Created user ${ada.name} <${ada.email}>.`)

    const run = new Date().toISOString().slice(11, 19)
    await tasks.createTask(ada.id, { title: `Write the notes on the engine (${run})`, priority: 1 })
    const letter = await tasks.createTask(ada.id, { title: `Answer Babbage's letter (${run})`, priority: 2 })
    await tasks.createTask(ada.id, { title: `Practise the harp (${run})`, description: 'Scales first', priority: 4 })
    await tasks.toggleComplete(ada.id, letter.id)

    const page = await tasks.getTasks(ada.id, { sort: 'createdAt', order: 'desc', limit: 10 })
    const counts = await tasks.countTasks(ada.id)
    console.log(
      `\n${counts.total} tasks, ${counts.completed} done, ${counts.pending} to do. Newest ${page.items.length}:\n`,
    )
    printTable(page.items)
    if (page.nextCursor) console.log('\n… more on the next page (pass nextCursor as cursor).')
  } finally {
    await db.destroy()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
