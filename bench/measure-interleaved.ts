import { balancedOrder } from './balanced-order.js'
import type { BenchPlan } from './bench-config.js'
import { timeUs } from './stats.js'

/** One side of a comparison: a call to time, and optional untimed set-up per round. */
export interface Contender {
  readonly label: string
  /**
   * Runs one call. `index` is the same sequence for every contender within a
   * round (so they touch the same rows); `position` counts within the round.
   */
  readonly run: (index: number, position: number) => Promise<unknown>
  /** Runs before each round, untimed: e.g. creates the tasks a round of deletes removes. */
  readonly prepare?: (iterations: number) => Promise<void>
}

const WARM_UP_CALLS = 5
/**
 * Calls per turn: short enough that a burst of outside load hits every
 * client alike, long enough that one client's garbage is mostly collected
 * in its own turn rather than in the next client's.
 */
const CHUNK = 20

/** A few untimed calls, so the first timed ones meet warm connections; returns their mean in µs. */
async function warmUp(contender: Contender): Promise<number> {
  await contender.prepare?.(WARM_UP_CALLS)
  let total = 0
  for (let call = 0; call < WARM_UP_CALLS; call++) total += await timeUs(() => contender.run(call, call))
  return total / WARM_UP_CALLS
}

/**
 * Times contenders in interleaved turns of {@link CHUNK} calls — A B, B A,
 * A B … (in balanced orders when there are more than two: each follows
 * every other equally often, see `balanced-order.ts`) — so noise on the machine
 * lands on all of them alike. Every contender runs the same number of calls
 * per round, sized from a warm-up so a round of the slowest takes about
 * `plan.roundTargetMs`; `prepare` runs for each before the round.
 * `beforeRound` runs before every round: before the sizing warm-up for the
 * first, followed by a fresh warm-up for the others. Returns
 * samples in µs per contender.
 */
export async function measureInterleaved(
  plan: BenchPlan,
  contenders: readonly Contender[],
  options: {
    readonly rounds?: number
    readonly minIterations?: number
    /** Runs before each round (and before the warm-up), untimed. */
    readonly beforeRound?: () => Promise<void>
  } = {},
): Promise<number[][]> {
  await options.beforeRound?.()
  let slowestUs = 0
  for (const contender of contenders) slowestUs = Math.max(slowestUs, await warmUp(contender))
  const minIterations = options.minIterations ?? plan.minIterations
  const iterations = Math.max(
    minIterations,
    Math.min(plan.maxIterations, Math.round((plan.roundTargetMs * 1000) / Math.max(slowestUs, 1))),
  )
  const rounds = options.rounds ?? plan.rounds
  const samples = contenders.map(() => [] as number[])
  for (let round = 0; round < rounds; round++) {
    if (round > 0 && options.beforeRound) {
      await options.beforeRound()
      for (const contender of contenders) await warmUp(contender)
    }
    for (const contender of contenders) await contender.prepare?.(iterations)
    const base = round * iterations
    for (let first = 0, turn = 0; first < iterations; first += CHUNK, turn++) {
      for (const which of balancedOrder(contenders.length, turn + round)) {
        const contender = contenders[which]!
        for (let position = first; position < Math.min(iterations, first + CHUNK); position++) {
          samples[which]!.push(await timeUs(() => contender.run(base + position, position)))
        }
      }
    }
  }
  return samples
}
