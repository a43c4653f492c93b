import type { Kysely } from 'kysely'
import { afterAll, beforeAll, expect, test } from 'vitest'
import {
  createDatabase,
  createTaskStore,
  createUserStore,
  type Database,
  migrateToLatest,
  TaskstoreError,
} from '../../src/index.js'
import { type ReplicationPair, replicationUnavailableReason, startReplicationPair } from '../support/replication.js'

const WORKERS = 4
const LOAD_BEFORE_CRASH_MS = 1_500
const LOAD_AFTER_PROMOTE_MS = 3_000
const skip = replicationUnavailableReason()
const because = skip ? `(${skip}) ` : ''
let pair: ReplicationPair
let db: Kysely<Database>

beforeAll(async () => {
  if (skip) return
  pair = await startReplicationPair()
  db = createDatabase({
    // the standby is named first: before the failover it is passed over, after it it is the one taking writes
    connectionString: pair.multiHostUrl(['standby', 'primary']),
    schema: 'failover',
    pool: { max: WORKERS, connectionTimeoutMillis: 1_000 },
    retry: { attempts: 5, baseDelayMs: 50, maxDelayMs: 500 },
  })
  await migrateToLatest(db, { schema: 'failover' })
}, 60_000)
afterAll(async () => {
  await db?.destroy()
  await pair?.dispose()
})

interface Outcome {
  readonly acknowledged: Map<string, number>
  readonly failures: unknown[]
  readonly successTimes: number[]
  attempts: number
}

async function writeUntil(userId: string, worker: number, until: () => boolean, outcome: Outcome): Promise<void> {
  const tasks = createTaskStore(db)
  for (let step = 0; !until(); step++) {
    const title = `worker ${worker} write ${step}`
    outcome.attempts++
    try {
      const task = await tasks.createTask(userId, { title })
      outcome.acknowledged.set(title, task.id)
      outcome.successTimes.push(performance.now())
    } catch (error) {
      outcome.failures.push(error)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
}

test.skipIf(skip !== null)(
  `${because}a crashed primary under ${WORKERS} writers: writes resume on the promoted standby within seconds, every failure is unavailable, and with synchronous replication no acknowledged write is lost or applied twice`,
  async () => {
    const users = createUserStore(db)
    const userIds: string[] = []
    for (let i = 0; i < WORKERS; i++) userIds.push((await users.createUser({ email: `writer${i}@example.com` })).id)
    await pair.makeSynchronous()

    const outcome: Outcome = { acknowledged: new Map(), failures: [], successTimes: [], attempts: 0 }
    let stop = false
    const load = userIds.map((userId, worker) => writeUntil(userId, worker, () => stop, outcome))

    await new Promise((resolve) => setTimeout(resolve, LOAD_BEFORE_CRASH_MS))
    const acknowledgedBeforeCrash = outcome.acknowledged.size
    await pair.crashPrimary()
    const crashedAt = performance.now()
    const promoteMs = await pair.promoteStandby()
    const promotedAt = performance.now()
    await new Promise((resolve) => setTimeout(resolve, LOAD_AFTER_PROMOTE_MS))
    stop = true
    await Promise.all(load)

    // once the crashed primary has exited, any acknowledged write was made by the promoted standby; how long
    // the server takes to promote is its own business, so the store is judged from the end of the promotion
    const firstAfterCrash = outcome.successTimes.find((time) => time >= crashedAt)
    const resumeMs = firstAfterCrash === undefined ? Number.POSITIVE_INFINITY : firstAfterCrash - crashedAt
    const resumeAfterPromotionMs =
      firstAfterCrash === undefined ? Number.POSITIVE_INFINITY : firstAfterCrash - promotedAt
    const rows = (await pair.standby.query(
      'select title, count(*)::int as copies from failover.tasks group by title',
    )) as { title: string; copies: number }[]
    const stored = new Map(rows.map((row) => [row.title, row.copies]))
    const lost = [...outcome.acknowledged.keys()].filter((title) => !stored.has(title))
    const duplicated = rows.filter((row) => row.copies > 1)
    const codes = outcome.failures.map((error) => (error instanceof TaskstoreError ? error.code : String(error)))
    console.info(
      `failover: ${outcome.attempts} writes tried, ${outcome.acknowledged.size} acknowledged (${acknowledgedBeforeCrash} before the crash), ${codes.length} failed; pg_ctl promote took ${promoteMs.toFixed(0)} ms, the first write was acknowledged ${resumeMs.toFixed(0)} ms after the primary died (${resumeAfterPromotionMs.toFixed(0)} ms after the promotion ended); lost ${lost.length}, applied twice ${duplicated.length}`,
    )

    expect(acknowledgedBeforeCrash).toBeGreaterThan(0)
    // the retry's longest wait is 500 ms and a crashed server refuses connections at once: two seconds is ample
    expect(resumeAfterPromotionMs).toBeLessThan(2_000)
    expect(outcome.successTimes.filter((time) => time >= promotedAt).length).toBeGreaterThan(0)
    expect(new Set(codes)).toEqual(new Set(codes.length > 0 ? ['unavailable'] : []))
    expect(lost).toEqual([])
    expect(duplicated).toEqual([])
  },
  60_000,
)
