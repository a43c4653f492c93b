import type { Kysely } from 'kysely'
import type pg from 'pg'
import type { Database } from '../src/index.js'
import { balancedOrder } from './balanced-order.js'
import {
  type BenchContext,
  captureTemplate,
  type Fixtures,
  openRawPool,
  openStoreDatabase,
  peerOptions,
} from './bench-context.js'
import { openPeer } from './peers/open-peers.js'
import type { PeerClient, PeerName } from './peers/peer-client.js'
import { quote } from './seed-dataset.js'
import { type QueryTemplate, type RawSending, runTemplate, type Slots } from './sql-recorder.js'
import { type LatencySummary, seededRandom, summarize } from './stats.js'
import { createTaskStore } from './subject.js'

/** One peer under the mixed load. */
export interface PeerThroughput {
  readonly name: PeerName
  readonly opsPerSec: number
  /** The peer's ops/s over raw `pg`'s, as `ratio` is taskstore's. */
  readonly ratio: number
  readonly latency: LatencySummary
  readonly errors: number
}

/** Mixed-load results for every client. */
export interface ThroughputResult {
  readonly workers: number
  readonly poolMax: number
  readonly secondsPerClient: number
  readonly mix: Readonly<Record<MixOp, number>>
  readonly storeOpsPerSec: number
  readonly rawOpsPerSec: number
  /** taskstore ops/s over raw ops/s: ≥ 1 means no cost. */
  readonly ratio: number
  /** Raw `pg` with taskstore's timestamp parser, preparing what taskstore prepares (informational). */
  readonly rawFastTimestampsOpsPerSec: number
  /** taskstore ops/s over rawFastTimestamps ops/s: the cost of taskstore's own code alone. */
  readonly ownCodeRatio: number
  readonly store: LatencySummary
  readonly raw: LatencySummary
  readonly rawFastTimestamps: LatencySummary
  readonly errors: { readonly store: number; readonly raw: number; readonly rawFastTimestamps: number }
  /** The peers under the same load (absent when the run had no peers). */
  readonly peers?: readonly PeerThroughput[]
  /** taskstore not preparing its statements, under the same load (measured with the peers). */
  readonly unprepared?: Omit<PeerThroughput, 'name'>
}

type MixOp = 'list' | 'get' | 'toggle' | 'create' | 'update'

const MIX: Readonly<Record<MixOp, number>> = { list: 0.7, get: 0.1, toggle: 0.1, create: 0.05, update: 0.05 }
const TASK_INPUT = { title: 'Created under load', priority: 3 }
const TASK_PATCH = { priority: 2 }
/** Once per client before the first round, so every client's code is compiled before it is timed. */
const WARM_UP_MS = 1_000
/** Before every segment, on its fresh pool: opens all its connections and warms their server processes. */
const SEGMENT_WARM_UP_MS = 250

function pickOp(value: number): MixOp {
  let sum = 0
  for (const [op, share] of Object.entries(MIX) as [MixOp, number][]) {
    sum += share
    if (value < sum) return op
  }
  return 'update'
}

interface LoadRun {
  readonly ops: number
  readonly elapsedMs: number
  readonly samplesUs: number[]
  readonly createdIds: number[]
  readonly errors: number
}

/** One client's way of doing each op of the mix; returns a created task's id for `create`. */
type Executor = (op: MixOp, slots: Slots) => Promise<number | undefined>

/** A client under load, opened afresh (new pool) for every segment. */
export interface LoadClient {
  readonly name: string
  open(): Promise<{ readonly execute: Executor; close(): Promise<void> }>
}

export function storeClient(db: Kysely<Database>) {
  return { execute: clientExecutor(createTaskStore(db)), close: () => db.destroy() }
}

function rawClient(pool: pg.Pool, templates: Readonly<Record<MixOp, QueryTemplate>>, sending: RawSending = {}) {
  return { execute: rawExecutor(pool, templates, sending), close: () => pool.end() }
}

export function peerClient(peer: PeerClient) {
  return { execute: clientExecutor(peer), close: () => peer.close() }
}

