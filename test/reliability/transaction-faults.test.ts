import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import {
  createDatabase,
  createTaskStore,
  createUserStore,
  type Database,
  DatabaseUnavailableError,
  migrateToLatest,
} from '../../src/index.js'
import { uniqueSchema } from '../support/backends.js'
import {
  querySuperuser,
  startThrowawayServer,
  type ThrowawayServer,
  throwawayServerUnavailableReason,
} from '../support/throwaway-server.js'
import { SecretWitness } from './secret-scan.js'

const CHEAP_SCRYPT = { logN: 10, r: 8, p: 1 } as const

const serverSkip = throwawayServerUnavailableReason()

describe.skipIf(serverSkip !== null)(
  `a connection killed inside a transaction that spans both stores${serverSkip ? ` (${serverSkip})` : ''}`,
  () => {
    let server: ThrowawayServer
    let db: Kysely<Database>
    const witness = new SecretWitness()

    beforeAll(async () => {
      server = await startThrowawayServer({ passwordRole: true })
    })
    afterAll(async () => {
      await db?.destroy()
      await server?.dispose()
    })
    beforeEach(async () => {
      await db?.destroy()
      db = createDatabase({
        connectionString: server.url(),
        schema: uniqueSchema('fault'),
        pool: { max: 2 },
        log: witness.log,
      })
      await migrateToLatest(db)
    })

    /** Terminates a server backend and waits until it is gone. */
    async function kill(pid: number): Promise<void> {
      await querySuperuser(server.superuserUrl, `select pg_terminate_backend(${pid})`)
      for (let i = 0; i < 100; i++) {
        const rows = (await querySuperuser(
          server.superuserUrl,
          `select 1 from pg_stat_activity where pid = ${pid}`,
        )) as unknown[]
        if (rows.length === 0) return
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      throw new Error(`backend ${pid} did not go away`)
    }

    const backendPid = async (executor: Kysely<any>) =>
      (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(executor)).rows[0]!.pid

    async function rowCounts() {
      const users = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow()
      const tasks = await db
        .selectFrom('tasks')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow()
      return { users: Number(users.n), tasks: Number(tasks.n) }
    }

    test('killed between the user insert and the task insert: DatabaseUnavailableError, nothing stored, the next call works', async () => {
      let killed = 0
      const error = await witness.failure(
        db.transaction().execute(async (trx) => {
          const user = await createUserStore(trx, { scrypt: CHEAP_SCRYPT }).createUser({ email: 'ada@example.com' })
          killed = await backendPid(trx)
          await kill(killed)
          await createTaskStore(trx).createTask(user.id, { title: 'never stored' })
        }),
      )
      expect(error).toBeInstanceOf(DatabaseUnavailableError)
      expect((error as DatabaseUnavailableError).code).toBe('unavailable')

      expect(await rowCounts()).toEqual({ users: 0, tasks: 0 })
      const users = createUserStore(db, { scrypt: CHEAP_SCRYPT })
      expect(await users.findUserByEmail('ada@example.com')).toBeNull()
      const again = await users.createUser({ email: 'ada@example.com' })
      await createTaskStore(db).createTask(again.id, { title: 'stored' })
      expect(await rowCounts()).toEqual({ users: 1, tasks: 1 })
      expect(await backendPid(db)).not.toBe(killed)
    })

    test('killed after both inserts, before COMMIT: DatabaseUnavailableError and nothing stored', async () => {
      const error = await witness.failure(
        db.transaction().execute(async (trx) => {
          const user = await createUserStore(trx, { scrypt: CHEAP_SCRYPT }).createUser({ email: 'bob@example.com' })
          await createTaskStore(trx).createTask(user.id, { title: 'never committed' })
          await kill(await backendPid(trx))
        }),
      )
      expect(error).toBeInstanceOf(DatabaseUnavailableError)
      expect(await rowCounts()).toEqual({ users: 0, tasks: 0 })
    })

    test('killed while a statement of the transaction runs: DatabaseUnavailableError and nothing stored', async () => {
      const error = await witness.failure(
        db.transaction().execute(async (trx) => {
          const user = await createUserStore(trx, { scrypt: CHEAP_SCRYPT }).createUser({ email: 'cy@example.com' })
          const pid = await backendPid(trx)
          setTimeout(() => void kill(pid), 150)
          await sql`select pg_sleep(5)`.execute(trx)
          await createTaskStore(trx).createTask(user.id, { title: 'never stored' })
        }),
      )
      expect(error).toBeInstanceOf(DatabaseUnavailableError)
      expect(await rowCounts()).toEqual({ users: 0, tasks: 0 })
    })

    test('idle pooled connections killed between calls: the next call succeeds on a fresh connection', async () => {
      const users = createUserStore(db, { scrypt: CHEAP_SCRYPT })
      await users.createUser({ email: 'dee@example.com' })
      const pids = (await querySuperuser(
        server.superuserUrl,
        `select pid from pg_stat_activity where usename = '${server.role!.user}' and pid <> pg_backend_pid()`,
      )) as { pid: number }[]
      expect(pids.length).toBeGreaterThan(0)
      for (const { pid } of pids) await kill(pid)
      // the pool notices the closed sockets on its own; give it a moment
      await new Promise((resolve) => setTimeout(resolve, 100))
      const found = await users.findUserByEmail('dee@example.com')
      expect(found?.email).toBe('dee@example.com')
      expect(pids.map((row) => row.pid)).not.toContain(await backendPid(db))
    })

    test('no error, stack, cause or log event of these faults carries the password', () => {
      expect(witness.errors.length).toBe(3)
      expect(witness.events.some((event) => event.error !== undefined)).toBe(true)
      expect(witness.leaks([server.role!.password])).toEqual([])
    })
  },
)
