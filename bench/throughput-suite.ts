import type pg from 'pg'
import { type BenchContext, captureTemplate, type Fixtures } from './bench-context.js'
import { quote } from './seed-dataset.js'
import { type QueryTemplate, runTemplate, type Slots } from './sql-recorder.js'
import { type LatencySummary, seededRandom, summarize } from './stats.js'
import type { TaskStore } from './subject.js'

/** Mixed-load results for both clients. */
export interface ThroughputResult {
  readonly workers: number
  readonly poolMax: number
  readonly secondsPerClient: number
  readonly mix: Readonly<Record<MixOp, number>>
  readonly storeOpsPerSec: number
  readonly rawOpsPerSec: number
  /** taskstore ops/s over raw ops/s: ≥ 1 means no cost. */
  readonly ratio: number
  /** Raw `pg` with taskstore's timestamp parser (informational). */
  readonly rawFastTimestampsOpsPerSec: number
  /** taskstore ops/s over rawFastTimestamps ops/s: the cost of taskstore's own code alone. */
  readonly ownCodeRatio: number
  readonly store: LatencySummary
  readonly raw: LatencySummary
  readonly rawFastTimestamps: LatencySummary
  readonly errors: { readonly store: number; readonly raw: number; readonly rawFastTimestamps: number }
}

type MixOp = 'list' | 'get' | 'toggle' | 'create' | 'update'

const MIX: Readonly<Record<MixOp, number>> = { list: 0.7, get: 0.1, toggle: 0.1, create: 0.05, update: 0.05 }
const TASK_INPUT = { title: 'Created under load', priority: 3 }
const TASK_PATCH = { priority: 2 }
const WARM_UP_MS = 1_000

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

function storeExecutor(store: TaskStore): Executor {
  return async (op, { userId, taskId }) => {
    switch (op) {
      case 'list':
        await store.getTasks(userId)
        return
      case 'get':
        await store.getTask(userId, taskId!)
        return
      case 'toggle':
        await store.toggleComplete(userId, taskId!)
        return
      case 'create':
        return (await store.createTask(userId, TASK_INPUT)).id
      case 'update':
        await store.updateTask(userId, taskId!, TASK_PATCH)
        return
    }
  }
}

function rawExecutor(pool: pg.Pool, templates: Readonly<Record<MixOp, QueryTemplate>>): Executor {
  return async (op, slots) => {
    const result = await runTemplate(pool, templates[op], slots)
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

/**
 * 32 workers share a pool of 10 and run the mix (70 % list, 10 % get, 10 %
 * toggle, 5 % create, 5 % update) for a fixed time, taskstore and raw `pg`
 * (with the driver's timestamp parser and with taskstore's) in rotating
 * segments with the same random choices. Tasks created under
 * load are deleted afterwards.
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
  const executors = {
    store: storeExecutor(context.store),
    raw: rawExecutor(context.raw, templates),
    rawFastTimestamps: rawExecutor(context.rawFastTimestamps, templates),
  }
  const sides = Object.keys(executors) as (keyof typeof executors)[]
  const totals = Object.fromEntries(
    sides.map((side) => [side, { ops: 0, ms: 0, samples: [] as number[], errors: 0 }]),
  ) as Record<keyof typeof executors, { ops: number; ms: number; samples: number[]; errors: number }>
  const created: number[] = []
  try {
    for (const side of sides) {
      const warm = await runLoad(plan.throughputWorkers, WARM_UP_MS, 999, fixtures, executors[side])
      created.push(...warm.createdIds)
    }
    for (let round = 0; round < plan.throughputRounds; round++) {
      // each client takes each place in the order equally often
      const order = sides.map((_, k) => sides[(k + round) % sides.length]!)
      for (const side of order) {
        const run = await runLoad(
          plan.throughputWorkers,
          plan.throughputSegmentMs,
          round + 1,
          fixtures,
          executors[side],
        )
        const total = totals[side]
        total.ops += run.ops
        total.ms += run.elapsedMs
        total.errors += run.errors
        for (const sample of run.samplesUs) total.samples.push(sample)
        created.push(...run.createdIds)
      }
    }
  } finally {
    // By title as well: the recorded call that captured the create template made one too.
    await context.admin.query(`delete from ${quote(context.schema)}.tasks where id = any($1) or title = $2`, [
      created,
      TASK_INPUT.title,
    ])
  }
  const opsPerSec = (side: keyof typeof totals) => totals[side].ops / (totals[side].ms / 1000)
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
    store: summarize(totals.store.samples),
    raw: summarize(totals.raw.samples),
    rawFastTimestamps: summarize(totals.rawFastTimestamps.samples),
    errors: { store: totals.store.errors, raw: totals.raw.errors, rawFastTimestamps: totals.rawFastTimestamps.errors },
  }
}
