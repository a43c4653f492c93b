import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  createDatabase,
  createTaskStore,
  createUserStore,
  type Database,
  type DatabaseOptions,
  migrateToLatest,
  type Task,
} from '../../src/index.js'
import { uniqueSchema } from '../support/backends.js'
import { type NeonRelay, startNeonRelay } from '../support/neon-relay.js'
import { type PgBouncer, pgbouncerUnavailableReason, startPgBouncer } from '../support/pgbouncer.js'

const url = process.env.TEST_DATABASE_URL
const CONNECTIONS = 20
const TOGGLES = 1_000
const CHEAP_SCRYPT = { logN: 10, r: 8, p: 1 } as const

// Real concurrency needs real connections: PGlite has one and pg-mem none, so
// these run on the server backends only (direct, through PgBouncer, over the Neon driver).
const backends = [
  { name: 'postgres', skip: url ? null : 'TEST_DATABASE_URL is not set' },
  { name: 'pgbouncer', skip: pgbouncerUnavailableReason() },
  { name: 'neon', skip: url ? null : 'TEST_DATABASE_URL is not set' },
] as const

for (const backend of backends) {
  describe.skipIf(backend.skip !== null)(
    `${backend.name}: concurrent writes to one task${backend.skip ? ` (${backend.skip})` : ''}`,
    () => {
      let bouncer: PgBouncer | undefined
      let relay: NeonRelay | undefined
      let db: Kysely<Database>
      const schema = uniqueSchema('conc')

      beforeAll(async () => {
        // A thousand calls queue for 20 connections and then wait on one row lock in turn, so
        // the last one waits for all the others; on a loaded machine that passes the default
        // 5 s pool wait. These tests are about what the writes leave, not about waiting.
        const options: DatabaseOptions = { schema, pool: { max: CONNECTIONS, connectionTimeoutMillis: 120_000 } }
        if (backend.name === 'pgbouncer') {
          bouncer = await startPgBouncer(url!)
          db = createDatabase({ ...options, connectionString: bouncer.url })
        } else if (backend.name === 'neon') {
          relay = await startNeonRelay()
          db = createDatabase({ ...options, connectionString: url, driver: 'neon', neon: relay.settings })
        } else {
          db = createDatabase({ ...options, connectionString: url })
        }
        await migrateToLatest(db)
      })
      afterAll(async () => {
        if (db) await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db)
        await db?.destroy()
        await bouncer?.stop()
        await relay?.close()
      })

      test(`${TOGGLES} toggles of one task from ${CONNECTIONS} connections leave it flipped exactly ${TOGGLES} times`, async () => {
        const user = await createUserStore(db, { scrypt: CHEAP_SCRYPT }).createUser({ email: 'toggler@example.com' })
        const tasks = createTaskStore(db)
        const task = await tasks.createTask(user.id, { title: 'flip me' })

        const results = await Promise.all(Array.from({ length: TOGGLES }, () => tasks.toggleComplete(user.id, task.id)))
        const completedAfter = results.filter((result) => result.completed).length
        // Each flip sees the one before it: the states it reports alternate, so half say completed.
        expect(completedAfter).toBe(TOGGLES / 2)
        expect(results.every((result) => result.completed === (result.completedAt !== null))).toBe(true)
        const final = await tasks.getTask(user.id, task.id)
        expect(final.completed).toBe(TOGGLES % 2 === 1)
        expect(final.completedAt).toBeNull()
        expect(final.updatedAt.getTime()).toBeGreaterThanOrEqual(task.updatedAt.getTime())
      })

      test('concurrent updates and toggles never break completed = (completed_at is not null)', async () => {
        const user = await createUserStore(db, { scrypt: CHEAP_SCRYPT }).createUser({ email: 'mixer@example.com' })
        const tasks = createTaskStore(db)
        const targets = await Promise.all(
          [0, 1, 2].map((i) => tasks.createTask(user.id, { title: `shared ${i}`, completed: i === 1 })),
        )
        const OPS = 600
        const returned: Task[] = []
        await Promise.all(
          Array.from({ length: OPS }, async (_, i) => {
            const target = targets[i % targets.length]!
            const kind = (i * 7) % 5
            const task =
              kind === 0
                ? await tasks.toggleComplete(user.id, target.id)
                : kind === 1
                  ? await tasks.updateTask(user.id, target.id, { completed: i % 2 === 0 })
                  : kind === 2
                    ? await tasks.updateTask(user.id, target.id, { completed: i % 3 === 0, title: `t${i}` })
                    : kind === 3
                      ? await tasks.updateTask(user.id, target.id, { title: `renamed ${i}`, priority: 1 + (i % 5) })
                      : await tasks.getTask(user.id, target.id)
            returned.push(task)
          }),
        )
        expect(returned).toHaveLength(OPS)
        const broken = returned.filter((task) => task.completed !== (task.completedAt !== null))
        expect(broken).toEqual([])
        const { rows } = await sql<{ n: string }>`
          select count(*) as n from ${sql.id(schema, 'tasks')}
          where completed <> (completed_at is not null)`.execute(db)
        expect(Number(rows[0]!.n)).toBe(0)
        for (const target of targets) {
          const final = await tasks.getTask(user.id, target.id)
          expect(final.completed).toBe(final.completedAt !== null)
          expect(final.updatedAt.getTime()).toBeGreaterThanOrEqual(final.createdAt.getTime())
        }
      })
    },
  )
}
