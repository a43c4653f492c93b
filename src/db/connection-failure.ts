import { TaskstoreError } from '../errors/index.js'
import { causeChain, errorCode, findInChain, sqlStateOf } from './error-chain.js'

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
// What the server or driver says when a login cannot succeed as configured.
const REFUSED_LOGIN_SQLSTATES = new Set(['28P01', '28000', '3D000'])
// A setting in the startup packet (`options=-c …`, PGOPTIONS) that the server does not know or will not take:
// FATAL, which these codes are only at connect time (a statement's own are ERRORs).
const REFUSED_STARTUP_SETTING_SQLSTATES = new Set(['42704', '22023'])
const MISSING_PASSWORD = /client password must be a (non-empty )?string/i

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
 * True when the database cannot be reached or the connection was lost: a
 * transient failure, a rejected certificate, or a server that refuses TLS.
 */
export function isConnectionFailure(error: unknown): boolean {
  if (isRejectedStartupParameter(error)) return false
  if (error instanceof TaskstoreError) return error.code === 'unavailable'
  if (isTransientConnectionFailure(error) || isCertificateFailure(error)) return true
  return error instanceof Error && /does not support SSL|SSL connection/i.test(error.message)
}

/**
 * The error in a `cause` chain that says the server refused the login as
 * configured: a wrong password (28P01), a role it does not know or does
 * not let in (28000), a database that does not exist (3D000), a startup
 * setting it does not know or will not take (FATAL 42704, 22023), or no
 * password where one is needed. Undefined when there is none; retrying
 * cannot fix any of them.
 *
 * @example
 * ```ts
 * if (findRefusedLogin(error) !== undefined) console.error('check the connection string')
 * ```
 */
export function findRefusedLogin(error: unknown): unknown {
  return findInChain(error, (candidate) => {
    const state = sqlStateOf(candidate)
    if (state !== undefined && REFUSED_LOGIN_SQLSTATES.has(state)) return true
    if (state !== undefined && REFUSED_STARTUP_SETTING_SQLSTATES.has(state)) {
      return (candidate as { severity?: unknown }).severity === 'FATAL'
    }
    return MISSING_PASSWORD.test(candidate instanceof Error ? candidate.message : String(candidate))
  })
}
