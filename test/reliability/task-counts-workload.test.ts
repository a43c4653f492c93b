import { type IsolationLevel, type Kysely, sql } from 'kysely'
import { expect, test } from 'vitest'
import { createTaskStore, createUserStore, type Database, type TaskStore } from '../../src/index.js'
import { FOLD_AFTER } from '../../src/stores/task-counter.js'
import { describeEachBackend } from '../support/backends.js'
import { TEST_SCRYPT } from '../support/fixtures.js'
import {
  countedTasks,
  expectExactCounts,
  PREPARED_PIVOT_REASON,
  serializationFailureReason,
} from '../support/task-counts.js'

const WORKERS = 8
const OPS_PER_WORKER = 50
const STABLE_USERS = 4
const LEVELS: readonly IsolationLevel[] = ['read committed', 'repeatable read', 'serializable']
/** Failures plain SQL has too under concurrency: serialization failure, deadlock, a user deleted meanwhile. */
const PLAIN_SQL_FAILURES = new Set(['40001', '40P01', '23503'])

/** mulberry32: small, fast, and the same sequence for the same seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The SQLSTATE of an error or of any error in its cause chain. */
function sqlStateOf(error: unknown): string | undefined {
  for (let current = error as { code?: unknown; cause?: unknown } | undefined; current; ) {
    if (typeof current.code === 'string' && /^[0-9A-Z]{5}$/.test(current.code)) return current.code
    current = current.cause as typeof current | undefined
  }
  return undefined
}

const taskstoreCode = (error: unknown) => (error as { code?: unknown } | null)?.code

interface Tally {
  ops: number
  committed: number
  rolledBack: number
  /** Transactions and statements that failed as plain SQL can (40001, 40P01, 23503), by SQLSTATE. */
  plainFailures: Record<string, number>
  /** Counts checked against count(*) inside repeatable read and serializable transactions. */
  snapshotChecks: number
  truncates: number
  /** Runs of more than FOLD_AFTER writes for one user followed by a count, which folds. */
  bursts: number
  /** Insert-only transactions cancelled because a pivot that read their rows was committing (plain inserts meet it too). */
  insertsBesideCommittingPivot: number
}

