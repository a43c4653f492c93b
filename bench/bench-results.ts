import type { DatasetSpec } from './bench-config.js'
import type { CountResult } from './count-suite.js'
import type { MachineInfo, PostgresInfo, SpeedReference } from './environment-info.js'
import type { OpResult } from './latency-suite.js'
import type { ScalingPoint } from './scaling-suite.js'
import { geometricMean } from './stats.js'
import type { ThroughputResult } from './throughput-suite.js'

/** One target from issue 4, checked against this run. */
export interface TargetCheck {
  readonly name: string
  readonly goal: string
  readonly measured: string
  readonly met: boolean
}

/** Everything one run measured: written to bench/results/<name>.json. */
export interface BenchResults {
  readonly mode: 'full' | 'quick'
  readonly startedAt: string
  readonly durationSeconds: number
  /** Load averages when the run ended; compare with machine.loadAverage. */
  readonly loadAverageAtEnd: readonly number[]
  readonly machine: MachineInfo
  /** Absent in results written before it was measured. */
  readonly speed?: SpeedReference
  readonly postgres: PostgresInfo
  readonly dataset: DatasetSpec & {
    readonly tasks: number
    readonly users: number
    readonly reused: boolean
    readonly seedSeconds: number
  }
  readonly ops: readonly OpResult[]
  readonly geomeanP50Ratio: number
  /** Against raw `pg` with taskstore's timestamp parser: taskstore's own code alone (informational). */
  readonly geomeanOwnCodeRatio: number
  readonly throughput: ThroughputResult
  readonly scaling: readonly ScalingPoint[]
  readonly countAfterUpdates: CountResult
  readonly targets: readonly TargetCheck[]
}

const P95_LIMIT_US = 5_000
const COUNT_P95_LIMIT_US = 10_000

export function geomeanOf(ops: readonly OpResult[], ratio: 'p50Ratio' | 'ownCodeRatio' = 'p50Ratio'): number {
  return geometricMean(ops.map((op) => op[ratio]))
}

const ms = (us: number) => `${(us / 1000).toFixed(2)} ms`

/** taskstore ahead of every peer, per operation (p50) and under the mixed load; none when the run had no peers. */
function peerTargets(results: Pick<BenchResults, 'ops' | 'throughput'>): TargetCheck[] {
  const peers = results.throughput.peers
  if (!peers || results.ops.some((op) => !op.peers)) return []
  const aheadOfStore = (op: OpResult) => op.peers!.filter((peer) => peer.latency.p50Us < op.store.p50Us)
  const behindOps = results.ops.filter((op) => aheadOfStore(op).length > 0)
  const aheadCounts = new Map<string, number>()
  for (const op of behindOps) {
    for (const peer of aheadOfStore(op)) aheadCounts.set(peer.name, (aheadCounts.get(peer.name) ?? 0) + 1)
  }
  const behind = [...aheadCounts].map(([name, ops]) => `${name} ahead on ${ops}`)
  const faster = peers.filter((peer) => peer.opsPerSec > results.throughput.storeOpsPerSec)
  return [
    {
      name: 'taskstore p50 below every peer, every operation',
      goal: `${results.ops.length} of ${results.ops.length}`,
      measured: `${results.ops.length - behindOps.length} of ${results.ops.length}${behind.length ? `; ${behind.join(', ')}` : ''}`,
      met: behind.length === 0,
    },
    {
      name: 'throughput above every peer',
      goal: `> ${Math.max(...peers.map((peer) => peer.opsPerSec)).toFixed(0)} ops/s`,
      measured: `${results.throughput.storeOpsPerSec.toFixed(0)} ops/s${faster.length ? `; behind ${faster.map((peer) => peer.name).join(', ')}` : ''}`,
      met: faster.length === 0,
    },
  ]
}

/** The targets of issue 4, as met or not by these numbers. */
export function checkTargets(
  results: Pick<BenchResults, 'ops' | 'geomeanP50Ratio' | 'throughput' | 'scaling' | 'countAfterUpdates'>,
): TargetCheck[] {
  const general = results.ops.filter((op) => !op.ownTarget)
  const slowest = general.reduce((worst, op) => (op.store.p95Us > worst.store.p95Us ? op : worst), general[0]!)
  const over = general.filter((op) => op.store.p95Us >= P95_LIMIT_US).map((op) => op.op)
  const largest = results.scaling.at(-1)!
  const count = results.countAfterUpdates
  return [
    {
      name: 'geomean p50 ratio',
      goal: '≤ 1.05',
      measured: results.geomeanP50Ratio.toFixed(3),
      met: results.geomeanP50Ratio <= 1.05,
    },
    {
      name: 'throughput ratio',
      goal: '≥ 1.00',
      measured: results.throughput.ratio.toFixed(3),
      met: results.throughput.ratio >= 1,
    },
    {
      name: 'every op p95 (countTasks of the largest user aside)',
      goal: '< 5 ms',
      measured: `max ${ms(slowest.store.p95Us)} (${slowest.op})${over.length ? `; ${over.length} of ${general.length} over` : ''}`,
      met: over.length === 0,
    },
    {
      name: `deep / first page p50 at ${largest.tasks.toLocaleString('en-US')} tasks`,
      goal: '≤ 1.2',
      measured: largest.deepOverFirst.toFixed(3),
      met: largest.deepOverFirst <= 1.2,
    },
    {
      name: `countTasks p95, ${count.userTasks.toLocaleString('en-US')} tasks, after ${count.updates.toLocaleString('en-US')} updates`,
      goal: '< 10 ms',
      measured: `${ms(count.after.store.p95Us)}${count.consistent ? '' : ' (counts WRONG after the updates)'}`,
      met: count.after.store.p95Us < COUNT_P95_LIMIT_US && count.consistent,
    },
    ...peerTargets(results),
  ]
}
