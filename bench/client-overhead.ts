// Client-side cost of each store call, without a database: the store runs on a
// driver that answers every query at once with canned rows, so what remains is
// validation, Kysely's execution path, taskstore's own code and the garbage
// they leave. No network, no Postgres, little noise. Profile it with
//   node --cpu-prof --cpu-prof-dir=bench/.cache/profiles --import tsx bench/client-overhead.ts [--only list]
import { parseArgs } from 'node:util'
import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
} from 'kysely'
import { createDatabase, createTaskStore } from './subject.js'

const USER = 'bench-user-1'
const ITERATIONS = 50_000

function taskRow(id: number) {
  const at = new Date('2026-01-01T00:00:00.000Z')
  return {
    id,
    userId: USER,
    title: `Pay tax return ${id}`,
    description: 'Remember the receipts.',
    completed: false,
    completedAt: null,
    priority: 3,
    createdAt: at,
    updatedAt: at,
  }
}

const PAGE = Array.from({ length: 51 }, (_, k) => taskRow(1000 - k))
const ONE = [taskRow(1000)]
const COUNT = [{ total: 100, completed: 30 }]

/** Answers every statement at once: lists get 51 rows, counts a count, the rest one task. */
class CannedConnection implements DatabaseConnection {
  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const rows = query.sql.includes('count(') ? COUNT : query.sql.includes(' limit ') ? PAGE : ONE
    return { rows: rows as R[], numAffectedRows: 1n }
  }
  // biome-ignore lint/correctness/useYield: never streams
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('not supported')
  }
}

class CannedDriver implements Driver {
  readonly #connection = new CannedConnection()
  async init() {}
  async acquireConnection() {
    return this.#connection
  }
  async beginTransaction() {}
  async commitTransaction() {}
  async rollbackTransaction() {}
  async releaseConnection() {}
  async destroy() {}
}

const cannedDialect: Dialect = {
  createAdapter: () => new PostgresAdapter(),
  createDriver: () => new CannedDriver(),
  createIntrospector: (db) => new PostgresIntrospector(db),
  createQueryCompiler: () => new PostgresQueryCompiler(),
}

async function perCall(label: string, call: () => Promise<unknown>): Promise<void> {
  for (let k = 0; k < 2_000; k++) await call()
  const started = performance.now()
  for (let k = 0; k < ITERATIONS; k++) await call()
  const us = ((performance.now() - started) * 1000) / ITERATIONS
  process.stdout.write(`${label.padEnd(44)} ${us.toFixed(2).padStart(8)} µs per call\n`)
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { only: { type: 'string' } } })
  const db = createDatabase({ dialect: cannedDialect, schema: 'taskstore_bench' })
  const bare = new Kysely<any>({ dialect: cannedDialect })
  const store = createTaskStore(db)
  const first = await store.getTasks(USER)
  const cursor = first.nextCursor!
  const compiled = CompiledQuery.raw('select 1 limit 1', [USER, 51])
  const connection = new CannedConnection()
  const cases: Record<string, () => Promise<unknown>> = {
    floor: () => connection.executeQuery(compiled),
    'kysely bare': () => bare.executeQuery(compiled),
    'kysely createDatabase': () => db.executeQuery(compiled),
    get: () => store.getTask(USER, 1000),
    list: () => store.getTasks(USER),
    'list deep': () => store.getTasks(USER, { cursor }),
    'list search': () => store.getTasks(USER, { search: 'invoice' }),
    toggle: () => store.toggleComplete(USER, 1000),
    update: () => store.updateTask(USER, 1000, { priority: 2 }),
    create: () => store.createTask(USER, { title: 'Created under load', priority: 3 }),
    count: () => store.countTasks(USER),
  }
  const names: Record<string, string> = {
    floor: 'canned connection alone (floor)',
    'kysely bare': 'Kysely executeQuery, bare Kysely',
    'kysely createDatabase': 'Kysely executeQuery, via createDatabase',
  }
  for (const [key, call] of Object.entries(cases)) {
    if (values.only && values.only !== key) continue
    await perCall(names[key] ?? `store ${key}`, call)
  }
  await db.destroy()
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exitCode = 1
})
