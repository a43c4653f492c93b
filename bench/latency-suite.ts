import { SEARCH_TERM, userIds } from './bench-config.js'
import { type BenchContext, captureTemplate, cursorAtDepth, type Fixtures, reconnectClients } from './bench-context.js'
import { type Contender, measureInterleaved } from './measure-interleaved.js'
import { checkSameAnswer } from './peers/peer-check.js'
import type { PeerClient, PeerCursor, PeerName } from './peers/peer-client.js'
import { quote } from './seed-dataset.js'
import { runTemplate, type Slots, templateText } from './sql-recorder.js'
import { type LatencySummary, summarize } from './stats.js'
import type { TaskStore } from './subject.js'

/** One peer's latency for one operation. */
export interface PeerOpResult {
  readonly name: PeerName
  readonly latency: LatencySummary
  /** The peer's p50 over raw `pg`'s p50, as `p50Ratio` is taskstore's. */
  readonly p50Ratio: number
}

/** taskstore with `preparedStatements: false` for one operation. */
export interface AlternativeOpResult {
  readonly latency: LatencySummary
  /** Its p50 over raw `pg`'s p50, as `p50Ratio` is the default store's. */
  readonly p50Ratio: number
}

/** One operation's latency for every client. */
export interface OpResult {
  readonly op: string
  readonly store: LatencySummary
  readonly raw: LatencySummary
  readonly p50Ratio: number
  /** Raw `pg` with taskstore's timestamp parser, preparing what taskstore prepares (informational). */
  readonly rawFastTimestamps: LatencySummary
  /** store p50 over rawFastTimestamps p50: the cost of taskstore's own code alone. */
  readonly ownCodeRatio: number
  /** Measured against its own target rather than the 5 ms one. */
  readonly ownTarget?: string
  /** The SQL both clients sent. */
  readonly sql: readonly string[]
  /** The same operation done by each peer its own way (absent when the run had no peers). */
  readonly peers?: readonly PeerOpResult[]
  /** taskstore not preparing its statements (measured with the peers). */
  readonly unprepared?: AlternativeOpResult
}

