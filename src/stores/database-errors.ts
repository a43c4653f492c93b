import { toUnavailableIfConnectionFailure } from '../db/guarded-dialect.js'
import { redact, redactError } from '../db/redaction.js'
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
}

const VALUE_ERRORS = new Set(['23514', '22001', '22003', '22021', '22P02', '23502', '23505'])
// the unique constraints the migrations create, by the field each guards
const UNIQUE_FIELDS: Readonly<Record<string, ConflictField>> = {
  users_pkey: 'id',
  users_email_key: 'email',
  tasks_pkey: 'id',
}
// query_canceled (statement timeout), serialization failure, deadlock: safe to retry
const RETRYABLE = new Set(['57014', '40001', '40P01', '55P03'])

function sqlStateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
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
 * Translates anything a query threw into the package's own errors, keeping
 * the original (passwords removed) as `cause`. The one place driver errors
 * are classified.
 */
export function mapDatabaseError(error: unknown, context: ErrorContext = {}): TaskstoreError {
  if (error instanceof TaskstoreError) return error
  const unavailable = toUnavailableIfConnectionFailure(error)
  if (unavailable instanceof TaskstoreError) return unavailable

  const cause = redactError(error)
  const detail = redact(error instanceof Error ? error.message.split('\n')[0]! : String(error))
  const state = sqlStateOf(error) ?? inferSqlState(error)
  const constraint = (error as { constraint?: unknown }).constraint
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
  if (state && RETRYABLE.has(state)) {
    return new DatabaseUnavailableError(`The database cancelled the statement; it is safe to retry (${detail})`, {
      cause,
    })
  }
  return new DatabaseUnavailableError(`The database failed the operation: ${detail}`, { cause })
}
