import { readTimestamptz } from '../db/timestamp-parser.js'
import { ConfigError } from '../errors/index.js'

/** The fields of the stores' rows that hold a `timestamptz`. */
const TIME_FIELDS = ['createdAt', 'updatedAt', 'completedAt'] as const
/** Those that are never null in the tables: a null there is a time the driver could not read. */
const NOT_NULL = new Set<string>(['createdAt', 'updatedAt'])

/**
 * Makes the time fields of rows read through a driver whose type parsers
 * are not taskstore's (a host's own pool or dialect) the `Date`s the stores
 * promise. Hosts often read `timestamptz` as its text, to keep its
 * microseconds; left as it is, that text would be returned as a `Date`, and
 * a listing's cursor would take it for a title. Text is read as the server
 * prints it under `DateStyle = ISO`, and a date object of another library
 * (anything whose `valueOf()` is epoch milliseconds) becomes a `Date`. A
 * `Date`, a null `completedAt` and the `±Infinity` of `'infinity'` are
 * kept.
 *
 * @throws {ConfigError} when a time is of another kind, or text in another `DateStyle` (which node-postgres's own
 * parser reads as null).
 * @example
 * ```ts
 * const rows: Record<string, unknown>[] = [{ id: 1, createdAt: '2026-11-28 21:44:24.102+00' }]
 * readRowTimes(rows)
 * rows[0]!.createdAt // 2026-11-28T21:44:24.102Z
 * ```
 */
export function readRowTimes(rows: ReadonlyArray<Record<string, unknown>>): void {
  for (const row of rows) {
    for (const field of TIME_FIELDS) {
      const value = row[field]
      if (value === undefined || value instanceof Date) continue
      if (value === null) {
        if (NOT_NULL.has(field)) throw unreadTimeError(field)
        continue
      }
      row[field] = asTime(value, field)
    }
  }
}

function unreadTimeError(field: string): ConfigError {
  return new ConfigError(
    `The driver read ${field} as null, which it never is: the connection's DateStyle is not ISO, and the driver's timestamptz parser cannot read that text. Set it back (ALTER ROLE name SET DateStyle = 'ISO, MDY'; or remove DateStyle from PGOPTIONS or the connection's options).`,
  )
}

function asTime(value: unknown, field: string): Date | number {
  if (typeof value === 'string') return readTimestamptz(value)
  if (typeof value === 'number') return Number.isFinite(value) ? new Date(value) : value
  const epoch = typeof value === 'object' ? (value as { valueOf(): unknown }).valueOf() : undefined
  if (typeof epoch === 'number') return new Date(epoch)
  throw new ConfigError(
    `The driver read ${field} as ${typeof value}, not a Date: a type parser for timestamptz (OID 1184), set with pg.types.setTypeParser or a pool's types option, must return a Date, the server's text or epoch milliseconds.`,
  )
}
