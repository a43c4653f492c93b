import { classifyConnectionError } from '../db/classify-connection-error.js'
import { sqlStateOf } from '../db/error-chain.js'
import { safeMessage, withoutErrorDetail } from '../db/error-detail.js'
import {
  ConfigError,
  ConflictError,
  type ConflictField,
  DatabaseUnavailableError,
  NotFoundError,
  TaskstoreError,
  ValidationError,
} from '../errors/index.js'

/** What the store was doing, so a constraint error can name what was wrong. */
export interface ErrorContext {
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

const VALUE_ERRORS = new Set(['23514', '22001', '22003', '22021', '22P02', '23502', '23505'])
// the unique constraints the migrations create, by the field each guards
const UNIQUE_FIELDS: Readonly<Record<string, ConflictField>> = {
  users_pkey: 'id',
  users_email_key: 'email',
  tasks_pkey: 'id',
}
// query_canceled (statement timeout), serialization failure, deadlock, lock not available
const CANCELLED = new Set(['57014', '40001', '40P01', '55P03'])
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

/**
 * The field a unique violation is about: from the constraint's name, or on
 * pg-mem (which names the table's first unique constraint whichever one
 * failed, and sets no `constraint`) from the column in its "Key (email)="
 * detail. Undefined for a constraint the migrations did not create.
 */
function conflictFieldOf(error: unknown): ConflictField | undefined {
  const constraint = (error as { constraint?: unknown } | null)?.constraint
  if (typeof constraint === 'string')
    return Object.hasOwn(UNIQUE_FIELDS, constraint) ? UNIQUE_FIELDS[constraint] : undefined
  const message = error instanceof Error ? error.message : ''
  const column = /\bKey \((id|email)\)=/.exec(message)?.[1]
  return column as ConflictField | undefined
}

/**
 * Translates anything a query threw into the package's own errors. The
 * original is kept as `cause`, copied without passwords and without any
 * value from the server's error detail (`Key (email)=(…)`); messages are
 * built from the masked first line of the server's message.
 *
 * `inTransaction` says whether the statement ran in the host's transaction:
 * a statement cancelled there (deadlock, serialization failure, timeout)
 * took the whole transaction with it, so only the transaction can be
 * retried, not the call.
 */
export function mapDatabaseError(error: unknown, context: ErrorContext = {}, inTransaction = false): TaskstoreError {
  if (error instanceof TaskstoreError) return error
  const connection = classifyConnectionError(error)
  if (connection instanceof TaskstoreError) return connection

  const cause = withoutErrorDetail(error)
  const detail = safeMessage(error)
  const state = sqlStateOf(error) ?? inferSqlState(error)
  const constraint = (error as { constraint?: unknown }).constraint
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
    const path = typeof constraint === 'string' ? [constraint] : []
    return new ValidationError([{ path, message: `rejected by the database: ${detail}` }], { cause })
  }
  if (state === '42P01' || state === '3F000') {
    return new ConfigError(
      `taskstore's tables were not found (${detail}): run migrateToLatest(db) for this schema first`,
      { cause },
    )
  }
  if (state && CANCELLED.has(state)) {
    const why = WHY_CANCELLED[state]
    return new DatabaseUnavailableError(
      inTransaction
        ? `The database aborted the transaction: ${why} (${detail}). Everything done in it is rolled back and the transaction can no longer commit; let it end and run the whole transaction again.`
        : `The database cancelled the statement: ${why} (${detail}). The statement was rolled back; it is safe to retry the call.`,
      { cause },
    )
  }
  return new DatabaseUnavailableError(`The database failed the operation: ${detail}`, { cause })
}