/** What the mix calls: the store's methods, which every peer has too. */
interface MixClient {
  getTasks(userId: string): Promise<unknown>
  getTask(userId: string, taskId: number): Promise<unknown>
  toggleComplete(userId: string, taskId: number): Promise<unknown>
  createTask(userId: string, input: typeof TASK_INPUT): Promise<{ id: number }>
  updateTask(userId: string, taskId: number, patch: typeof TASK_PATCH): Promise<unknown>
}

function clientExecutor(client: MixClient): Executor {
  return async (op, { userId, taskId }) => {
    switch (op) {
      case 'list':
        await client.getTasks(userId)
        return
      case 'get':
        await client.getTask(userId, taskId!)
        return
      case 'toggle':
        await client.toggleComplete(userId, taskId!)
        return
      case 'create':
        return (await client.createTask(userId, TASK_INPUT)).id
      case 'update':
        await client.updateTask(userId, taskId!, TASK_PATCH)
        return
    }
  }
}

function rawExecutor(pool: pg.Pool, templates: Readonly<Record<MixOp, QueryTemplate>>, sending: RawSending): Executor {
  return async (op, slots) => {
    const result = await runTemplate(pool, templates[op], slots, sending)
    return op === 'create' ? (result.rows[0] as { id: number }).id : undefined
  }
}

async function runLoad(
  workers: number,
  durationMs: number,
  seed: number,
  fixtures: Fixtures,
  execute: Executor,
): Promise<LoadRun> {
  const samplesUs: number[] = []
  const createdIds: number[] = []
  let ops = 0
  let errors = 0
  const started = performance.now()
  const deadline = started + durationMs
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      const random = seededRandom(seed * 1000 + worker)
      while (performance.now() < deadline) {
        const op = pickOp(random())
        const task = fixtures.tasks[Math.floor(random() * fixtures.tasks.length)]!
        const callStarted = performance.now()
        try {
          const id = await execute(op, task)
          if (id !== undefined) createdIds.push(id)
        } catch {
          errors++
        }
        samplesUs.push((performance.now() - callStarted) * 1000)
        ops++
      }
    }),
  )
  return { ops, elapsedMs: performance.now() - started, samplesUs, createdIds, errors }
}

/** What one client did under the mixed load, over all its segments. */
export interface LoadTotal {
  ops: number
  ms: number
  readonly samples: number[]
  errors: number
}

/** A client's ops per second over all its segments. */
export function opsPerSecond(total: LoadTotal): number {
  return total.ops / (total.ms / 1000)
}

/**
 * Runs the mixed load for each of `sides` in segments of
 * `plan.throughputSegmentMs`, `plan.throughputRounds` per client, in
 * balanced orders with the same random choices for every client. Every
 * segment runs on a fresh pool, warmed untimed and closed afterwards, so
 * only one client's connections are open at a time. Tasks created under
 * load are deleted afterwards.
 */
export async function measureMixedLoad(
  context: BenchContext,
  fixtures: Fixtures,
  sides: readonly LoadClient[],
): Promise<Record<string, LoadTotal>> {
  const { plan } = context
  const totals: Record<string, LoadTotal> = Object.fromEntries(
    sides.map((side) => [side.name, { ops: 0, ms: 0, samples: [] as number[], errors: 0 }]),
  )
  const created: number[] = []
  /** Runs the load on fresh pools, warmed untimed first; returns the timed run. */
  const segment = async (side: LoadClient, warmUpMs: number, durationMs: number, seed: number) => {
    const client = await side.open()
    try {
      const warm = await runLoad(plan.throughputWorkers, warmUpMs, 999, fixtures, client.execute)
      created.push(...warm.createdIds)
      const run = await runLoad(plan.throughputWorkers, durationMs, seed, fixtures, client.execute)
      created.push(...run.createdIds)
      return run
    } finally {
      await client.close()
    }
  }
  try {
    for (const side of sides) await segment(side, WARM_UP_MS, 0, 999)
    for (let round = 0; round < plan.throughputRounds; round++) {
      // each client takes each place, and follows each other client, equally often
      const order = balancedOrder(sides.length, round).map((k) => sides[k]!)
      for (const side of order) {
        const run = await segment(side, SEGMENT_WARM_UP_MS, plan.throughputSegmentMs, round + 1)
        const total = totals[side.name]!
        total.ops += run.ops
        total.ms += run.elapsedMs
        total.errors += run.errors
        for (const sample of run.samplesUs) total.samples.push(sample)
      }
    }
  } finally {
    // By title as well: the recorded call that captured the create template made one too.
    await context.admin.query(`delete from ${quote(context.schema)}.tasks where id = any($1) or title = $2`, [
      created,
      TASK_INPUT.title,
    ])
  }
  return totals
}

