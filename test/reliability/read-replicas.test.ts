import { execFileSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { type AddressInfo, createServer } from 'node:net'
import { join } from 'node:path'
import { context as otelContext, SpanKind, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, expect, test } from 'vitest'
import {
  checkHealth,
  createDatabase,
  createTaskStore,
  createUserStore,
  type Database,
  type DatabaseOptions,
  migrateToLatest,
} from '../../src/index.js'
import { type ReplicationPair, replicationUnavailableReason, startReplicationPair } from '../support/replication.js'
import { waitFor } from '../support/throwaway-server.js'

const SCHEMA = 'replica_reads'
const USERS = 40
const skip = replicationUnavailableReason()
const because = skip ? `(${skip}) ` : ''
let pair: ReplicationPair
let userIds: string[] = []
const opened: Kysely<Database>[] = []

beforeAll(async () => {
  if (skip) return
  // the statement statistics count how often the standby plans a statement (preparedStatements below)
  pair = await startReplicationPair({
    settings: [`shared_preload_libraries = 'pg_stat_statements'`, 'pg_stat_statements.track_planning = on'],
  })
  await pair.primary.query('create extension pg_stat_statements')
  const setup = open({ readConsistency: 'primary' })
  await migrateToLatest(setup, { schema: SCHEMA })
  const users = createUserStore(setup)
  userIds = []
  for (let i = 0; i < USERS; i++) userIds.push((await users.createUser({ email: `reader${i}@example.com` })).id)
  await pair.waitForReplay()
}, 60_000)
afterAll(async () => {
  await Promise.all(opened.map((db) => db.destroy()))
  await pair?.dispose()
})

function open(options: Partial<DatabaseOptions> = {}): Kysely<Database> {
  const db = createDatabase({
    connectionString: pair.primary.url(),
    replicas: [pair.standby.url()],
    schema: SCHEMA,
    pool: { max: 8 },
    ...options,
  })
  opened.push(db)
  return db
}

// Server statistics reach the shared counters when a backend ends (or up to 10 s after it goes idle):
// connections of the counting tests close 100 ms after their last use.
const SHORT_LIVED = { pool: { max: 8, idleTimeoutMillis: 100 } }

/** Index and sequential scans of the tasks table on one node, as its own statistics count them. */
async function taskScans(node: ReplicationPair['primary']): Promise<number> {
  const [row] = (await node.query(
    `select coalesce(sum(coalesce(idx_scan, 0) + coalesce(seq_scan, 0)), 0)::int as scans
       from pg_stat_user_tables where schemaname = '${SCHEMA}' and relname = 'tasks'`,
  )) as { scans: number }[]
  return row!.scans
}

const randomUser = () => userIds[Math.floor(Math.random() * userIds.length)]!

/** Runs `pairs` write-then-read pairs over `workers` concurrent loops; returns how many reads missed their write. */
async function writeThenRead(db: Kysely<Database>, pairs: number, workers: number, label: string) {
  const tasks = createTaskStore(db)
  let next = 0
  let stale = 0
  // each worker has users of its own, picked at random: no other worker's write can move its counts or pages
  const worker = async (_: unknown, index: number) => {
    const own = userIds.filter((_, i) => i % workers === index)
    for (let n = next++; n < pairs; n = next++) {
      const userId = own[Math.floor(Math.random() * own.length)]!
      const title = `${label} ${n}`
      let id: number
      if (n % 10 === 0) {
        // every tenth write inside a host transaction: it counts from its commit
        id = await db
          .transaction()
          .execute(async (trx) => (await createTaskStore(trx).createTask(userId, { title })).id)
      } else {
        id = (await tasks.createTask(userId, { title })).id
      }
      const read = n % 3
      if (read === 0) {
        const found = await tasks.getTask(userId, id).catch(() => null)
        if (found?.title !== title) stale++
      } else if (read === 1) {
        const page = await tasks.getTasks(userId, { limit: 5 })
        if (!page.items.some((task) => task.id === id)) stale++
      } else {
        const before = await tasks.countTasks(userId)
        await tasks.deleteTask(userId, id)
        const after = await tasks.countTasks(userId)
        if (after.total !== before.total - 1) stale++
      }
    }
  }
  await Promise.all(Array.from({ length: workers }, worker))
  return stale
}

test.skipIf(skip !== null)(
  `${because}1,000 write-then-read pairs for random users with a replica 500 ms behind: no read misses its write`,
  async () => {
    await pair.setApplyDelay(500)
    try {
      const db = open()
      const stale = await writeThenRead(db, 1_000, 16, 'ryw')
      // the same load with eventual consistency does read stale data, so the check above can fail
      const eventual = open({ readConsistency: 'eventual' })
      const staleEventual = await writeThenRead(eventual, 200, 16, 'eventual')
      console.info(`replica 500 ms behind: read-your-writes ${stale} stale of 1000; eventual ${staleEventual} of 200`)
      expect(stale).toBe(0)
      expect(staleEventual).toBeGreaterThan(0)
    } finally {
      await pair.setApplyDelay(0)
    }
  },
  120_000,
)

test.skipIf(skip !== null)(
  `${because}reads for users with no recent write are served by the replica, as its own statistics show`,
  async () => {
    const db = open(SHORT_LIVED)
    const tasks = createTaskStore(db)
    const users = createUserStore(db)
    const seed = await tasks.createTask(userIds[0]!, { title: 'seen on the replica' })
    await pair.waitForReplay()
    const standbyBefore = await taskScans(pair.standby)
    const primaryBefore = await taskScans(pair.primary)
    const reads = 200
    for (let i = 0; i < reads; i++) {
      expect((await tasks.getTask(userIds[0]!, seed.id)).title).toBe('seen on the replica')
      await tasks.getTasks(randomUser(), { limit: 3 })
      await users.getUser(randomUser())
    }
    // On a busy machine a new database's first reads may go to the primary while the replica is slow to answer
    // its first lag reading: all but a few reads are the replica's.
    const mostReads = 2 * reads - 10
    await waitFor(
      async () => {
        if ((await taskScans(pair.standby)) - standbyBefore < mostReads) throw new Error('not yet counted')
      },
      5_000,
      'The standby statistics',
    )
    const standbyScans = (await taskScans(pair.standby)) - standbyBefore
    const primaryScans = (await taskScans(pair.primary)) - primaryBefore
    console.info(`${2 * reads} task reads: ${standbyScans} scans on the replica, ${primaryScans} on the primary`)
    expect(standbyScans).toBeGreaterThanOrEqual(mostReads)
    expect(primaryScans).toBeLessThan(reads / 10)
  },
  60_000,
)

test.skipIf(skip !== null)(
  `${because}a stopped replica costs no call an error, checkHealth reports it, and it serves reads again once back`,
  async () => {
    const db = open(SHORT_LIVED)
    const tasks = createTaskStore(db)
    const seed = await tasks.createTask(userIds[1]!, { title: 'outlives the replica' })
    await pair.waitForReplay()
    await tasks.getTask(userIds[1]!, seed.id)
    await pair.stopStandby()
    let errors = 0
    try {
      for (let i = 0; i < 200; i++) {
        const userId = randomUser()
        await tasks
          .createTask(userId, { title: `while the replica is down ${i}` })
          .then(() => tasks.getTasks(userId, { limit: 3 }))
          .then(() => tasks.getTask(userIds[1]!, seed.id))
          .then(() => tasks.countTasks(userId))
          .catch(() => errors++)
      }
      const down = await checkHealth(db)
      expect(down.ok).toBe(true)
      expect(down.nodes?.map((node) => [node.role, node.ok])).toEqual([
        ['primary', true],
        ['replica', false],
      ])
    } finally {
      await pair.startStandby()
    }
    expect(errors).toBe(0)
    await pair.waitForReplay()
    // A failed replica is passed over for a second, then tried again; a read the primary served while it was
    // down waits until the replica is seen to have replayed that far. So reads go back to the replica, on a busy
    // machine not at once: read until it has served fifty of them, as its own statistics count.
    const before = await taskScans(pair.standby)
    await waitFor(
      async () => {
        for (let i = 0; i < 10; i++) await tasks.getTask(userIds[1]!, seed.id)
        if ((await taskScans(pair.standby)) - before < 50) throw new Error('not yet counted')
      },
      20_000,
      'Reads served by the restarted replica',
    )
    const up = await checkHealth(db)
    expect(up.nodes?.[1]).toMatchObject({ role: 'replica', ok: true, host: `127.0.0.1:${pair.standby.port}` })
    expect(up.nodes?.[1]?.lagMs).toBeLessThan(5_000)
  },
  60_000,
)

test.skipIf(skip !== null)(
  `${because}a read served by the replica is traced with taskstore.route replica and the replica's address; a write with primary`,
  async () => {
    const spans = new InMemorySpanExporter()
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] })
    const contextManager = new AsyncLocalStorageContextManager().enable()
    otelContext.setGlobalContextManager(contextManager)
    trace.setGlobalTracerProvider(provider)
    try {
      // written through another database, so this one holds no pending write for the user to wait out
      const seed = await createTaskStore(open({ readConsistency: 'primary' })).createTask(userIds[1]!, {
        title: 'traced on the replica',
      })
      await pair.waitForReplay()
      const tasks = createTaskStore(open())
      const reads = () =>
        spans.getFinishedSpans().filter((span) => span.kind === SpanKind.CLIENT && span.name === 'SELECT tasks')
      // On a busy machine a new database's first reads may go to the primary, the replica slow to answer its
      // first lag reading: read until the replica serves one.
      await waitFor(
        async () => {
          await tasks.getTask(userIds[1]!, seed.id)
          if (!reads().some((span) => span.attributes['taskstore.route'] === 'replica')) throw new Error('not yet')
        },
        10_000,
        'A read served by the replica',
      )
      await tasks.createTask(userIds[2]!, { title: 'traced on the primary' })
      await provider.forceFlush()
      const write = spans
        .getFinishedSpans()
        .find((span) => span.kind === SpanKind.CLIENT && span.name === 'INSERT tasks')
      const primaryPort = Number(new URL(pair.primary.url()).port)
      const standbyPort = Number(new URL(pair.standby.url()).port)
      expect(write?.attributes).toMatchObject({ 'taskstore.route': 'primary', 'server.port': primaryPort })
      // every read names the node that served it
      for (const read of reads()) {
        const route = read.attributes['taskstore.route']
        expect(read.attributes['server.port']).toBe(route === 'replica' ? standbyPort : primaryPort)
      }
      expect(reads().find((span) => span.attributes['taskstore.route'] === 'replica')?.attributes).toMatchObject({
        'taskstore.route': 'replica',
        'server.port': standbyPort,
      })
    } finally {
      trace.disable()
      otelContext.disable()
      await provider.shutdown()
    }
  },
  60_000,
)

