import {
  ConfigError,
  ConflictError,
  type ConflictField,
  DatabaseUnavailableError,
  MigrationError,
  NotFoundError,
  TaskstoreError,
  ValidationError,
} from '../errors/index.js'
import {
  findRefusedLogin,
  isCertificateFailure,
  isConnectionFailure,
  isRejectedStartupParameter,
} from './connection-failure.js'
import { closedDatabaseError } from './database-lifecycle.js'
import { errorCode, sqlStateOf } from './error-chain.js'
import { safeMessage, withoutErrorDetail } from './error-detail.js'
import { redact } from './redaction.js'

/** What a store statement was doing, so a constraint error can name what was wrong. */
export interface StatementContext {
  /** Message for a foreign-key failure (23503): the referenced row is missing. */
  readonly missingReference?: string
  /** Messages for a unique violation (23505), by the field that clashed. */
  readonly duplicate?: Readonly<Partial<Record<ConflictField, string>>>
  /**
   * Names the table (`'The tasks table'`) when the statement inserts a row
   * whose id the database generates: an id out of range then means the id
   * sequence ran out.
   */
  readonly generatesId?: string
}

/**
 * A pool's `connect()`, below the retry of a failed checkout: only what no
 * retry can fix is explained (a startup parameter a pooler refuses becomes
 * a `ConfigError`; a rejected certificate gets `certificateHint` added),
 * and every other error stays the driver's, for the retry to judge.
 */
export interface AtPoolConnect {
  readonly at: 'pool-connect'
  /** What to write in the connection string instead, when the server's certificate is rejected. */
  readonly certificateHint?: string | null
}

/**
 * A wait for a pooled connection: the driver's wait timeout, while all
 * `max` connections were in use, says the pool is exhausted. Every other
 * error passes unchanged.
 */
export interface AtPoolWait {
  readonly at: 'pool-wait'
  readonly max: number
  readonly timeoutMs: number
  /** How many connections were checked out when the wait ended. */
  readonly inUse: number
}

/**
 * A driver call (connecting, a statement, a transaction command): failing
 * to reach or keep the database becomes the package's own error, and any
 * other error passes unchanged, for the caller that knows the statement.
 */
export interface AtDriver {
  readonly at: 'driver'
}

/**
 * A store's statement: its SQLSTATE says what the caller did wrong, with
 * `context` naming it. `inTransaction` says whether it ran in the host's
 * transaction: a statement cancelled there (deadlock, serialization
 * failure, timeout) took the whole transaction with it, so only the
 * transaction can be retried, not the call.
 */
export interface AtStatement {
  readonly at: 'statement'
  readonly context?: StatementContext
  readonly inTransaction?: boolean
}

/**
 * The `COMMIT` of a transaction on the package's database: a serialization
 * failure or deadlock found at commit says the whole transaction is to be
 * run again, as one found at a statement in it does; any other error is
 * translated as at {@link AtDriver}.
 */
export interface AtCommit {
  readonly at: 'commit'
}

/** `checkHealth`'s `select 1`. */
export interface AtHealthCheck {
  readonly at: 'health-check'
}

/**
 * A migration run: a failure that is not about reaching or logging into
 * the database is a `MigrationError` naming `step` (null outside one),
 * its message starting with `summary`.
 */
export interface AtMigration {
  readonly at: 'migration'
  readonly step: string | null
  readonly summary: string
}

/** Where an error was caught, which decides what it becomes. */
export type ErrorSite = AtPoolConnect | AtPoolWait | AtDriver | AtCommit | AtStatement | AtHealthCheck | AtMigration

/**
 * Translates anything the driver or the database threw into the package's
 * own error, by where it was caught. A refused login or a startup parameter
 * a pooler refuses is a `ConfigError`; a lost, refused or timed-out
 * connection, a rejected TLS certificate or a closed database a
 * `DatabaseUnavailableError`. Below the statement level (`pool-connect`,
 * `pool-wait`, `driver`) any other error passes unchanged; at a statement,
 * a health check or a migration everything becomes a `TaskstoreError`.
 * The original is kept as `cause`, copied without passwords and without any
 * value from the server's error detail (`Key (email)=(…)`); messages are
 * built from the masked first line of the server's message.
 *
 * @example
 * ```ts
 * const failure = translateError(error, { at: 'statement', context: { missingReference: 'No such user' } })
 * if (failure.code === 'not_found') console.log(failure.message)
 * ```
 */
