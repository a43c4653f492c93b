import { SEARCH_TERM, userIds } from './bench-config.js'
import { type BenchContext, captureTemplate, cursorAtDepth, type Fixtures, reconnectClients } from './bench-context.js'
import { measureInterleaved } from './measure-interleaved.js'
import { quote } from './seed-dataset.js'
import { runTemplate, type Slots, templateText } from './sql-recorder.js'
import { type LatencySummary, summarize } from './stats.js'
import type { TaskStore } from './subject.js'

/** One operation's latency for both clients. */
export interface OpResult {
  readonly op: string
  readonly store: LatencySummary
  readonly raw: LatencySummary
  readonly p50Ratio: number
  /** Raw `pg` with taskstore's timestamp parser (informational). */
  readonly rawFastTimestamps: LatencySummary
  /** store p50 over rawFastTimestamps p50: the cost of taskstore's own code alone. */
  readonly ownCodeRatio: number
  /** Measured against its own target rather than the 5 ms one. */
  readonly ownTarget?: string
  /** The SQL both clients sent. */
  readonly sql: readonly string[]
}

interface OpDefinition {
  readonly name: string
  readonly call: (store: TaskStore, slots: Slots) => Promise<unknown>
  /** Ids for call number `index`; the same for both clients. */
  readonly slots?: (index: number) => Slots
  /** Each call needs a task of its own (deleteTask): made in bulk before each round. */
  readonly consumesTasks?: boolean
  readonly ownTarget?: string
}

const TASK_INPUT = { title: 'Benchmark task', description: 'Created by the benchmark run', priority: 2 }
const TASK_PATCH = { title: 'Renamed by the benchmark', priority: 4 }

/** Deep cursors are walked once and shared by the latency and scaling suites. */
export type DeepCursors = ReadonlyMap<string, string>

export async function walkDeepCursors(context: BenchContext, fixtures: Fixtures): Promise<DeepCursors> {
  const cursors = new Map<string, string>()
  for (const { userId, tasks } of fixtures.heavy)
    cursors.set(userId, await cursorAtDepth(context.store, userId, tasks - 50))
  return cursors
}

export function depthLabel(tasks: number): string {
  return (tasks - 50).toLocaleString('en-US')
}

function operations(fixtures: Fixtures, cursors: DeepCursors): OpDefinition[] {
  const user = (index: number): Slots => ({ userId: fixtures.users[index % fixtures.users.length]! })
  const task = (index: number): Slots => fixtures.tasks[index % fixtures.tasks.length]!
  const scratch = (index: number): Slots => fixtures.scratchTasks[index % fixtures.scratchTasks.length]!
  const [, middle, largest] = fixtures.heavy
  const deep = (heavy: { userId: string; tasks: number }): OpDefinition => {
    const cursor = cursors.get(heavy.userId)!
    return {
      name: `getTasks deep (${depthLabel(heavy.tasks)})`,
      call: (store, { userId }) => store.getTasks(userId, { cursor }),
      slots: () => ({ userId: heavy.userId }),
    }
  }
  return [
    { name: 'getTask', call: (store, { userId, taskId }) => store.getTask(userId, taskId!), slots: task },
    { name: 'getTasks first page', call: (store, { userId }) => store.getTasks(userId), slots: user },
    deep(middle!),
    deep(largest!),
    {
      name: 'getTasks completed:false',
      call: (store, { userId }) => store.getTasks(userId, { completed: false }),
      slots: user,
    },
    {
      name: 'getTasks search',
      call: (store, { userId }) => store.getTasks(userId, { search: SEARCH_TERM }),
      slots: user,
    },
    {
      name: 'getTasks sort priority',
      call: (store, { userId }) => store.getTasks(userId, { sort: 'priority' }),
      slots: user,
    },
    {
      name: 'createTask',
      call: (store, { userId }) => store.createTask(userId, TASK_INPUT),
      slots: () => ({ userId: userIds.scratch }),
    },
    {
      name: 'updateTask',
      call: (store, { userId, taskId }) => store.updateTask(userId, taskId!, TASK_PATCH),
      slots: scratch,
    },
    {
      name: 'toggleComplete',
      call: (store, { userId, taskId }) => store.toggleComplete(userId, taskId!),
      slots: scratch,
    },
    {
      name: 'deleteTask',
      call: (store, { userId, taskId }) => store.deleteTask(userId, taskId!),
      consumesTasks: true,
    },
    { name: 'countTasks', call: (store, { userId }) => store.countTasks(userId), slots: user },
    {
      name: `countTasks (${largest!.tasks.toLocaleString('en-US')} tasks)`,
      call: (store, { userId }) => store.countTasks(userId),
      slots: () => ({ userId: largest!.userId }),
      ownTarget: 'countTasks',
    },
  ]
}

/** Makes `count` tasks for the scratch user in one statement; returns their ids. */
export async function freshScratchTasks(context: BenchContext, count: number): Promise<Slots[]> {
  const { rows } = await context.admin.query<{ id: number }>(
    `insert into ${quote(context.schema)}.tasks (user_id, title)
     select $1, 'To be deleted ' || n from generate_series(1, $2::int) n returning id`,
    [userIds.scratch, count],
  )
  return rows.map((row) => ({ userId: userIds.scratch, taskId: row.id }))
}

/**
 * Times every store operation against plain `pg` sending the SQL the store
 * sent (recorded once per operation), with the driver's timestamp parser and
 * with taskstore's, in interleaved rounds.
 */
export async function runLatencySuite(
  context: BenchContext,
  fixtures: Fixtures,
  cursors: DeepCursors,
  onResult: (result: OpResult) => void,
): Promise<OpResult[]> {
  const results: OpResult[] = []
  for (const op of operations(fixtures, cursors)) {
    const sentinel = op.consumesTasks ? (await freshScratchTasks(context, 1))[0]! : op.slots!(0)
    const template = await captureTemplate(context, op.call, sentinel)
    const ownTasks = { store: [] as Slots[], raw: [] as Slots[], rawFastTimestamps: [] as Slots[] }
    const side = (label: keyof typeof ownTasks, run: (slots: Slots) => Promise<unknown>) => ({
      label,
      run: (index: number, position: number) => run(op.consumesTasks ? ownTasks[label][position]! : op.slots!(index)),
      prepare: op.consumesTasks
        ? async (iterations: number) => {
            ownTasks[label] = await freshScratchTasks(context, iterations)
          }
        : undefined,
    })
    const [storeSamples, rawSamples, fastSamples] = await measureInterleaved(
      context.plan,
      [
        side('store', (slots) => op.call(context.store, slots)),
        side('raw', (slots) => runTemplate(context.raw, template, slots)),
        side('rawFastTimestamps', (slots) => runTemplate(context.rawFastTimestamps, template, slots)),
      ],
      { beforeRound: () => reconnectClients(context) },
    )
    const store = summarize(storeSamples!)
    const raw = summarize(rawSamples!)
    const rawFastTimestamps = summarize(fastSamples!)
    const result: OpResult = {
      op: op.name,
      store,
      raw,
      p50Ratio: store.p50Us / raw.p50Us,
      rawFastTimestamps,
      ownCodeRatio: store.p50Us / rawFastTimestamps.p50Us,
      ...(op.ownTarget ? { ownTarget: op.ownTarget } : {}),
      sql: templateText(template),
    }
    onResult(result)
    results.push(result)
  }
  return results
}