/** Calls of the statement that reads one task, and how often it was planned, on one node since its last reset. */
async function taskReadStatistics(node: ReplicationPair['primary']): Promise<{ calls: number; plans: number }> {
  const [row] = (await node.query(
    `select coalesce(sum(calls), 0)::int as calls, coalesce(sum(plans), 0)::int as plans from pg_stat_statements
      where query like 'select%from "${SCHEMA}"."tasks" where "id" = $1 and "user_id" = $2'`,
  )) as { calls: number; plans: number }[]
  return row!
}

test.skipIf(skip !== null)(
  `${because}with preparedStatements, a replica plans a read it serves over and over once per connection, not on every call`,
  async () => {
    const seed = await createTaskStore(open({ readConsistency: 'primary' })).createTask(userIds[3]!, {
      title: 'prepared on the replica',
    })
    await pair.waitForReplay()
    const reads = 30
    const planned: Record<string, { calls: number; plans: number }> = {}
    for (const preparedStatements of [false, true]) {
      const tasks = createTaskStore(open({ preparedStatements, pool: { max: 1 } }))
      await pair.standby.query('select pg_stat_statements_reset()')
      for (let i = 0; i < reads; i++) {
        expect(await tasks.getTask(userIds[3]!, seed.id)).toMatchObject({ title: 'prepared on the replica' })
      }
      planned[String(preparedStatements)] = await taskReadStatistics(pair.standby)
    }
    console.info(`${reads} reads of one task on the replica: ${JSON.stringify(planned)}`)
    // Unprepared, every call is planned; prepared, a few custom plans, then the generic one is reused. On a busy
    // machine a new database's first read or two may go to the primary, while the replica answers its first lag
    // reading slowly.
    expect(planned.false!.calls).toBeGreaterThanOrEqual(reads - 3)
    expect(planned.false!.plans).toBe(planned.false!.calls)
    expect(planned.true!.calls).toBeGreaterThanOrEqual(reads - 3)
    expect(planned.true!.plans).toBeLessThanOrEqual(6)
  },
  60_000,
)