export function translateError(error: unknown, site: AtPoolConnect | AtPoolWait | AtDriver | AtCommit): unknown
export function translateError(error: unknown, site: AtStatement | AtHealthCheck | AtMigration): TaskstoreError
export function translateError(error: unknown, site: ErrorSite): unknown {
  switch (site.at) {
    case 'pool-connect':
      return explainRejectedStartupParameter(error) ?? explainRejectedCertificate(error, site.certificateHint) ?? error
    case 'pool-wait':
      return isPoolWaitTimeout(error) && site.inUse >= site.max
        ? poolExhaustedError(site.max, site.timeoutMs, error)
        : error
    case 'driver':
      return connectionError(error)
    case 'commit': {
      const state = sqlStateOf(error)
      const cancelled = state !== undefined && WHY_CANCELLED[state] !== undefined
      return cancelled ? statementError(error, {}, true) : connectionError(error)
    }
    case 'statement':
      return (
        finalConnectionError(error) ??
        endedTransactionError(error) ??
        statementError(error, site.context ?? {}, site.inTransaction ?? false)
      )
    case 'health-check':
      return (
        finalConnectionError(error) ??
        new DatabaseUnavailableError(`The health check failed: ${safeMessage(error)}`, {
          cause: withoutErrorDetail(error),
        })
      )
    case 'migration':
      return migrationError(error, site)
  }
}

// ---- Reaching the database ----

