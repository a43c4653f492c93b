import { ConfigError } from '../errors/index.js'
import { wholeNumber } from './connection-options.js'
import { parseHostList } from './host-list.js'
import type { ReadConsistency } from './replica-router.js'

/** The replica options of `createDatabase`, checked, with defaults filled in. */
export interface ReplicaOptions {
  readonly replicas: readonly string[]
  readonly consistency: ReadConsistency
  readonly replicaWaitMs: number
  readonly maxReplicaLagMs: number
}

const CONSISTENCIES: readonly ReadConsistency[] = ['read-your-writes', 'primary', 'eventual']
const MAX_MILLISECONDS = 2_147_483_647

/**
 * Checks `replicas`, `readConsistency`, `replicaWaitMs` and
 * `maxReplicaLagMs`; null when no replicas are given.
 *
 * @throws {ConfigError} for a malformed option, replicas with a `dialect` or the Neon driver, or a replica naming several hosts.
 * @example
 * ```ts
 * resolveReplicaOptions({ replicas: ['postgres://app@replica:5432/tasks'] })
 * // { replicas: [...], consistency: 'read-your-writes', replicaWaitMs: 50, maxReplicaLagMs: 5000 }
 * ```
 */
export function resolveReplicaOptions(options: {
  readonly replicas?: readonly string[]
  readonly readConsistency?: ReadConsistency
  readonly replicaWaitMs?: number
  readonly maxReplicaLagMs?: number
  readonly dialect?: unknown
  readonly driver?: string
}): ReplicaOptions | null {
  const { replicas, readConsistency = 'read-your-writes', replicaWaitMs = 50, maxReplicaLagMs = 5_000 } = options
  if (!CONSISTENCIES.includes(readConsistency)) {
    throw new ConfigError(
      `Unknown readConsistency "${String(readConsistency)}": use ${CONSISTENCIES.map((name) => `'${name}'`).join(', ')}.`,
    )
  }
  wholeNumber('replicaWaitMs', replicaWaitMs, 0, MAX_MILLISECONDS)
  wholeNumber('maxReplicaLagMs', maxReplicaLagMs, 0, MAX_MILLISECONDS)
  if (replicas === undefined) return null
  if (!Array.isArray(replicas) || replicas.some((url) => typeof url !== 'string' || url.trim() === '')) {
    throw new ConfigError('Invalid replicas option: pass an array of connection strings, one per read replica.')
  }
  if (options.dialect !== undefined) {
    throw new ConfigError('The replicas option works with a connection string, not a dialect: remove one of them.')
  }
  if ((options.driver ?? 'pg') !== 'pg') {
    throw new ConfigError(
      "The replicas option needs driver 'pg' (Neon read replicas are plain connection strings: use them with driver 'pg').",
    )
  }
  if (replicas.some((url) => (parseHostList(url)?.hosts.length ?? 1) > 1)) {
    throw new ConfigError('Each replica is one connection string naming one host: list several replicas separately.')
  }
  return { replicas, consistency: readConsistency, replicaWaitMs, maxReplicaLagMs }
}
