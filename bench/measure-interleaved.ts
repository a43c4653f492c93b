import type { BenchPlan } from './bench-config.js'
import { timeUs } from './stats.js'

/** One side of a comparison: a call to time, and optional untimed set-up per batch. */
export interface Contender {
  readonly label: string
  /**
   * Runs one call. `index` is the same sequence for every contender within a
   * round (so they touch the same rows); `position` counts within the batch.
   */
  readonly run: (index: number, position: number) => Promise<unknown>
  /** Runs before each batch, untimed: e.g. creates the tasks a delete batch removes. */
  readonly prepare?: (iterations: number) => Promise<void>
}

const WARM_UP_CALLS = 5

/**
 * Times contenders in interleaved rounds — A B, then B A, then A B … — so
 * noise on the machine lands on all of them alike. Every contender runs the
 * same number of calls per batch, sized from a warm-up so a batch of the
 * slowest takes about `plan.batchTargetMs`. Returns samples in µs per
 * contender.
 */
export async function measureInterleaved(
  plan: BenchPlan,
  contenders: readonly Contender[],
  options: { readonly rounds?: number; readonly minIterations?: number } = {},
): Promise<number[][]> {
  let slowestUs = 0
  for (const contender of contenders) {
    await contender.prepare?.(WARM_UP_CALLS)
    let total = 0
    for (let call = 0; call < WARM_UP_CALLS; call++) total += await timeUs(() => contender.run(call, call))
    slowestUs = Math.max(slowestUs, total / WARM_UP_CALLS)
  }
  const minIterations = options.minIterations ?? plan.minIterations
  const iterations = Math.max(
    minIterations,
    Math.min(plan.maxIterations, Math.round((plan.batchTargetMs * 1000) / Math.max(slowestUs, 1))),
  )
  const rounds = options.rounds ?? plan.rounds
  const samples = contenders.map(() => [] as number[])
  for (let round = 0; round < rounds; round++) {
    const order = contenders.map((_, k) => k)
    if (round % 2 === 1) order.reverse()
    for (const k of order) {
      const contender = contenders[k]!
      await contender.prepare?.(iterations)
      const base = round * iterations
      for (let position = 0; position < iterations; position++) {
        samples[k]!.push(await timeUs(() => contender.run(base + position, position)))
      }
    }
  }
  return samples
}
