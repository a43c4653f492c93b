import type { Kysely } from 'kysely'
import pg from 'pg'
import { withFastTimestamps } from '../src/db/timestamp-parser.js'
import type { Database } from '../src/index.js'
import { type BenchPlan, readPlan, SCRATCH_TASKS, userIds } from './bench-config.js'
import { closePeers, openPeers, preparePeers } from './peers/open-peers.js'
import type { PeerClient, PeerOptions } from './peers/peer-client.js'
import { quote } from './seed-dataset.js'
import { type QueryTemplate, recordStatements, type Slots, toTemplate } from './sql-recorder.js'
import { seededRandom } from './stats.js'
import { createDatabase, createTaskStore, migrateToLatest, type TaskStore } from './subject.js'

const SAMPLE_USERS = 500
const IDLE_TIMEOUT_MS = 120_000

/** Rows the suites pick from, the same for both clients. */
export interface Fixtures {
  /** Ordinary users spread over the id range. */
  readonly users: readonly string[]
  /** Tasks of those users, shuffled. */
  readonly tasks: readonly Required<Slots>[]
  /** The scratch user's seeded tasks: the latency suite's writes go there. */
  readonly scratchTasks: readonly Required<Slots>[]
  /** The heavy users, ascending by task count, with their task counts. */
  readonly heavy: ReadonlyArray<{ readonly userId: string; readonly tasks: number }>
}

/** The two clients under comparison and what both need. */
export interface BenchContext {
  readonly plan: BenchPlan
  readonly schema: string
  /** taskstore as a host would open it; replaced by {@link reconnectClients}. */
  db: Kysely<Database>
  store: TaskStore
  /** Plain `pg`, same pool size and timeouts; replaced by {@link reconnectClients}. */
  raw: pg.Pool
  /**
   * Plain `pg` reading timestamps with taskstore's parser, as taskstore's own
   * pools do, and preparing the statements taskstore prepares (send with
   * `{ prepare: true }`): against it, what remains is the cost of
   * taskstore's own code. Informational; the targets compare with {@link raw}.
   */
  rawFastTimestamps: pg.Pool
  /**
   * Other libraries doing the same operations their own way, each on a pool
   * of the same size; empty unless `plan.peers` and {@link connectPeers}.
   * Replaced by {@link reconnectClients}.
   */
  peers: PeerClient[]
  /**
   * taskstore opened with `preparedStatements: false`, measured beside the
   * peers (absent unless `plan.peers`); replaced by {@link reconnectClients}.
   */
  unprepared: AlternativeStore | undefined
  /** For seeding and bulk SQL outside any measurement. */
  readonly admin: pg.Pool
  /** A second store, opened like {@link db}, whose SQL is recorded; never timed. */
  readonly recordingDb: Kysely<Database>
  readonly recordingStore: TaskStore
}

/** A store on a database of its own, opened with other options. */
export interface AlternativeStore {
  readonly db: Kysely<Database>
  readonly store: TaskStore
}

function openUnpreparedStore(plan: BenchPlan): AlternativeStore {
  const db = openStoreDatabase(plan, { preparedStatements: false })
  return { db, store: createTaskStore(db) }
}

function poolConfig(plan: BenchPlan, max: number): pg.PoolConfig {
  return {
    connectionString: plan.connectionString,
    max,
    idleTimeoutMillis: IDLE_TIMEOUT_MS,
    connectionTimeoutMillis: 5_000,
  }
}

export function openStoreDatabase(plan: BenchPlan, options: { preparedStatements?: boolean } = {}): Kysely<Database> {
  return createDatabase({
    connectionString: plan.connectionString,
    schema: plan.dataset.schema,
    pool: { max: plan.poolMax, idleTimeoutMillis: IDLE_TIMEOUT_MS, connectionTimeoutMillis: 5_000 },
    ...options,
  })
}

export function openRawPool(plan: BenchPlan, options: { fastTimestamps?: boolean } = {}): pg.Pool {
  const config = poolConfig(plan, plan.poolMax)
  const raw = new pg.Pool(options.fastTimestamps ? { ...config, types: withFastTimestamps(pg.types) } : config)
  raw.on('error', () => {})
  return raw
}

/** Opens every client; close with {@link closeContext}. */
export function openContext(plan: BenchPlan): BenchContext {
  const schema = plan.dataset.schema
  const db = openStoreDatabase(plan)
  const raw = openRawPool(plan)
  const rawFastTimestamps = openRawPool(plan, { fastTimestamps: true })
  const admin = new pg.Pool(poolConfig(plan, 2))
  admin.on('error', () => {})
  const recordingDb = openStoreDatabase(plan)
  return {
    plan,
    schema,
    db,
    store: createTaskStore(db),
    raw,
    rawFastTimestamps,
    peers: [],
    unprepared: undefined,
    admin,
    recordingDb,
    recordingStore: createTaskStore(recordingDb),
  }
}

/**
 * The set-up of the focused tools (profile-loop, call-phases): every client
 * opened on the data set `npm run bench` seeded (the quick one with
 * `quick`), the schema up to date, the pools warm, and the fixtures.
 */
export async function openSeededContext(quick = false): Promise<{ context: BenchContext; fixtures: Fixtures }> {
  const read = readPlan(quick ? ['--quick'] : [], process.env)
  if ('error' in read) throw new Error(read.error)
  const context = openContext(read.plan)
  try {
    await migrateToLatest(context.db, { schema: context.schema })
    await warmPools(context)
    return { context, fixtures: await loadFixtures(context) }
  } catch (error) {
    await closeContext(context)
    throw error
  }
}