interface OpDefinition {
  readonly name: string
  readonly call: (store: TaskStore, slots: Slots) => Promise<unknown>
  /** The same operation done by a peer. */
  readonly peer: (client: PeerClient, slots: Slots) => Promise<unknown>
  /** A read: every peer must answer it as the store does (checked once before timing). */
  readonly read?: boolean
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

/** The row `depth` tasks into the user's default listing: where the peers' deep pages start. */
async function peerCursorAtDepth(context: BenchContext, userId: string, depth: number): Promise<PeerCursor> {
  const { rows } = await context.admin.query<PeerCursor>(
    `select id, created_at as "createdAt" from ${quote(context.schema)}.tasks where user_id = $1
     order by created_at desc, id desc offset $2 limit 1`,
    [userId, depth - 1],
  )
  return rows[0]!
}

export function depthLabel(tasks: number): string {
  return (tasks - 50).toLocaleString('en-US')
}

function operations(
  fixtures: Fixtures,
  cursors: DeepCursors,
  peerCursors: ReadonlyMap<string, PeerCursor>,
): OpDefinition[] {
  const user = (index: number): Slots => ({ userId: fixtures.users[index % fixtures.users.length]! })
  const task = (index: number): Slots => fixtures.tasks[index % fixtures.tasks.length]!
  const scratch = (index: number): Slots => fixtures.scratchTasks[index % fixtures.scratchTasks.length]!
  const [, middle, largest] = fixtures.heavy
  const deep = (heavy: { userId: string; tasks: number }): OpDefinition => {
    const cursor = cursors.get(heavy.userId)!
    const after = peerCursors.get(heavy.userId)
    return {
      name: `getTasks deep (${depthLabel(heavy.tasks)})`,
      call: (store, { userId }) => store.getTasks(userId, { cursor }),
      peer: (client, { userId }) => client.getTasks(userId, { after: after! }),
      slots: () => ({ userId: heavy.userId }),
      read: true,
    }
  }
  return [
    {
      name: 'getTask',
      call: (store, { userId, taskId }) => store.getTask(userId, taskId!),
      peer: (client, { userId, taskId }) => client.getTask(userId, taskId!),
      slots: task,
      read: true,
    },
    {
      name: 'getTasks first page',
      call: (store, { userId }) => store.getTasks(userId),
      peer: (client, { userId }) => client.getTasks(userId),
      slots: user,
      read: true,
    },
    deep(middle!),
    deep(largest!),
    {
      name: 'getTasks completed:false',
      call: (store, { userId }) => store.getTasks(userId, { completed: false }),
      peer: (client, { userId }) => client.getTasks(userId, { completed: false }),
      slots: user,
      read: true,
    },
    {
      name: 'getTasks search',
      call: (store, { userId }) => store.getTasks(userId, { search: SEARCH_TERM }),
      peer: (client, { userId }) => client.getTasks(userId, { search: SEARCH_TERM }),
      slots: user,
      read: true,
    },
    {
      name: 'getTasks sort priority',
      call: (store, { userId }) => store.getTasks(userId, { sort: 'priority' }),
      peer: (client, { userId }) => client.getTasks(userId, { sort: 'priority' }),
      slots: user,
      read: true,
    },
    {
      name: 'createTask',
      call: (store, { userId }) => store.createTask(userId, TASK_INPUT),
      peer: (client, { userId }) => client.createTask(userId, TASK_INPUT),
      slots: () => ({ userId: userIds.scratch }),
    },
    {
      name: 'updateTask',
      call: (store, { userId, taskId }) => store.updateTask(userId, taskId!, TASK_PATCH),
      peer: (client, { userId, taskId }) => client.updateTask(userId, taskId!, TASK_PATCH),
      slots: scratch,
    },
    {
      name: 'toggleComplete',
      call: (store, { userId, taskId }) => store.toggleComplete(userId, taskId!),
      peer: (client, { userId, taskId }) => client.toggleComplete(userId, taskId!),
      slots: scratch,
    },
    {
      name: 'deleteTask',
      call: (store, { userId, taskId }) => store.deleteTask(userId, taskId!),
      peer: (client, { userId, taskId }) => client.deleteTask(userId, taskId!),
      consumesTasks: true,
    },
    {
      name: 'countTasks',
      call: (store, { userId }) => store.countTasks(userId),
      peer: (client, { userId }) => client.countTasks(userId),
      slots: user,
      read: true,
    },
    {
      name: `countTasks (${largest!.tasks.toLocaleString('en-US')} tasks)`,
      call: (store, { userId }) => store.countTasks(userId),
      peer: (client, { userId }) => client.countTasks(userId),
      slots: () => ({ userId: largest!.userId }),
      read: true,
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

function ratioToRaw(latency: LatencySummary, raw: LatencySummary): AlternativeOpResult {
  return { latency, p50Ratio: latency.p50Us / raw.p50Us }
}

/**
 * Times every store operation against plain `pg` sending the SQL the store
 * sent (recorded once per operation): unnamed with the driver's timestamp
 * parser, and with taskstore's parser preparing what the store prepared;
 * and against each peer doing the same operation its own
 * way, in interleaved rounds. Before timing a read, each peer's answer is
 * checked against the store's.
 */
export async function runLatencySuite(
  context: BenchContext,
  fixtures: Fixtures,
  cursors: DeepCursors,
  onResult: (result: OpResult) => void,
): Promise<OpResult[]> {
  const peerCursors = new Map<string, PeerCursor>()
  if (context.peers.length > 0) {
    for (const { userId, tasks } of fixtures.heavy)
      peerCursors.set(userId, await peerCursorAtDepth(context, userId, tasks - 50))
  }
  const peerNames = context.peers.map((peer) => peer.name)
  const results: OpResult[] = []
  for (const op of operations(fixtures, cursors, peerCursors)) {
    const sentinel = op.consumesTasks ? (await freshScratchTasks(context, 1))[0]! : op.slots!(0)
    const template = await captureTemplate(context, op.call, sentinel)
    if (op.read) {
      for (const peer of context.peers) {
        checkSameAnswer(op.name, peer.name, await op.call(context.store, sentinel), await op.peer(peer, sentinel))
      }
    }
    const ownTasks = new Map<string, Slots[]>()
    const side = (label: string, run: (slots: Slots) => Promise<unknown>): Contender => ({
      label,
      run: (index: number, position: number) =>
        run(op.consumesTasks ? ownTasks.get(label)![position]! : op.slots!(index)),
      prepare: op.consumesTasks
        ? async (iterations: number) => {
            ownTasks.set(label, await freshScratchTasks(context, iterations))
          }
        : undefined,
    })
    // The peers are looked up on every call: reconnectClients replaces them before each round.
    const peerSide = (k: number) => side(peerNames[k]!, (slots) => op.peer(context.peers[k]!, slots))
    const withUnprepared = context.unprepared !== undefined
    const [storeSamples, rawSamples, fastSamples, ...otherSamples] = await measureInterleaved(
      context.plan,
      [
        side('store', (slots) => op.call(context.store, slots)),
        side('raw', (slots) => runTemplate(context.raw, template, slots)),
        side('rawFastTimestamps', (slots) =>
          runTemplate(context.rawFastTimestamps, template, slots, { prepare: true }),
        ),
        ...(withUnprepared ? [side('storeUnprepared', (slots) => op.call(context.unprepared!.store, slots))] : []),
        ...peerNames.map((_, k) => peerSide(k)),
      ],
      { beforeRound: () => reconnectClients(context) },
    )
    const unpreparedSamples = withUnprepared ? otherSamples.shift() : undefined
    const peerSamples = otherSamples
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
      ...(peerNames.length > 0 && {
        peers: peerNames.map((name, k) => {
          return { name, ...ratioToRaw(summarize(peerSamples[k]!), raw) }
        }),
      }),
      ...(unpreparedSamples && { unprepared: ratioToRaw(summarize(unpreparedSamples), raw) }),
    }
    onResult(result)
    results.push(result)
  }
  return results
}