/** Stops (SIGSTOP) or resumes (SIGCONT) every process of a node's server: a paused machine, as the client sees it. */
async function signalServer(dataDir: string, signal: 'SIGSTOP' | 'SIGCONT'): Promise<void> {
  const postmaster = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0])
  const children = execFileSync('pgrep', ['-P', String(postmaster)], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
  for (const pid of [postmaster, ...children.map(Number)]) process.kill(pid, signal)
}

test.skipIf(skip !== null)(
  `${because}a replica that stops answering mid-session delays no read past a second: the primary serves them`,
  async () => {
    const db = open({ maxReplicaLagMs: 1_000 })
    const tasks = createTaskStore(db)
    const owner = userIds[5]!
    await tasks.createTask(owner, { title: 'served while the replica is paused' })
    await pair.waitForReplay()
    // warm: the replica serves this user's reads before it stops
    await Promise.all(Array.from({ length: 8 }, () => tasks.countTasks(owner)))
    await signalServer(pair.standby.dataDir, 'SIGSTOP')
    // should a read hang after all, the replica resumes, so the test fails on its timings instead of hanging
    const resume = setTimeout(() => void signalServer(pair.standby.dataDir, 'SIGCONT'), 20_000)
    try {
      const started = performance.now()
      const reads = await Promise.all(
        Array.from({ length: 12 }, async (_, k) => {
          await new Promise((resolve) => setTimeout(resolve, k * 150))
          const begun = performance.now()
          const page = await tasks.getTasks(owner)
          return { ms: performance.now() - begun, titles: page.items.map((task) => task.title) }
        }),
      )
      const health = await checkHealth(db)
      console.info(
        `paused replica: reads took ${reads.map((read) => Math.round(read.ms)).join(', ')} ms; all done in ${Math.round(performance.now() - started)} ms`,
      )
      for (const read of reads) {
        expect(read.titles).toContain('served while the replica is paused')
        expect(read.ms).toBeLessThan(2_500)
      }
      expect(health.nodes?.find((node) => node.role === 'replica')?.ok).toBe(false)
    } finally {
      clearTimeout(resume)
      await signalServer(pair.standby.dataDir, 'SIGCONT')
    }
  },
  60_000,
)

