import { randomBytes } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  createDatabase,
  createTaskStore,
  createUserStore,
  type Database,
  type DatabaseOptions,
  migrateToLatest,
  NotFoundError,
  ValidationError,
} from '../../src/index.js'
import { uniqueSchema } from '../support/backends.js'
import { type NeonRelay, startNeonRelay } from '../support/neon-relay.js'

const url = process.env.TEST_DATABASE_URL
const CHEAP_SCRYPT = { logN: 10, r: 8, p: 1 } as const
const POOL_MAX = 5
const OPERATIONS = 500

describe.skipIf(!url)(`500 concurrent operations on a pool of 5${url ? '' : ' (TEST_DATABASE_URL is not set)'}`, () => {
  let relay: NeonRelay
  let observer: Kysely<any>

  beforeAll(async () => {
    relay = await startNeonRelay()
    observer = createDatabase({ connectionString: url, pool: { max: 1 } })
  })
  afterAll(async () => {
    await observer?.destroy()
    await relay?.close()
  })

  /** This pool's server connections, by state, as pg_stat_activity sees them. */
  async function serverConnections(applicationName: string) {
    const { rows } = await sql<{ state: string | null }>`
      select state from pg_stat_activity where application_name = ${applicationName}`.execute(observer)
    return rows
  }

  for (const driver of ['pg', 'neon'] as const) {
    test(`${driver}: all complete, at most 5 server connections, none leaked afterwards`, async () => {
      const applicationName = `taskstore-load-${randomBytes(4).toString('hex')}`
      const connectionString = new URL(url!)
      connectionString.searchParams.set('application_name', applicationName)
      const options: DatabaseOptions = {
        connectionString: connectionString.toString(),
        schema: uniqueSchema('load'),
        pool: { max: POOL_MAX, idleTimeoutMillis: 60_000, connectionTimeoutMillis: 30_000 },
        ...(driver === 'neon' ? { driver, neon: relay.settings } : {}),
      }
      const db: Kysely<Database> = createDatabase(options)
      try {
        await migrateToLatest(db)
        const users = createUserStore(db, { scrypt: CHEAP_SCRYPT })
        const tasks = createTaskStore(db)
        const owners = await Promise.all(
          Array.from({ length: 10 }, (_, i) => users.createUser({ email: `load${i}@example.com` })),
        )
        const seed = await Promise.all(owners.map((owner) => tasks.createTask(owner.id, { title: 'seed' })))

        let peak = 0
        let sampling = true
        const sampler = (async () => {
          while (sampling) {
            peak = Math.max(peak, (await serverConnections(applicationName)).length)
            await new Promise((resolve) => setTimeout(resolve, 10))
          }
        })()

        const expectedErrors = { validation: 0, notFound: 0, rolledBack: 0 }
        const started = performance.now()
        const outcomes = await Promise.allSettled(
          Array.from({ length: OPERATIONS }, async (_, i) => {
            const owner = owners[i % owners.length]!
            const task = seed[i % seed.length]!
            switch (i % 10) {
              case 0:
              case 1:
                return tasks.createTask(owner.id, { title: `load ${i}`, priority: 1 + (i % 5) })
              case 2:
                return tasks.getTasks(owner.id, { limit: 10 })
              case 3:
                return tasks.countTasks(owner.id)
              case 4:
                return tasks.toggleComplete(task.userId, task.id)
              case 5:
                return tasks.updateTask(task.userId, task.id, { description: `load ${i}` })
              case 6:
                // a transaction spanning both stores
                return db.transaction().execute(async (trx) => {
                  const user = await createUserStore(trx, { scrypt: CHEAP_SCRYPT }).createUser({
                    email: `tx${i}@example.com`,
                  })
                  return createTaskStore(trx).createTask(user.id, { title: 'in a transaction' })
                })
              case 7:
                // a transaction the host aborts: its connection must come back too
                return db
                  .transaction()
                  .execute(async (trx) => {
                    await createTaskStore(trx).createTask(owner.id, { title: 'rolled back' })
                    throw new Error('abort')
                  })
                  .catch((error: Error) => {
                    if (error.message !== 'abort') throw error
                    expectedErrors.rolledBack++
                  })
              case 8:
                return tasks.getTask(owner.id, 2_000_000_000).catch((error) => {
                  if (!(error instanceof NotFoundError)) throw error
                  expectedErrors.notFound++
                })
              default:
                return tasks.createTask(owner.id, { title: 'x', priority: 9 }).catch((error) => {
                  if (!(error instanceof ValidationError)) throw error
                  expectedErrors.validation++
                })
            }
          }),
        )
        const elapsed = performance.now() - started
        sampling = false
        await sampler

        const failed = outcomes.filter((outcome) => outcome.status === 'rejected')
        expect(failed.map((outcome) => String((outcome as PromiseRejectedResult).reason))).toEqual([])
        expect(expectedErrors).toEqual({ validation: 50, notFound: 50, rolledBack: 50 })
        expect(peak).toBeGreaterThan(0)
        expect(peak).toBeLessThanOrEqual(POOL_MAX)
        const rolledBack = await db
          .selectFrom('tasks')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('title', '=', 'rolled back')
          .executeTakeFirstOrThrow()
        expect(Number(rolledBack.n)).toBe(0)

        // Back to idle: no connection is busy or stuck in a transaction.
        const after = await serverConnections(applicationName)
        expect(after.length).toBeLessThanOrEqual(POOL_MAX)
        expect(after.every((connection) => connection.state === 'idle')).toBe(true)
        // No client leaked: five 300 ms sleeps at once finish together only if all five clients are free.
        const probeStarted = performance.now()
        await Promise.all(Array.from({ length: POOL_MAX }, () => sql`select pg_sleep(0.3)`.execute(db)))
        expect(performance.now() - probeStarted).toBeLessThan(590)

        console.log(
          `[reliability] ${driver}: ${OPERATIONS} concurrent operations on a pool of ${POOL_MAX} in ${Math.round(elapsed)} ms, peak ${peak} server connections`,
        )
      } finally {
        await db.destroy()
      }
      // Destroying the pool closes every server connection it opened.
      for (let i = 0; i < 100 && (await serverConnections(applicationName)).length > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      expect(await serverConnections(applicationName)).toEqual([])
    })
  }

  test('the leak probe can fail: a client held by an unfinished transaction makes it take two rounds', async () => {
    const applicationName = `taskstore-load-${randomBytes(4).toString('hex')}`
    const connectionString = new URL(url!)
    connectionString.searchParams.set('application_name', applicationName)
    const db = createDatabase({ connectionString: connectionString.toString(), pool: { max: POOL_MAX } })
    try {
      // a transaction that never finishes holds one client; the probe must then take two rounds
      let release!: () => void
      let holding!: () => void
      const holds = new Promise<void>((resolve) => {
        holding = resolve
      })
      const held = db.transaction().execute(async (trx) => {
        await sql`select 1`.execute(trx)
        holding()
        await new Promise<void>((resolve) => {
          release = resolve
        })
      })
      // the transaction has its client before the probe starts (a fixed wait was too short on a loaded machine)
      await holds
      const probeStarted = performance.now()
      await Promise.all(Array.from({ length: POOL_MAX }, () => sql`select pg_sleep(0.3)`.execute(db)))
      expect(performance.now() - probeStarted).toBeGreaterThanOrEqual(590)
      const busy = (await serverConnections(applicationName)).filter((c) => c.state !== 'idle')
      expect(busy.length).toBe(1)
      release()
      await held
    } finally {
      await db.destroy()
    }
  })
})
