/**
 * Read replicas on a throwaway primary and streaming standby (run as root,
 * with the PostgreSQL server binaries installed):
 *
 *   npx tsx bench/replicas.ts
 *
 * 1. A read's p50 through the router, the replica up to date, against the
 *    same read sent straight to that replica: the router's cost.
 * 2. A write's p50 with read-your-writes (it also reads the primary's WAL
 *    position on its connection) against the same write without.
 * 3. A read-heavy mix (9 reads : 1 write, 8 workers) with one replica
 *    against none. Both servers share this machine's cores, so this shows
 *    correctness and overhead, not the speed-up a second machine gives.
 */
import type { Kysely } from 'kysely'
import { createDatabase, createTaskStore, createUserStore, type Database, migrateToLatest } from '../src/index.js'
import { replicationUnavailableReason, startReplicationPair } from '../test/support/replication.js'
import type { BenchPlan } from './bench-config.js'
import { measureInterleaved } from './measure-interleaved.js'
import { summarize } from './stats.js'

const SCHEMA = 'replica_bench'
const USERS = 200
const TASKS_PER_USER = 20
const MIX_MS = 5_000
const MIX_WORKERS = 8
const PLAN = { rounds: 5, roundTargetMs: 400, minIterations: 200, maxIterations: 2_000 } as BenchPlan

const reason = replicationUnavailableReason()
if (reason) {
  console.error(`Cannot run: ${reason}`)
  process.exit(1)
}

const pair = await startReplicationPair()
const databases: Kysely<Database>[] = []
const open = (connectionString: string, extra: Parameters<typeof createDatabase>[0] = {}) => {
  const db = createDatabase({ connectionString, schema: SCHEMA, pool: { max: MIX_WORKERS }, ...extra })
  databases.push(db)
  return db
}

try {
  const primaryOnly = open(pair.primary.url())
  await migrateToLatest(primaryOnly, { schema: SCHEMA })
  const userIds: string[] = []
  const taskIds: number[] = []
  for (let u = 0; u < USERS; u++) {
    const user = await createUserStore(primaryOnly).createUser({ email: `bench${u}@example.com` })
    userIds.push(user.id)
    for (let t = 0; t < TASKS_PER_USER; t++) {
      taskIds.push((await createTaskStore(primaryOnly).createTask(user.id, { title: `task ${t}` })).id)
    }
  }
  await pair.waitForReplay()

  const routed = createTaskStore(open(pair.primary.url(), { replicas: [pair.standby.url()] }))
  const straight = createTaskStore(open(pair.standby.url()))
  const owner = (index: number) => userIds[Math.floor((index % taskIds.length) / TASKS_PER_USER)]!
  const task = (index: number) => taskIds[index % taskIds.length]!

  const [viaRouter, direct] = await measureInterleaved(PLAN, [
    { label: 'router', run: (i) => routed.getTask(owner(i), task(i)) },
    { label: 'direct', run: (i) => straight.getTask(owner(i), task(i)) },
  ])
  const readRatio = summarize(viaRouter!).p50Us / summarize(direct!).p50Us
  console.log(
    `read p50 through the router ${summarize(viaRouter!).p50Us} µs, straight to the replica ${summarize(direct!).p50Us} µs: ratio ${readRatio.toFixed(3)}`,
  )

  const tokenWrites = createTaskStore(open(pair.primary.url(), { replicas: [pair.standby.url()] }))
  const plainWrites = createTaskStore(open(pair.primary.url()))
  const [withToken, without] = await measureInterleaved(PLAN, [
    { label: 'read-your-writes', run: (i) => tokenWrites.createTask(owner(i), { title: `bench write ${i}` }) },
    { label: 'no replicas', run: (i) => plainWrites.createTask(owner(i), { title: `bench write ${i}` }) },
  ])
  const writeRatio = summarize(withToken!).p50Us / summarize(without!).p50Us
  console.log(
    `write p50 with its WAL position ${summarize(withToken!).p50Us} µs, without ${summarize(without!).p50Us} µs: ratio ${writeRatio.toFixed(3)} (+${summarize(withToken!).p50Us - summarize(without!).p50Us} µs)`,
  )

  const mix = async (tasks: ReturnType<typeof createTaskStore>) => {
    let calls = 0
    let stale = 0
    const until = Date.now() + MIX_MS
    await Promise.all(
      Array.from({ length: MIX_WORKERS }, async (_, worker) => {
        for (let n = 0; Date.now() < until; n++) {
          const userId = userIds[(worker + n * MIX_WORKERS) % USERS]!
          if (n % 10 === 0) {
            const made = await tasks.createTask(userId, { title: `mix ${worker} ${n}` })
            if ((await tasks.getTask(userId, made.id)).id !== made.id) stale++
            calls += 2
          } else {
            await tasks.getTasks(userId, { limit: 10 })
            calls++
          }
        }
      }),
    )
    return { perSecond: (calls * 1000) / MIX_MS, stale }
  }
  const none = await mix(createTaskStore(open(pair.primary.url())))
  const one = await mix(createTaskStore(open(pair.primary.url(), { replicas: [pair.standby.url()] })))
  console.log(
    `read-heavy mix, ${MIX_WORKERS} workers: ${none.perSecond.toFixed(0)} calls/s with no replica, ${one.perSecond.toFixed(0)} with one (ratio ${(one.perSecond / none.perSecond).toFixed(2)}), stale reads ${one.stale}`,
  )
} finally {
  await Promise.all(databases.map((db) => db.destroy()))
  await pair.dispose()
}
