import { type BenchContext, captureTemplate, type Fixtures, reconnectClients } from './bench-context.js'
import type { DeepCursors } from './latency-suite.js'
import { measureInterleaved } from './measure-interleaved.js'
import { quote } from './seed-dataset.js'
import { runTemplate } from './sql-recorder.js'
import { type LatencySummary, summarize } from './stats.js'

/** First page and the page `depth` tasks in, for one user. */
export interface ScalingPoint {
  readonly tasks: number
  readonly depth: number
  readonly store: { readonly first: LatencySummary; readonly deep: LatencySummary }
  readonly raw: { readonly first: LatencySummary; readonly deep: LatencySummary; readonly offset: LatencySummary }
  /** taskstore's deep keyset page p50 over its first page p50: 1.0 means depth costs nothing. */
  readonly deepOverFirst: number
  /** Raw OFFSET at the same depth over the raw keyset page, p50. */
  readonly offsetOverKeyset: number
}

/**
 * For each heavy user: the first page and the last full page by keyset
 * (taskstore and the same SQL raw), and raw `OFFSET` to the same depth for
 * contrast.
 */
export async function runScalingSuite(
  context: BenchContext,
  fixtures: Fixtures,
  cursors: DeepCursors,
  onPoint: (point: ScalingPoint) => void,
): Promise<ScalingPoint[]> {
  const points: ScalingPoint[] = []
  // Same columns and order as the store's default listing, paged with OFFSET.
  const offsetSql = `select * from ${quote(context.schema)}.tasks where user_id = $1
    order by created_at desc, id desc limit 50 offset $2`
  for (const { userId, tasks } of fixtures.heavy) {
    const cursor = cursors.get(userId)!
    const depth = tasks - 50
    const first = await captureTemplate(context, (store) => store.getTasks(userId), { userId })
    const deep = await captureTemplate(context, (store) => store.getTasks(userId, { cursor }), { userId })
    const samples = await measureInterleaved(
      context.plan,
      [
        { label: 'store first', run: () => context.store.getTasks(userId) },
        { label: 'raw first', run: () => runTemplate(context.raw, first, { userId }) },
        { label: 'store deep', run: () => context.store.getTasks(userId, { cursor }) },
        { label: 'raw deep', run: () => runTemplate(context.raw, deep, { userId }) },
        { label: 'raw offset', run: () => context.raw.query(offsetSql, [userId, depth]) },
      ],
      {
        rounds: Math.min(6, context.plan.rounds),
        minIterations: Math.min(20, context.plan.minIterations),
        beforeRound: () => reconnectClients(context),
      },
    )
    const [storeFirst, rawFirst, storeDeep, rawDeep, rawOffset] = samples.map(summarize) as [
      LatencySummary,
      LatencySummary,
      LatencySummary,
      LatencySummary,
      LatencySummary,
    ]
    const point: ScalingPoint = {
      tasks,
      depth,
      store: { first: storeFirst, deep: storeDeep },
      raw: { first: rawFirst, deep: rawDeep, offset: rawOffset },
      deepOverFirst: storeDeep.p50Us / storeFirst.p50Us,
      offsetOverKeyset: rawOffset.p50Us / rawDeep.p50Us,
    }
    onPoint(point)
    points.push(point)
  }
  return points
}
