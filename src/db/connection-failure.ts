import { ConfigError, TaskstoreError } from '../errors/index.js'
import { causeChain, errorCode, findInChain } from './error-chain.js'

const TRANSIENT_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
])
// admin_shutdown, cannot_connect_now, too_many_connections; class 08 is connection exceptions
const TRANSIENT_SQLSTATE = new Set(['57P01', '57P02', '57P03', '53300'])
const LOST_CONNECTION_MESSAGES = [
  'Connection terminated',
  'connection terminated',
  'Client has encountered a connection error',
  'server closed the connection',
  'timeout exceeded when trying to connect',
  'Connection ended unexpectedly',
  'WebSocket',
  'socket hang up',
]

const REJECTED_STARTUP_PARAMETER = /unsupported startup parameter/i

/**
 * True when a pooler (PgBouncer, Neon's `-pooler` endpoint) refused a
 * startup parameter such as `statement_timeout`: configuration, not an
 * outage, so never retried. Looks through `cause` chains.
 */
export function isRejectedStartupParameter(error: unknown): boolean {
  return (
    findInChain(
      error,
      (candidate) => candidate instanceof Error && REJECTED_STARTUP_PARAMETER.test(candidate.message),
    ) !== undefined
  )
}

/**
 * The `ConfigError` to raise when a pooler refused the `statement_timeout`
 * startup parameter, or null for any other error.
 */
export function explainRejectedStartupParameter(error: unknown): ConfigError | null {
  if (!isRejectedStartupParameter(error)) return null
  const detail = error instanceof Error ? error.message : String(error)
  return new ConfigError(
    `The server refused a connection parameter (${detail}). A transaction-pooling PgBouncer, such as Neon's -pooler endpoint, accepts no statement_timeout at connect time: remove statementTimeoutMs and set the limit on the role instead (ALTER ROLE name SET statement_timeout = '5s'), or connect to the server directly.`,
    { cause: error },
  )
}

/**
 * True when an error means the database could not be reached for now or the
 * connection was lost: refused, reset, timed out, shut down (57P01/57P03),
 * or any class 08 connection exception. Looks through `cause` chains. Such a
 * failure is worth another connection attempt.
 */
export function isTransientConnectionFailure(error: unknown): boolean {
  return !isRejectedStartupParameter(error) && lostConnection(error)
}

function lostConnection(error: unknown): boolean {
  for (const candidate of causeChain(error)) {
    // the package's own errors are final: a refused login, a full pool, a closed database
    if (candidate instanceof TaskstoreError) return false
    const code = errorCode(candidate)
    if (code && (TRANSIENT_ERRNO.has(code) || TRANSIENT_SQLSTATE.has(code) || code.startsWith('08'))) return true
    if (candidate instanceof AggregateError && candidate.errors.some(lostConnection)) return true
    const message = candidate instanceof Error ? candidate.message : ''
    if (LOST_CONNECTION_MESSAGES.some((fragment) => message.includes(fragment))) return true
  }
  return false
}

const CERTIFICATE_CODES =
  /^(CERT_|ERR_TLS_CERT|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(VERIFY|GET)_)/

/** True when the server's TLS certificate failed verification. Never worth a retry. */
export function isCertificateFailure(error: unknown): boolean {
  return (
    findInChain(error, (candidate) => {
      const code = errorCode(candidate)
      if (code && CERTIFICATE_CODES.test(code)) return true
      return candidate instanceof Error && /certificate|self[- ]signed/i.test(candidate.message)
    }) !== undefined
  )
}

/**
 * The error of a rejected certificate with `hint` (what to write instead)
 * added to its message, keeping its code and the original as `cause`; null
 * for any other error or without a hint.
 */
export function explainRejectedCertificate(error: unknown, hint: string | null): Error | null {
  if (hint === null || !isCertificateFailure(error)) return null
  const detail = error instanceof Error ? error.message : String(error)
  const explained = new Error(`${detail}. ${hint}`, { cause: error })
  const code = errorCode(error)
  return code === undefined ? explained : Object.assign(explained, { code })
}

/**
 * True when the database cannot be reached or the connection was lost: a
 * transient failure, a rejected certificate, or a server that refuses TLS.
 */
export function isConnectionFailure(error: unknown): boolean {
  if (isRejectedStartupParameter(error)) return false
  if (error instanceof TaskstoreError) return error.code === 'unavailable'
  if (isTransientConnectionFailure(error) || isCertificateFailure(error)) return true
  return error instanceof Error && /does not support SSL|SSL connection/i.test(error.message)
}