const CLOSED_DATABASE = /driver has already been destroyed|Cannot use a pool after calling end|PGlite is closed/i
const POOL_WAIT_TIMEOUT = 'timeout exceeded when trying to connect'

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** The package's error for a failure to reach or keep the database; any other error unchanged. */
function connectionError(error: unknown): unknown {
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

/** {@link connectionError} when the error is, or has become, the package's own; else undefined. */
function finalConnectionError(error: unknown): TaskstoreError | undefined {
  const translated = connectionError(error)
  return translated instanceof TaskstoreError ? translated : undefined
}

/**
 * The `ConfigError` for a login the server refused as configured: wrong
 * password (28P01), a role it does not know or does not let in (28000), a
 * database that does not exist (3D000), a startup setting it does not know
 * or will not take (FATAL 42704, 22023), or no password where one is
 * needed. Retrying cannot fix any of them. Null for any other error.
 */
function refusedLogin(error: unknown): ConfigError | null {
  const found = findRefusedLogin(error)
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
    case '42704':
    case '22023':
      return new ConfigError(
        `The database refused a setting given when connecting (${said}): check the options parameter of the connection string (options=-c name=value) and the PGOPTIONS environment variable.`,
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

// Kysely's own errors for a transaction used after its commit or rollback
const ENDED_TRANSACTION = /^Transaction is already (committed|rolled back)$/

/**
 * The `ConfigError` for a store used on a transaction that has ended: the
 * host's code holds the store past the transaction, and no retry helps.
 * Null for any other error.
 */
function endedTransactionError(error: unknown): ConfigError | null {
  if (!(error instanceof Error) || !ENDED_TRANSACTION.test(error.message)) return null
  return new ConfigError(
    `${error.message}: this store was made on a transaction that has ended. Make a store inside the transaction and use it only there, or make it on the database.`,
    { cause: error },
  )
}

/** The `ConfigError` for a `statement_timeout` startup parameter a pooler refused, or null for any other error. */
function explainRejectedStartupParameter(error: unknown): ConfigError | null {
  if (!isRejectedStartupParameter(error)) return null
  return new ConfigError(
    `The server refused a connection parameter (${messageOf(error)}). A transaction-pooling PgBouncer, such as Neon's -pooler endpoint, accepts no statement_timeout at connect time: remove statementTimeoutMs and set the limit on the role instead (ALTER ROLE name SET statement_timeout = '5s'), or connect to the server directly.`,
    { cause: error },
  )
}

/**
 * The error of a rejected certificate with `hint` (what to write instead)
 * added to its message, keeping its code and the original as `cause`; null
 * for any other error or without a hint.
 */
function explainRejectedCertificate(error: unknown, hint: string | null = null): Error | null {
  if (hint === null || !isCertificateFailure(error)) return null
  const explained = new Error(`${messageOf(error)}. ${hint}`, { cause: error })
  const code = errorCode(error)
  return code === undefined ? explained : Object.assign(explained, { code })
}

function isPoolWaitTimeout(error: unknown): error is Error {
  return error instanceof Error && error.message === POOL_WAIT_TIMEOUT
}

// Not an outage, so never retried: the pool is too small for the load.
function poolExhaustedError(max: number, timeoutMs: number, cause: unknown): DatabaseUnavailableError {
  return new DatabaseUnavailableError(
    `The connection pool is exhausted: all ${max} connections stayed in use for ${timeoutMs} ms (connectionTimeoutMillis). Raise pool.max, keep transactions short, or make fewer calls at once.`,
    { cause: withoutErrorDetail(cause) },
  )
}

// ---- A store's statement ----

const VALUE_ERRORS = new Set(['23514', '22001', '22003', '22021', '22P02', '23502', '23505'])
// the unique constraints the migrations create, by the field each guards
const UNIQUE_FIELDS: Readonly<Record<string, ConflictField>> = {
  users_pkey: 'id',
  users_email_key: 'email',
  tasks_pkey: 'id',
}
// query_canceled (statement timeout), serialization failure, deadlock, lock not available
const WHY_CANCELLED: Readonly<Record<string, string>> = {
  '57014': 'it ran past the statement timeout or was cancelled',
  '40001': 'a concurrent transaction changed the same rows (serialization failure)',
  '40P01': 'it was caught in a deadlock',
  '55P03': 'a lock was not available',
}

// pg-mem raises constraint errors without a SQLSTATE; recognise them by message.
function inferSqlState(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : ''
  if (/violates foreign key constraint/i.test(message)) return '23503'
  if (/duplicate key|unique constraint/i.test(message)) return '23505'
  if (/check constraint/i.test(message)) return '23514'
  if (/violates not-null constraint/i.test(message)) return '23502'
  if (/value too long/i.test(message)) return '22001'
  if (/relation "[^"]*" does not exist/i.test(message)) return '42P01'
  return undefined
}

/** The constraint a server error names, when it names one. */
function constraintOf(error: unknown): string | undefined {
  const constraint = (error as { constraint?: unknown } | null)?.constraint
  return typeof constraint === 'string' ? constraint : undefined
}

function isConflictField(value: string | undefined): value is ConflictField {
  return value === 'id' || value === 'email'
}

/**
 * The field a unique violation is about: from the constraint's name, or on
 * pg-mem (which names the table's first unique constraint whichever one
 * failed, and sets no `constraint`) from the column in its "Key (email)="
 * detail. Undefined for a constraint the migrations did not create.
 */
function conflictFieldOf(error: unknown): ConflictField | undefined {
  const constraint = constraintOf(error)
  if (constraint !== undefined) return Object.hasOwn(UNIQUE_FIELDS, constraint) ? UNIQUE_FIELDS[constraint] : undefined
  const column = /\bKey \((id|email)\)=/.exec(messageOf(error))?.[1]
  return isConflictField(column) ? column : undefined
}

function statementError(error: unknown, context: StatementContext, inTransaction: boolean): TaskstoreError {
  const cause = withoutErrorDetail(error)
  const detail = safeMessage(error)
  const state = sqlStateOf(error) ?? inferSqlState(error)
  if (state === '2200H' || (state === '22003' && context.generatesId)) {
    return new ConfigError(
      `${context.generatesId ?? 'An id sequence'} has run out of ids (${detail}): no row can be added until an operator widens the id column and its sequence (to bigint) or restarts the sequence below its maximum. Retrying does not help.`,
      { cause },
    )
  }
  const field = state === '23505' ? conflictFieldOf(error) : undefined
  if (field) {
    return new ConflictError(context.duplicate?.[field] ?? `That ${field} is already taken`, field, { cause })
  }
  if (state === '23503' && context.missingReference) {
    return new NotFoundError(context.missingReference, { cause })
  }
  if (state && VALUE_ERRORS.has(state)) {
    const constraint = constraintOf(error)
    const path = constraint === undefined ? [] : [constraint]
    return new ValidationError([{ path, message: `rejected by the database: ${detail}` }], { cause })
  }
  if (state === '42P01' || state === '3F000') {
    return new ConfigError(
      `taskstore's tables were not found (${detail}): run migrateToLatest(db) for this schema first`,
      { cause },
    )
  }
  if (state === '25P02') {
    return new DatabaseUnavailableError(
      `The transaction was aborted by an earlier failed statement in it (${detail}). Nothing more can run in it: let it end (it rolls back) and run the whole transaction again, or roll back to a savepoint taken before the failure.`,
      { cause },
    )
  }
  const why = state === undefined ? undefined : WHY_CANCELLED[state]
  if (why !== undefined) {
    return new DatabaseUnavailableError(
      inTransaction
        ? `The database aborted the transaction: ${why} (${detail}). Everything done in it is rolled back and the transaction can no longer commit; let it end and run the whole transaction again.`
        : `The database cancelled the statement: ${why} (${detail}). The statement was rolled back; it is safe to retry the call.`,
      { cause },
    )
  }
  return new DatabaseUnavailableError(`The database failed the operation: ${detail}`, { cause })
}

// ---- A migration run ----

// A database that cannot be reached or logged into is not a failed migration: retrying or fixing the URL helps.
function migrationError(error: unknown, { step, summary }: AtMigration): TaskstoreError {
  if (error instanceof MigrationError) return error
  const reached = finalConnectionError(error)
  if (reached && (reached.code === 'unavailable' || reached.code === 'config')) return reached
  return new MigrationError(`${summary}: ${safeMessage(error)}`, step, { cause: withoutErrorDetail(error) })
}