test.skipIf(skip !== null)(
  `${because}after the primary served a user a write made elsewhere, no replica serves that user an older view`,
  async () => {
    await pair.setApplyDelay(1_500)
    try {
      const db = open()
      const reader = createTaskStore(db)
      const elsewhere = createTaskStore(open({ replicas: [] }))
      const { id: owner } = await createUserStore(db).createUser({ email: 'older-view@example.com' })
      await reader.createTask(owner, { title: 'mine' })
      await new Promise((resolve) => setTimeout(resolve, 400))
      await elsewhere.createTask(owner, { title: 'from elsewhere' })
      const seen: string[][] = []
      const until = Date.now() + 3_000
      while (Date.now() < until) {
        seen.push((await reader.getTasks(owner)).items.map((task) => task.title))
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      // the first read is the primary's, after both writes: every later one shows both as well
      expect(seen[0]).toEqual(['from elsewhere', 'mine'])
      expect(seen.filter((titles) => titles.length !== 2)).toEqual([])
    } finally {
      await pair.setApplyDelay(0)
    }
  },
  60_000,
)

test.skipIf(skip !== null)(
  `${because}a replica that takes connections and never answers costs no read more than replicaWaitMs`,
  async () => {
    const silent = createServer(() => {})
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const { port } = silent.address() as AddressInfo
    try {
      const db = open({ replicas: [`postgres://app@127.0.0.1:${port}/postgres`] })
      const tasks = createTaskStore(db)
      const owner = userIds[7]!
      const took: number[] = []
      // for 3.5 s, while each look at the replica waits out the pool's 5 s connection timeout
      const until = Date.now() + 3_500
      while (Date.now() < until) {
        const begun = performance.now()
        await tasks.countTasks(owner)
        took.push(Math.round(performance.now() - begun))
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      console.info(`silent replica: reads took ${took.join(', ')} ms`)
      expect(Math.max(...took)).toBeLessThan(500)
    } finally {
      silent.close()
    }
  },
  60_000,
)
