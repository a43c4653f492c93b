import { CamelCasePlugin, sql } from 'kysely'
import { expect, test } from 'vitest'
import { attachmentsOf } from '../../src/db/database-attachments.js'
import { asTaskstoreDatabase } from '../../src/db/taskstore-database.js'
import {
  createDatabase,
  createTaskStore,
  createUserStore,
  migrateToLatest,
  type QueryLogEvent,
} from '../../src/index.js'
import { describeEachBackend } from '../support/backends.js'
import { expectCode, storeFixture, TEST_SCRYPT } from '../support/fixtures.js'
import { startFlakyProxy } from '../support/flaky-proxy.js'

describeEachBackend(
  "the stores' direct path on a database from createDatabase",
  (context) => {
    test('the contract suites run through it on this backend', () => {
      expect(attachmentsOf(context().db).direct).toBeDefined()
    })

    test('statements are logged with their duration, without parameters unless asked', async () => {
      const { schema } = context()
      await storeFixture(context().db)
      const events: QueryLogEvent[] = []
      const db = createDatabase({ connectionString: process.env.TEST_DATABASE_URL, schema, log: (e) => events.push(e) })
      try {
        await createTaskStore(db).countTasks('someone')
        const last = events.at(-1)!
        expect(last.sql).toContain(`"${schema}"`)
        expect(last.durationMs).toBeGreaterThan(0)
        expect(last).not.toHaveProperty('parameters')
      } finally {
        await db.destroy()
      }
    })

    test('destroy() closes the pool even when only the direct path used it', async () => {
      const { schema, db: shared } = context()
      const name = `direct_${schema}`
      const url = new URL(process.env.TEST_DATABASE_URL!)
      url.searchParams.set('application_name', name)
      const db = createDatabase({ connectionString: url.toString(), schema })
      await Promise.all(Array.from({ length: 4 }, () => createTaskStore(db).countTasks('someone')))
      const open = () =>
        sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where application_name = ${name}`
          .execute(shared)
          .then(({ rows }) => rows[0]!.n)
      expect(await open()).toBeGreaterThan(0)
      await db.destroy()
      for (let i = 0; i < 50 && (await open()) > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20))
      expect(await open()).toBe(0)
    })

    test('a transaction goes through Kysely instead; a database with a plugin of the host keeps the path, without the plugin', async () => {
      const { db, tasks, alice } = await storeFixture(context().db)
      await db.transaction().execute(async (trx) => {
        expect(attachmentsOf(trx).direct).toBeUndefined()
        await createTaskStore(trx).createTask(alice.id, { title: 'in a transaction' })
      })
      const withPlugin = db.withPlugin(new CamelCasePlugin())
      expect(attachmentsOf(withPlugin).direct).toBeUndefined()
      expect(attachmentsOf(asTaskstoreDatabase(withPlugin)).direct).toBe(attachmentsOf(db).direct)
      expect((await tasks.countTasks(alice.id)).total).toBe(1)
    })

    test('a copy made with withSchema keeps the direct path and works in its own schema', async () => {
      const { db, schema } = context()
      const other = `${schema}_copy`
      await migrateToLatest(db, { schema: other })
      const copy = db.withSchema(other)
      expect(attachmentsOf(copy).direct).toBe(attachmentsOf(db).direct)
      const users = createUserStore(copy, { scrypt: TEST_SCRYPT })
      const user = await users.createUser({ email: 'copy@example.com' })
      await createTaskStore(copy).createTask(user.id, { title: 'in the copy' })
      expect(await createTaskStore(copy).countTasks(user.id)).toMatchObject({ total: 1 })
      const [row] = await sql<{ n: number }>`select count(*)::int as n from ${sql.id(other, 'tasks')}`
        .execute(db)
        .then((r) => r.rows)
      expect(row!.n).toBe(1)
      expect(await db.selectFrom('tasks').select(sql<number>`count(*)::int`.as('n')).executeTakeFirst()).toEqual({
        n: 0,
      })
      await sql`drop schema ${sql.id(other)} cascade`.execute(db)
    })
  },
  { only: ['postgres'] },
)

describeEachBackend(
  "the direct path's connection retries",
  (context) => {
    const retry = { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 }
    // Idle connections close at once, so every call below has to connect anew.
    const pool = { max: 1, idleTimeoutMillis: 1 }

    test('a connection dropped on open is retried after the database is in use, and the call succeeds', async () => {
      const proxy = await startFlakyProxy(process.env.TEST_DATABASE_URL!)
      const db = createDatabase({ connectionString: proxy.url, schema: context().schema, retry, pool })
      try {
        const tasks = createTaskStore(db)
        expect(await tasks.countTasks('someone')).toEqual({ total: 0, completed: 0, pending: 0 })
        await proxy.allClosed()
        const before = proxy.connections()
        proxy.dropNext(2)
        expect(await tasks.countTasks('someone')).toEqual({ total: 0, completed: 0, pending: 0 })
        expect(proxy.connections() - before).toBe(3)
      } finally {
        await db.destroy()
        await proxy.close()
      }
    })

    test('after `attempts` dropped connections it gives up with DatabaseUnavailableError', async () => {
      const proxy = await startFlakyProxy(process.env.TEST_DATABASE_URL!)
      const db = createDatabase({ connectionString: proxy.url, schema: context().schema, retry, pool })
      try {
        const tasks = createTaskStore(db)
        await tasks.countTasks('someone')
        await proxy.allClosed()
        const before = proxy.connections()
        proxy.dropNext(10)
        await expectCode(tasks.countTasks('someone'), 'unavailable')
        expect(proxy.connections() - before).toBe(retry.attempts)
      } finally {
        await db.destroy()
        await proxy.close()
      }
    })
  },
  { only: ['postgres'] },
)
