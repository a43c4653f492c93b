import { type Kysely, sql } from 'kysely'
import { expect, test } from 'vitest'
import {
  ConflictError,
  createDatabase,
  createTaskStore,
  createUserStore,
  type Database,
  DatabaseUnavailableError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
} from '../../src/index.js'
import { describeEachBackend } from '../support/backends.js'
import { storeFixture } from '../support/fixtures.js'

const IN_TRANSACTION = /aborted the transaction.*run the whole transaction again/
const SAFE_TO_RETRY_CALL = /safe to retry the call/

/** Resolves once a session named `applicationName` waits for a lock (other test files share the database). */
async function waitsForALock(db: Kysely<any>, applicationName: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from pg_stat_activity
      where wait_event_type = 'Lock' and datname = current_database() and application_name = ${applicationName}`.execute(
      db,
    )
    if (rows[0]!.n > 0) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`no session of ${applicationName} started waiting for a lock`)
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void
  const promise = new Promise<void>((done) => {
    resolve = done
  })
  return { promise, resolve }
}

// PGlite has one connection and pg-mem runs one statement at a time: neither can deadlock.
describeEachBackend(
  "a statement cancelled inside the host's transaction",
  (context) => {
    test('a deadlock says the whole transaction is gone and must be run again, not the call', async () => {
      const { db, tasks, alice } = await storeFixture(context().db)
      const [a, b] = [
        await tasks.createTask(alice.id, { title: 'a' }),
        await tasks.createTask(alice.id, { title: 'b' }),
      ]
      const bothLocked = [deferred(), deferred()]
      // Each transaction locks one task, then wants the other's: one of them is chosen to fail.
      const crossing = (first: number, second: number, mine: number) =>
        db.transaction().execute(async (trx) => {
          const store = createTaskStore(trx)
          await store.updateTask(alice.id, first, { priority: 1 })
          bothLocked[mine]!.resolve()
          await bothLocked[1 - mine]!.promise
          await store.updateTask(alice.id, second, { priority: 2 })
        })
      const outcomes = await Promise.allSettled([crossing(a.id, b.id, 0), crossing(b.id, a.id, 1)])
      const failures = outcomes.filter((outcome) => outcome.status === 'rejected')
      expect(failures).toHaveLength(1)
      const error = (failures[0] as PromiseRejectedResult).reason
      expect(error).toBeInstanceOf(DatabaseUnavailableError)
      expect(error.message).toMatch(/deadlock/)
      expect(error.message).toMatch(IN_TRANSACTION)
      expect(error.message).not.toMatch(SAFE_TO_RETRY_CALL)
    })

    test('a serialization failure says the whole transaction is gone and must be run again', async () => {
      const { db, tasks, alice } = await storeFixture(context().db)
      const task = await tasks.createTask(alice.id, { title: 'contended' })
      const error = await db
        .transaction()
        .setIsolationLevel('serializable')
        .execute(async (trx) => {
          const store = createTaskStore(trx)
          await store.getTask(alice.id, task.id) // the snapshot is taken here
          await tasks.updateTask(alice.id, task.id, { title: 'changed outside' }) // commits at once
          await store.updateTask(alice.id, task.id, { title: 'changed inside' })
        })
        .catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(DatabaseUnavailableError)
      expect((error as Error).message).toMatch(/serialization failure/)
      expect((error as Error).message).toMatch(IN_TRANSACTION)
      expect((error as Error).message).not.toMatch(SAFE_TO_RETRY_CALL)
      expect((await tasks.getTask(alice.id, task.id)).title).toBe('changed outside')
    })

    test('after a call the database refused, the next call in the transaction says the transaction is aborted', async () => {
      const { db, alice, bob } = await storeFixture(context().db)
      const bobsTask = await createTaskStore(db).createTask(bob.id, { title: "Bob's" })
      const error = await db
        .transaction()
        .execute(async (trx) => {
          const users = createUserStore(trx)
          const tasks = createTaskStore(trx)
          // refused before anything is sent, or by the ownership check: the transaction stays usable
          await expect(tasks.createTask(alice.id, { title: '   ' })).rejects.toBeInstanceOf(ValidationError)
          await expect(tasks.getTask(alice.id, bobsTask.id)).rejects.toBeInstanceOf(ForbiddenError)
          await expect(tasks.toggleComplete(alice.id, 2_000_000_000)).rejects.toBeInstanceOf(NotFoundError)
          expect((await tasks.createTask(alice.id, { title: 'still usable' })).title).toBe('still usable')
          const conflict = await users.createUser({ email: 'ALICE@example.com' }).catch((caught: unknown) => caught)
          expect(conflict).toBeInstanceOf(ConflictError)
          await createTaskStore(trx).createTask(alice.id, { title: 'after the conflict' })
        })
        .catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(DatabaseUnavailableError)
      expect((error as Error).message).toMatch(
        /aborted by an earlier failed statement.*run the whole transaction again/,
      )
      expect((await createTaskStore(db).countTasks(alice.id)).total).toBe(0)
    })

    test('a serialization failure found at COMMIT says the same, not a bare driver error', async () => {
      const { db, tasks, alice } = await storeFixture(context().db)
      const [a, b] = [
        await tasks.createTask(alice.id, { title: 'a' }),
        await tasks.createTask(alice.id, { title: 'b' }),
      ]
      const bothRead = [deferred(), deferred()]
      const bothWrote = [deferred(), deferred()]
      const firstCommitted = deferred()
      const callbacksDone = [false, false]
      // Write skew: each reads one task and changes the other; the second to commit cannot be serialized.
      const skew = (read: number, write: number, mine: number) =>
        db
          .transaction()
          .setIsolationLevel('serializable')
          .execute(async (trx) => {
            const store = createTaskStore(trx)
            await store.getTask(alice.id, read)
            bothRead[mine]!.resolve()
            await bothRead[1 - mine]!.promise
            await store.updateTask(alice.id, write, { priority: mine + 1 })
            bothWrote[mine]!.resolve()
            await bothWrote[1 - mine]!.promise
            if (mine === 1) await firstCommitted.promise
            callbacksDone[mine] = true
          })
      const first = skew(a.id, b.id, 0).finally(() => firstCommitted.resolve())
      const outcomes = await Promise.allSettled([first, skew(b.id, a.id, 1)])
      expect(outcomes[0]!.status).toBe('fulfilled')
      const error = (outcomes[1] as PromiseRejectedResult).reason
      // every statement of the second succeeded: it failed at its COMMIT
      expect(callbacksDone).toEqual([true, true])
      expect(error).toBeInstanceOf(DatabaseUnavailableError)
      expect(error.message).toMatch(/serialization failure/)
      expect(error.message).toMatch(IN_TRANSACTION)
      expect((await tasks.getTask(alice.id, a.id)).priority).toBe(a.priority)
    })
  },
  { only: ['postgres', 'pgbouncer', 'neon'] },
)

describeEachBackend(
  'a store statement cancelled outside any transaction',
  (context) => {
    test('a serialization failure says the statement was rolled back and the call can be retried', async () => {
      const { db, tasks, alice } = await storeFixture(context().db)
      const task = await tasks.createTask(alice.id, { title: 'contended' })
      // Every statement of this database runs alone in a serializable transaction of its own.
      const url = new URL(process.env.TEST_DATABASE_URL!)
      url.searchParams.set('options', '-c default_transaction_isolation=serializable')
      const applicationName = `taskstore_serializable_${process.pid}`
      url.searchParams.set('application_name', applicationName)
      const serializable: Kysely<Database> = createDatabase({
        connectionString: url.toString(),
        schema: context().schema,
      })
      try {
        const [holding, locked] = [deferred(), deferred()]
        const holder = db.transaction().execute(async (trx) => {
          await createTaskStore(trx).updateTask(alice.id, task.id, { title: 'first' })
          holding.resolve()
          await locked.promise
        })
        await holding.promise
        // waits for the holder's row lock, then finds the row changed under its snapshot
        const blocked = createTaskStore(serializable)
          .updateTask(alice.id, task.id, { title: 'second' })
          .catch((caught: unknown) => caught)
        await waitsForALock(db, applicationName)
        locked.resolve()
        await holder
        const error = await blocked
        expect(error).toBeInstanceOf(DatabaseUnavailableError)
        expect((error as Error).message).toMatch(/serialization failure/)
        expect((error as Error).message).toMatch(/statement was rolled back; it is safe to retry the call/)
        expect((error as Error).message).not.toMatch(/whole transaction/)
        expect((await tasks.getTask(alice.id, task.id)).title).toBe('first')
      } finally {
        await serializable.destroy()
      }
    })
  },
  // PgBouncer refuses the options startup parameter; the direct server shows the store's own path.
  { only: ['postgres'] },
)
