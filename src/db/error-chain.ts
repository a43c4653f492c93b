// How far a cause chain is followed: drivers wrap at most a few levels, and a cycle must end.
const MAX_DEPTH = 8

/**
 * The error and each of its causes in turn (`error.cause`, its cause, …).
 *
 * @example
 * ```ts
 * import { causeChain } from './error-chain.js'
 * const wrapped = new Error('query failed', { cause: new Error('connection reset') })
 * for (const error of causeChain(wrapped)) console.log(error)
 * ```
 */
export function* causeChain(error: unknown): Generator<unknown> {
  for (let current = error, depth = 0; current != null && depth <= MAX_DEPTH; depth++) {
    yield current
    current = (current as { cause?: unknown }).cause
  }
}

/**
 * The first error in a cause chain that `test` accepts, or undefined.
 *
 * @example
 * ```ts
 * const refused = findInChain(error, (candidate) => sqlStateOf(candidate) === '28P01')
 * ```
 */
export function findInChain(error: unknown, test: (candidate: unknown) => boolean): unknown {
  for (const candidate of causeChain(error)) if (test(candidate)) return candidate
  return undefined
}

/**
 * An error's `code` (an errno such as `ECONNRESET`, a SQLSTATE, a TLS code) when it is a string.
 *
 * @example
 * ```ts
 * errorCode(Object.assign(new Error('reset'), { code: 'ECONNRESET' })) // 'ECONNRESET'
 * ```
 */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/**
 * The SQLSTATE of a server error (five digits or capitals), or undefined.
 *
 * @example
 * ```ts
 * sqlStateOf(Object.assign(new Error('duplicate key'), { code: '23505' })) // '23505'
 * ```
 */
export function sqlStateOf(error: unknown): string | undefined {
  const code = errorCode(error)
  return code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
}