/**
 * 32 workers share a pool of 10 and run the mix (70 % list, 10 % get, 10 %
 * toggle, 5 % create, 5 % update) for a fixed time, taskstore, raw `pg`
 * (unnamed with the driver's timestamp parser, and with taskstore's parser
 * preparing what taskstore prepares) and the peers, through
 * {@link measureMixedLoad}.
 */
export async function runThroughputSuite(context: BenchContext, fixtures: Fixtures): Promise<ThroughputResult> {
  const { plan } = context
  const sentinel = fixtures.tasks[0]!
  const templates: Record<MixOp, QueryTemplate> = {
    list: await captureTemplate(context, (store, { userId }) => store.getTasks(userId), sentinel),
    get: await captureTemplate(context, (store, { userId, taskId }) => store.getTask(userId, taskId!), sentinel),
    toggle: await captureTemplate(
      context,
      (store, { userId, taskId }) => store.toggleComplete(userId, taskId!),
      sentinel,
    ),
    create: await captureTemplate(context, (store, { userId }) => store.createTask(userId, TASK_INPUT), sentinel),
    update: await captureTemplate(
      context,
      (store, { userId, taskId }) => store.updateTask(userId, taskId!, TASK_PATCH),
      sentinel,
    ),
  }
  const sides: LoadClient[] = [
    { name: 'store', open: async () => storeClient(openStoreDatabase(plan)) },
    { name: 'raw', open: async () => rawClient(openRawPool(plan), templates) },
    {
      name: 'rawFastTimestamps',
      open: async () => rawClient(openRawPool(plan, { fastTimestamps: true }), templates, { prepare: true }),
    },
    ...(context.unprepared
      ? [
          {
            name: 'storeUnprepared',
            open: async () => storeClient(openStoreDatabase(plan, { preparedStatements: false })),
          },
        ]
      : []),
    ...context.peers.map(({ name }) => ({
      name,
      open: async () => peerClient(await openPeer(name, peerOptions(plan))),
    })),
  ]
  const totals = await measureMixedLoad(context, fixtures, sides)
  const opsPerSec = (side: string) => opsPerSecond(totals[side]!)
  const underLoad = (side: string) => ({
    opsPerSec: opsPerSec(side),
    ratio: opsPerSec(side) / opsPerSec('raw'),
    latency: summarize(totals[side]!.samples),
    errors: totals[side]!.errors,
  })
  const storeOpsPerSec = opsPerSec('store')
  const rawOpsPerSec = opsPerSec('raw')
  const rawFastTimestampsOpsPerSec = opsPerSec('rawFastTimestamps')
  return {
    workers: plan.throughputWorkers,
    poolMax: plan.poolMax,
    secondsPerClient: (plan.throughputRounds * plan.throughputSegmentMs) / 1000,
    mix: MIX,
    storeOpsPerSec,
    rawOpsPerSec,
    ratio: storeOpsPerSec / rawOpsPerSec,
    rawFastTimestampsOpsPerSec,
    ownCodeRatio: storeOpsPerSec / rawFastTimestampsOpsPerSec,
    store: summarize(totals.store!.samples),
    raw: summarize(totals.raw!.samples),
    rawFastTimestamps: summarize(totals.rawFastTimestamps!.samples),
    errors: {
      store: totals.store!.errors,
      raw: totals.raw!.errors,
      rawFastTimestamps: totals.rawFastTimestamps!.errors,
    },
    ...(context.peers.length > 0 && { peers: context.peers.map(({ name }) => ({ name, ...underLoad(name) })) }),
    ...(context.unprepared && { unprepared: underLoad('storeUnprepared') }),
  }
}
