import { ConfigError } from '../errors/index.js'
import { DEFAULT_RETRY, type RetryOptions } from './retry-policy.js'

/** Pool sizing. The defaults suit serverless hosts: few connections, idle ones recycled. */
export interface PoolOptions {
  /** Most connections open at once. Default 5. */
  readonly max?: number
  /** Close a connection idle this long; 0 keeps idle connections open. Default 10,000 ms. */
  readonly idleTimeoutMillis?: number
  /**
   * Give up opening a connection, or waiting for one from a full pool, after
   * this long; 0 waits without limit. Default 5,000 ms.
   */
  readonly connectionTimeoutMillis?: number
}

/** The options of `createDatabase` that shape connections, checked and with defaults filled in. */
export interface ConnectionOptions {
  readonly pool: Required<PoolOptions>
  readonly retry: Required<RetryOptions>
  readonly statementTimeoutMs: number | undefined
  readonly preparedStatements: boolean
}

const DEFAULT_POOL: Required<PoolOptions> = { max: 5, idleTimeoutMillis: 10_000, connectionTimeoutMillis: 5_000 }

// Node's timers and Postgres's statement_timeout both stop at 2^31 - 1 ms;
// a longer timer fires at once.
const MAX_MILLISECONDS = 2_147_483_647

/**
 * Checks the connection options of `createDatabase` and fills in defaults.
 * Every number must be a whole number in range: a string, NaN, Infinity, a
 * negative or a fraction is a `ConfigError` naming the option; so is a
 * `preparedStatements` that is not a boolean.
 *
 * @throws {ConfigError} naming the first malformed option.
 * @example
 * ```ts
 * const { pool, retry } = resolveConnectionOptions({ pool: { max: 10 } })
 * ```
 */
export function resolveConnectionOptions(options: {
  readonly pool?: PoolOptions
  readonly retry?: RetryOptions
  readonly statementTimeoutMs?: number
  readonly preparedStatements?: boolean
}): ConnectionOptions {
  const pool = withDefaults('pool', options.pool, DEFAULT_POOL)
  wholeNumber('pool.max', pool.max, 1, Number.MAX_SAFE_INTEGER)
  wholeNumber('pool.idleTimeoutMillis', pool.idleTimeoutMillis, 0, MAX_MILLISECONDS)
  wholeNumber('pool.connectionTimeoutMillis', pool.connectionTimeoutMillis, 0, MAX_MILLISECONDS)
  const retry = withDefaults('retry', options.retry, DEFAULT_RETRY)
  wholeNumber('retry.attempts', retry.attempts, 1, Number.MAX_SAFE_INTEGER)
  wholeNumber('retry.baseDelayMs', retry.baseDelayMs, 0, MAX_MILLISECONDS)
  wholeNumber('retry.maxDelayMs', retry.maxDelayMs, 0, MAX_MILLISECONDS)
  if (options.statementTimeoutMs !== undefined) {
    wholeNumber('statementTimeoutMs', options.statementTimeoutMs, 0, MAX_MILLISECONDS)
  }
  const { preparedStatements = true } = options
  if (typeof preparedStatements !== 'boolean') {
    throw new ConfigError('Invalid preparedStatements option: pass true or false.')
  }
  return { pool, retry, statementTimeoutMs: options.statementTimeoutMs, preparedStatements }
}

/** The defaults overlaid with the given values; an option left `undefined` keeps its default. */
function withDefaults<T extends object>(
  name: string,
  given: Partial<T> | undefined,
  defaults: Required<T>,
): Required<T> {
  if (given === undefined) return defaults
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new ConfigError(
      `Invalid ${name} option (${describe(given)}): pass an object such as { ${Object.keys(defaults)[0]}: … }.`,
    )
  }
  const result: Record<string, unknown> = { ...defaults }
  for (const [key, value] of Object.entries(given)) {
    if (!(key in defaults)) {
      throw new ConfigError(`Unknown option ${name}.${key}: use ${Object.keys(defaults).join(', ')}.`)
    }
    if (value !== undefined) result[key] = value
  }
  return result as Required<T>
}

/**
 * Checks that an option is a whole number in `min`…`max`.
 *
 * @throws {ConfigError} naming the option and the range.
 * @example
 * ```ts
 * wholeNumber('replicaWaitMs', 50, 0, 60_000)
 * ```
 */
export function wholeNumber(name: string, value: unknown, min: number, max: number): void {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return
  const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`
  throw new ConfigError(`Invalid ${name} (${describe(value)}): use a whole number ${range}.`)
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`
  if (typeof value === 'number') return String(value)
  return value === null ? 'null' : typeof value
}
