import { type Kysely, PGliteDialect, sql } from 'kysely'
import { expect, test } from 'vitest'
import { attachmentsOf } from '../../src/db/database-attachments.js'
import {
  checkHealth,
  createDatabase,
  createTaskStore,
  createUserStore,
  type Database,
  DatabaseUnavailableError,
  migrateToLatest,
} from '../../src/index.js'
import { createMemoryDialect } from '../../src/testing/memory-database.js'
import type { BackendName } from '../support/backends.js'
import { type DatabaseOpener, describeEachOpener, type ExtraOptions } from '../support/database-opener.js'
import { TEST_SCRYPT } from '../support/fixtures.js'

// Every call still in flight must settle this soon after destroy() starts.
const BOUND_MS = 2_000
// Longer than the bound by far: a call that waited for it to end would fail the test.
const SLEEP_SECONDS = 20
const CLOSED = /closed with db\.destroy\(\)/

type Outcome = { readonly value: unknown } | { readonly error: unknown }

/** How a promise settled, or a failure if it is still pending after `ms`. */
async function outcomeWithin(promise: Promise<unknown>, ms = BOUND_MS): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined
  const pending = Symbol('pending')
  const outcome = await Promise.race([
    promise.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    new Promise<typeof pending>((resolve) => {
      timer = setTimeout(() => resolve(pending), ms)
    }),
  ])
  clearTimeout(timer)
  if (outcome === pending) throw new Error(`still pending after ${ms} ms`)
  return outcome
}