export async function closeContext(context: BenchContext): Promise<void> {
  await Promise.allSettled([
    context.db.destroy(),
    context.recordingDb.destroy(),
    context.raw.end(),
    context.rawFastTimestamps.end(),
    context.admin.end(),
    closePeers(context.peers),
    context.unprepared?.db.destroy(),
  ])
}

export function peerOptions(plan: BenchPlan): PeerOptions {
  return {
    connectionString: plan.connectionString,
    schema: plan.dataset.schema,
    poolMax: plan.poolMax,
    idleTimeoutMillis: IDLE_TIMEOUT_MS,
    connectionTimeoutMillis: 5_000,
  }
}

/**
 * Opens the peers, and taskstore without prepared statements, when the plan
 * asks for the peers (generating the Prisma client first if needed).
 */
export async function connectPeers(context: BenchContext, log: (message: string) => void): Promise<void> {
  if (!context.plan.peers) return
  preparePeers(log)
  context.peers = await openPeers(peerOptions(context.plan))
  context.unprepared = openUnpreparedStore(context.plan)
}

/**
 * Calls the recording store once with `sentinel` and returns the SQL it
 * sent, as a template the raw client replays with other ids.
 */
export async function captureTemplate(
  context: BenchContext,
  call: (store: TaskStore, slots: Slots) => Promise<unknown>,
  sentinel: Slots,
): Promise<QueryTemplate> {
  const statements = await recordStatements(() => call(context.recordingStore, sentinel))
  if (statements.length === 0) throw new Error('The store call sent no SQL: nothing to compare against.')
  return toTemplate(statements, sentinel)
}

/**
 * Gives every client fresh pools, a connection open in each. A sequential loop
 * reuses one connection per pool, and which server process that is (and
 * how the scheduler places it beside this one on few cores) shifted one
 * pool's latency by up to 20 % against an identical pool's for as long as
 * the connection was kept. Drawing both anew before each round spreads
 * that over both clients instead of handing it to one for a whole run.
 */
export async function reconnectClients(context: BenchContext): Promise<void> {
  const { db, raw, rawFastTimestamps, peers, unprepared } = context
  context.db = openStoreDatabase(context.plan)
  context.store = createTaskStore(context.db)
  context.raw = openRawPool(context.plan)
  context.rawFastTimestamps = openRawPool(context.plan, { fastTimestamps: true })
  if (peers.length > 0) context.peers = await openPeers(peerOptions(context.plan))
  if (unprepared) context.unprepared = openUnpreparedStore(context.plan)
  await Promise.all([db.destroy(), raw.end(), rawFastTimestamps.end(), closePeers(peers), unprepared?.db.destroy()])
  await warmPools(context)
}

/**
 * Opens a connection in every pool, so no measurement pays for a connect.
 * One each is all the latency and scaling suites use: they call one at a
 * time, and a pool hands the caller the connection released last. (The
 * throughput suite opens pools of its own.) Opening all ten of each of
 * seven clients' pools would hold 70 connections, more than a shared
 * server's default limit of 100 leaves free.
 */
export async function warmPools(context: BenchContext): Promise<void> {
  for (const pool of [context.raw, context.rawFastTimestamps]) await pool.query('select 1')
  await context.store.getTasks(userIds.scratch, { limit: 1 })
  await context.unprepared?.store.getTasks(userIds.scratch, { limit: 1 })
  for (const peer of context.peers) await peer.getTasks(userIds.scratch)
}

export async function loadFixtures(context: BenchContext): Promise<Fixtures> {
  const { dataset } = context.plan
  const table = `${quote(context.schema)}.tasks`
  const count = Math.min(SAMPLE_USERS, dataset.users)
  const users = Array.from({ length: count }, (_, k) => userIds.ordinary(1 + Math.floor((k * dataset.users) / count)))
  const taskRows = await context.admin.query<{ user_id: string; id: number }>(
    `select user_id, id from ${table} where user_id = any($1) order by id`,
    [users],
  )
  const random = seededRandom(42)
  const tasks = taskRows.rows.map((row) => ({ userId: row.user_id, taskId: row.id }))
  for (let i = tasks.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[tasks[i], tasks[j]] = [tasks[j]!, tasks[i]!]
  }
  const scratchRows = await context.admin.query<{ id: number }>(
    `select id from ${table} where user_id = $1 order by id limit $2`,
    [userIds.scratch, SCRATCH_TASKS],
  )
  return {
    users,
    tasks,
    scratchTasks: scratchRows.rows.map((row) => ({ userId: userIds.scratch, taskId: row.id })),
    heavy: dataset.heavyUsers.map((tasks) => ({ userId: userIds.heavy(tasks), tasks })),
  }
}

/**
 * Follows the store's own cursors to `depth` tasks into the user's list
 * (default sort, pages of 50) and returns the cursor of the page there.
 */
export async function cursorAtDepth(store: TaskStore, userId: string, depth: number): Promise<string> {
  let cursor: string | undefined
  for (let seen = 0; seen < depth; ) {
    const page = await store.getTasks(userId, cursor === undefined ? {} : { cursor })
    seen += page.items.length
    if (!page.nextCursor) throw new Error(`${userId} has fewer than ${depth} tasks`)
    cursor = page.nextCursor
  }
  return cursor!
}