describeEachBackend(
  'task counts under a randomized concurrent workload',
  (context) => {
    test('store calls, host transactions at every isolation level (some rolled back) and raw SQL leave countTasks equal to count(*) for every user', async () => {
      const { db, schema } = context()
      const seed = Number(process.env.COUNT_WORKLOAD_SEED ?? Math.floor(Math.random() * 2 ** 31))
      const users = createUserStore(db, { scrypt: TEST_SCRYPT })
      const tasks = createTaskStore(db)
      const stable = await Promise.all(
        Array.from({ length: STABLE_USERS }, (_, i) => users.createUser({ email: `user${i}@example.com` })),
      )
      const ephemeralId = 'ephemeral-user'
      await users.createUser({ id: ephemeralId, email: 'ephemeral@example.com' })
      const userIds = [...stable.map((user) => user.id), ephemeralId]
      for (const userId of userIds) {
        for (let i = 0; i < 5; i++) await tasks.createTask(userId, { title: `seed ${i}`, completed: i % 2 === 0 })
      }

      const table = sql.id(schema, 'tasks')
      const tally: Tally = {
        ops: 0,
        committed: 0,
        rolledBack: 0,
        plainFailures: {},
        snapshotChecks: 0,
        truncates: 0,
        bursts: 0,
        insertsBesideCommittingPivot: 0,
      }
      const unexpected: string[] = []
      let knownTasks: Array<{ id: number; userId: string }> = []
      const refreshKnownTasks = async () => {
        const rows = await db.selectFrom('tasks').select(['id', 'user_id']).orderBy(sql`random()`).limit(200).execute()
        knownTasks = rows.map((row) => ({ id: row.id, userId: row.user_id }))
      }
      await refreshKnownTasks()

      const worker = async (index: number) => {
        const random = seededRandom(seed + index * 7919)
        const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
        const anyUser = () => pick(userIds)
        const stableUser = () => pick(stable).id
        // Mostly the owner's own task, now and then someone else's (Forbidden) or a stale id (NotFound).
        const someTask = () =>
          knownTasks.length > 0 && random() < 0.9
            ? pick(knownTasks)
            : { id: 1 + Math.floor(random() * 5000), userId: anyUser() }

        /** One store call on a store over `db` or a transaction; returns nothing, throws what the store threw. */
        const storeCall = async (store: TaskStore): Promise<void> => {
          const roll = random()
          const task = someTask()
          if (roll < 0.3) await store.createTask(anyUser(), { title: 'created', completed: random() < 0.3 })
          else if (roll < 0.5) await store.toggleComplete(task.userId, task.id)
          else if (roll < 0.6) await store.updateTask(task.userId, task.id, { completed: random() < 0.5 })
          else if (roll < 0.65) await store.updateTask(task.userId, task.id, { title: 'renamed' })
          else if (roll < 0.8) await store.deleteTask(task.userId, task.id)
          else if (roll < 0.85) await store.clearCompleted(anyUser())
          else await store.countTasks(anyUser())
        }

        /** One raw statement, as a host's own SQL would be. */
        const rawStatement = async (target: Kysely<Database>): Promise<void> => {
          const roll = random()
          const userId = anyUser()
          if (roll < 0.3) {
            await sql`insert into ${table} (user_id, title, completed, completed_at)
                      select ${userId}, 'raw ' || g, g % 2 = 0, case when g % 2 = 0 then now() end
                      from generate_series(1, ${1 + Math.floor(random() * 5)}) g`.execute(target)
          } else if (roll < 0.55) {
            await sql`update ${table} set completed = not completed, completed_at = case when completed then null else now() end
                      where id in (select id from ${table} where user_id = ${userId} order by id limit ${1 + Math.floor(random() * 4)})`.execute(
              target,
            )
          } else if (roll < 0.8) {
            await sql`update ${table} set user_id = ${anyUser()}
                      where id in (select id from ${table} where user_id = ${userId} order by id limit ${1 + Math.floor(random() * 3)})`.execute(
              target,
            )
          } else {
            await sql`delete from ${table} where id in (select id from ${table} where user_id = ${userId} order by id desc limit 2)`.execute(
              target,
            )
          }
        }

        /** Runs one step; expected failures are tallied, anything else recorded as unexpected. */
        const attempt = async (label: string, step: () => Promise<void>): Promise<boolean> => {
          try {
            await step()
            return true
          } catch (error) {
            const state = sqlStateOf(error)
            const code = taskstoreCode(error)
            if (state && PLAIN_SQL_FAILURES.has(state)) {
              tally.plainFailures[state] = (tally.plainFailures[state] ?? 0) + 1
            } else if (code !== 'not_found' && code !== 'forbidden') {
              unexpected.push(`${label}: ${error instanceof Error ? error.message : String(error)}`)
            }
            return false
          }
        }

        for (let op = 0; op < OPS_PER_WORKER; op++) {
          tally.ops++
          const roll = random()
          if (roll < 0.33) {
            await attempt('store call', () => storeCall(tasks))
          } else if (roll < 0.5) {
            await attempt('raw statement', () => rawStatement(db))
          } else if (roll < 0.8) {
            const level = pick(LEVELS)
            const rollBack = random() < 0.3
            const steps = 1 + Math.floor(random() * 4)
            await attempt(`${level} transaction`, async () => {
              const trx = await db.startTransaction().setIsolationLevel(level).execute()
              try {
                const store = createTaskStore(trx)
                for (let step = 0; step < steps; step++) {
                  if (random() < 0.25) await rawStatement(trx)
                  else await storeCall(store)
                }
                if (level !== 'read committed') {
                  // One snapshot: the counts and the rows must agree exactly.
                  const userId = anyUser()
                  expect(await store.countTasks(userId)).toEqual(await countedTasks(trx, userId))
                  tally.snapshotChecks++
                }
                if (rollBack) {
                  await trx.rollback().execute()
                  tally.rolledBack++
                } else {
                  await trx.commit().execute()
                  tally.committed++
                }
              } catch (error) {
                await trx
                  .rollback()
                  .execute()
                  .catch(() => {})
                throw error
              }
            })
          } else if (roll < 0.93) {
            // Only inserts, at repeatable read or serializable. Plain inserts fail there only when a SERIALIZABLE
            // pivot that read them is committing at that moment (serializable-inserts.test.ts); so may these, and
            // for no other reason.
            const level = pick(LEVELS.slice(1))
            const userId = stableUser()
            try {
              await db
                .transaction()
                .setIsolationLevel(level)
                .execute(async (trx) => {
                  const store = createTaskStore(trx)
                  for (let i = 0; i < 1 + Math.floor(random() * 3); i++)
                    await store.createTask(userId, { title: 'insert only' })
                })
              tally.committed++
            } catch (error) {
              if (level === 'serializable' && serializationFailureReason(error) === PREPARED_PIVOT_REASON) {
                tally.insertsBesideCommittingPivot++
              } else {
                const reason = serializationFailureReason(error)
                unexpected.push(
                  `insert-only ${level} transaction failed: ${(error as Error).message}${reason ? ` (${reason})` : ''}`,
                )
              }
            }
          } else if (roll < 0.95) {
            // Enough single-row writes for one user that the count after them folds, while others write.
            const userId = stableUser()
            await attempt('burst of writes, then a count', async () => {
              for (let i = 0; i <= FOLD_AFTER; i++) {
                await sql`insert into ${table} (user_id, title) values (${userId}, 'burst')`.execute(db)
              }
              await tasks.countTasks(userId)
              tally.bursts++
            })
          } else if (roll < 0.97) {
            await refreshKnownTasks()
          } else if (roll < 0.985) {
            await attempt('delete and recreate a user', async () => {
              await users.deleteUser(ephemeralId).catch((error) => {
                if (taskstoreCode(error) !== 'not_found') throw error
              })
              await users.createUser({ id: ephemeralId, email: 'ephemeral@example.com' }).catch((error) => {
                // another worker recreated it first
                if (taskstoreCode(error) !== 'conflict') throw error
              })
            })
          } else {
            tally.truncates++
            await attempt('truncate', async () => {
              await sql`truncate ${table}`.execute(db)
            })
          }
        }
      }

      await Promise.all(Array.from({ length: WORKERS }, (_, index) => worker(index)))
      expect(unexpected, `seed ${seed}`).toEqual([])
      await expectExactCounts(db, userIds)
      // Folding whatever is left changes nothing.
      for (const userId of userIds) await tasks.countTasks(userId)
      await expectExactCounts(db, userIds)
      expect(tally.committed + tally.rolledBack).toBeGreaterThan(0)
      console.log(`[count workload] ${context().backend}, seed ${seed}: ${JSON.stringify(tally)}`)
    })
  },
  { only: ['postgres', 'pgbouncer', 'neon'] },
)
