import { ConfigError, DatabaseUnavailableError, TaskstoreError } from '../errors/index.js'
import { explainRejectedStartupParameter, isCertificateFailure, isConnectionFailure } from './connection-failure.js'
import { closedDatabaseError } from './database-lifecycle.js'
import { findInChain, sqlStateOf } from './error-chain.js'
import { withoutErrorDetail } from './error-detail.js'
import { redact } from './redaction.js'

// What the server or driver says when a login cannot succeed as configured.
const MISSING_PASSWORD = /client password must be a (non-empty )?string/i
const CLOSED_DATABASE = /driver has already been destroyed|Cannot use a pool after calling end|PGlite is closed/i

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * The `ConfigError` for a login the server refused as configured: wrong
 * password (28P01), a role it does not know or does not let in (28000), a
 * database that does not exist (3D000), or no password where one is
 * needed. Retrying cannot fix any of them. Null for any other error.
 */
export function refusedLogin(error: unknown): ConfigError | null {
  const found = findInChain(error, (candidate) => {
    const state = sqlStateOf(candidate)
    return state === '28P01' || state === '28000' || state === '3D000' || MISSING_PASSWORD.test(messageOf(candidate))
  })
  if (found === undefined) return null
  const said = redact(messageOf(found))
  const cause = withoutErrorDetail(error)
  switch (sqlStateOf(found)) {
    case '28P01':
      return new ConfigError(
        `The database refused the login (${said}): check the user name and password in the connection string (or PGPASSWORD).`,
        { cause },
      )
    case '28000':
      return new ConfigError(
        `The database refused the login (${said}): check the user name in the connection string, and that the server accepts it from this host (pg_hba.conf).`,
        { cause },
      )
    case '3D000':
      return new ConfigError(
        `The database named in the connection string does not exist (${said}): check the name after the last / of the URL, or create the database.`,
        { cause },
      )
    default:
      return new ConfigError(
        `The database server asks for a password and the connection string has none (${said}): put it in the URL (postgres://user:password@host/database) or set PGPASSWORD.`,
        { cause },
      )
  }
}

/**
 * Translates a failure to reach or keep the database into the package's
 * own error: a `ConfigError` for what retrying cannot fix (a refused login,
 * a startup parameter a pooler rejects), a `DatabaseUnavailableError` for
 * a lost, refused or timed-out connection, a rejected TLS certificate or a
 * closed database. Any other error (a failing statement) passes unchanged.
 * Every message and cause is free of known passwords and of values from
 * the server's error detail.
 */
export function classifyConnectionError(error: unknown): unknown {
  if (error instanceof TaskstoreError) return error
  const config = refusedLogin(error) ?? explainRejectedStartupParameter(error)
  if (config) return config
  if (CLOSED_DATABASE.test(messageOf(error))) return closedDatabaseError()
  if (!isConnectionFailure(error)) return error
  const cause = withoutErrorDetail(error)
  const summary = isCertificateFailure(error)
    ? "The database server's TLS certificate was rejected"
    : 'The database is unavailable'
  return new DatabaseUnavailableError(redact(`${summary}: ${messageOf(cause)}`), { cause })
}

/**
 * The error for a pool whose every connection stayed in use for the whole
 * `connectionTimeoutMillis`: not an outage, so never retried.
 */
export function poolExhaustedError(max: number, timeoutMs: number, cause: unknown): DatabaseUnavailableError {
  return new DatabaseUnavailableError(
    `The connection pool is exhausted: all ${max} connections stayed in use for ${timeoutMs} ms (connectionTimeoutMillis). Raise pool.max, keep transactions short, or make fewer calls at once.`,
    { cause: withoutErrorDetail(cause) },
  )
}