/** The error a promise rejects with within the bound. */
async function rejectionWithin(promise: Promise<unknown>, ms = BOUND_MS): Promise<unknown> {
  const outcome = await outcomeWithin(promise, ms)
  if (!('error' in outcome)) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`)
  return outcome.error
}

function expectClosed(error: unknown, call: string): void {
  expect(error, call).toBeInstanceOf(DatabaseUnavailableError)
  expect((error as Error).message, call).toMatch(CLOSED)
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void
  const promise = new Promise<void>((done) => {
    resolve = done
  })
  return { promise, resolve }
}

/** Starts a transaction that creates a task, then waits at `gate` and creates another. */
function transactionAt(db: Kysely<Database>, userId: string, gate: Promise<void>) {
  const inside = deferred()
  const done = db.transaction().execute(async (trx) => {
    const tasks = createTaskStore(trx)
    await tasks.createTask(userId, { title: 'before destroy' })
    inside.resolve()
    await gate
    await tasks.createTask(userId, { title: 'after destroy' })
  })
  return { inside: inside.promise, done }
}

/** A fresh database on the opener's backend, and a user to own tasks. */
async function openWithUser(opener: DatabaseOpener, options: ExtraOptions = {}) {
  const opened = await opener.open(options)
  const user = await createUserStore(opened.db, { scrypt: TEST_SCRYPT }).createUser({ email: 'ada@example.com' })
  return { ...opened, user }
}

const SERVERS: readonly BackendName[] = ['postgres', 'pgbouncer', 'neon']

describeEachOpener('calls in flight when db.destroy() runs', (opener) => {
  const server = SERVERS.includes(opener.backend)

  test('a transaction between statements settles with DatabaseUnavailableError and commits nothing', async () => {
    const { db, user, observer } = await openWithUser(opener)
    const gate = deferred()
    const { inside, done } = transactionAt(db, user.id, gate.promise)
    await inside
    // destroy() must not wait for the host's callback, which has not finished
    expect(await outcomeWithin(db.destroy())).toEqual({ value: undefined })
    gate.resolve()
    expectClosed(await rejectionWithin(done), 'the transaction')
    if (observer) {
      expect(await observer.selectFrom('tasks').select('title').execute()).toEqual([])
    }
  })

  test('calls made after destroy() settle with DatabaseUnavailableError', async () => {
    const { db, user } = await openWithUser(opener)
    await db.destroy()
    expectClosed(await rejectionWithin(createTaskStore(db).countTasks(user.id)), 'a store call')
    expectClosed(await rejectionWithin(migrateToLatest(db)), 'migrateToLatest')
    const health = await checkHealth(db)
    expect(health.ok).toBe(false)
    expectClosed(health.error, 'checkHealth')
  })

  test('calls waiting for a connection settle with DatabaseUnavailableError', async () => {
    // A pool of one (PGlite has one connection anyway), held by a transaction.
    const { db, user } = await openWithUser(opener, { pool: { max: 1, connectionTimeoutMillis: 0 } })
    const gate = deferred()
    const { inside, done } = transactionAt(db, user.id, gate.promise)
    await inside
    const waiting = {
      'a store call': createTaskStore(db).countTasks(user.id),
      'a query through Kysely': sql`select 1`.execute(db),
      checkHealth: checkHealth(db).then((report) => Promise.reject(report.error)),
    }
    // still waiting: nothing settles while the transaction holds the connection
    await expect(outcomeWithin(Promise.race(Object.values(waiting)), 200)).rejects.toThrow(/still pending/)
    const destroyed = db.destroy()
    for (const [call, promise] of Object.entries(waiting)) expectClosed(await rejectionWithin(promise), call)
    gate.resolve()
    expectClosed(await rejectionWithin(done), 'the transaction holding the connection')
    expect(await outcomeWithin(destroyed)).toEqual({ value: undefined })
  })

  // Only the server backends run a statement on a server that can be left running.
  test.skipIf(!server)('statements running on the server settle with DatabaseUnavailableError', async () => {
    const { db, user, observer } = await openWithUser(opener)
    const direct = attachmentsOf(db).direct
    expect(direct).toBeDefined()
    const started = deferred()
    const running = {
      'the direct path': direct!(`select pg_sleep(${SLEEP_SECONDS})`, []),
      'a query through Kysely': sql`select pg_sleep(${SLEEP_SECONDS})`.execute(db),
      'a transaction': db.transaction().execute(async (trx) => {
        await createTaskStore(trx).createTask(user.id, { title: 'never committed' })
        started.resolve()
        await sql`select pg_sleep(${SLEEP_SECONDS})`.execute(trx)
      }),
    }
    await started.promise
    await waitForSleepers(observer!, 3)
    const destroyed = db.destroy()
    for (const [call, promise] of Object.entries(running)) expectClosed(await rejectionWithin(promise), call)
    expect(await outcomeWithin(destroyed)).toEqual({ value: undefined })
    // the server rolled the transaction back when its session ended
    await endSleepers(observer!)
    expect(await observer!.selectFrom('tasks').select('title').execute()).toEqual([])
  })
})

describeEachOpener(
  'a database destroyed before it was ever used',
  (opener) => {
    test('its calls settle with DatabaseUnavailableError instead of connecting', async () => {
      const db =
        opener.backend === 'memory'
          ? createDatabase({ dialect: await createMemoryDialect() })
          : opener.backend === 'embedded'
            ? createDatabase({
                dialect: new PGliteDialect({ pglite: await (await import('@electric-sql/pglite')).PGlite.create() }),
              })
            : createDatabase({ connectionString: process.env.TEST_DATABASE_URL, pool: { max: 1 } })
      await db.destroy()
      expectClosed(await rejectionWithin(createTaskStore(db).countTasks('someone')), 'a store call')
      expectClosed(await rejectionWithin(migrateToLatest(db)), 'migrateToLatest')
      expectClosed((await checkHealth(db)).error, 'checkHealth')
    })
  },
  { only: ['memory', 'embedded', 'postgres'] },
)

/** Waits until `count` sessions of this database are inside pg_sleep. */
async function waitForSleepers(observer: Kysely<Database>, count: number): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if ((await sleepers(observer)).length >= count) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`fewer than ${count} sessions started sleeping`)
}

async function sleepers(observer: Kysely<Database>): Promise<number[]> {
  const { rows } = await sql<{ pid: number }>`
    select pid from pg_stat_activity
    where datname = current_database() and pid <> pg_backend_pid() and query like '%pg_sleep(%'
      and query not like '%pg_stat_activity%' and state = 'active'`.execute(observer)
  return rows.map((row) => row.pid)
}

// The server notices a vanished client only when it next talks to it: end the sleepers now.
async function endSleepers(observer: Kysely<Database>): Promise<void> {
  for (const pid of await sleepers(observer)) await sql`select pg_terminate_backend(${pid})`.execute(observer)
}
