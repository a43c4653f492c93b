import { timestamptzText } from '../db/timestamptz-text.js'
import { ValidationError } from '../errors/index.js'
import {
  CURSOR_VERSION,
  EARLIEST_TIMESTAMPTZ_MS,
  HASH_DIGITS,
  INFINITY_KEYS,
  KEY_KIND,
  LATEST_DATE_MS,
  YEAR_ONE_MS,
} from '../validation/cursor-format.js'
import { codePointLength, MAX_INTEGER, TITLE_LENGTH } from '../validation/index.js'
import type { TaskSort } from './task.js'

/**
 * Where a listing stands: the last row's sort value and id. A time is a
 * `Date`, or `±Infinity` for Postgres's `infinity`, as the driver reads it.
 */
export interface CursorPosition {
  readonly value: Date | number | string | null
  readonly id: number
}

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'))

/** A 32-bit value as 8 hex digits, by table: several times faster than `toString(16)` on values past 2^30. */
function hex32(value: number): string {
  return HEX[value >>> 24]! + HEX[(value >>> 16) & 255]! + HEX[(value >>> 8) & 255]! + HEX[value & 255]!
}

/** FNV-1a over UTF-16 units in two 32-bit lanes with different offsets: 64 bits. */
class Fnv64 {
  #a = 0x811c9dc5
  #b = 0x01000193 ^ 0x5bd1e995

  unit(unit: number): this {
    this.#a = Math.imul(this.#a ^ unit, 0x01000193)
    this.#b = Math.imul(this.#b ^ unit, 0x01000193) ^ (this.#b >>> 15)
    return this
  }

  text(text: string): this {
    for (let i = 0; i < text.length; i++) this.unit(text.charCodeAt(i))
    return this
  }

  /** 16 hex digits. */
  digest(): string {
    return hex32(this.#a >>> 0) + hex32(this.#b >>> 0)
  }
}

/** 64-bit FNV-1a of a string, as 16 hex digits. */
export function hash64(text: string): string {
  return new Fnv64().text(text).digest()
}

/** The listing a cursor belongs to; compute it once per call with {@link cursorScope}. */
export type CursorScope = string & { readonly __cursorScope: true }

const PART_TAG = { string: 1, number: 2, false: 3, true: 4, null: 5 } as const

/**
 * Hashes the parts that define a listing: who, filters, sort and order.
 * Each part is fed with a tag for its type, and a string with its length
 * first, so no two lists of parts feed the same units.
 */
export function cursorScope(parts: ReadonlyArray<string | number | boolean | null>): CursorScope {
  const hash = new Fnv64()
  for (const part of parts) {
    if (part === null) hash.unit(PART_TAG.null)
    else if (typeof part === 'boolean') hash.unit(part ? PART_TAG.true : PART_TAG.false)
    else if (typeof part === 'number') hash.unit(PART_TAG.number).text(String(part))
    else hash.unit(PART_TAG.string).unit(part.length).text(part)
  }
  return hash.digest() as CursorScope
}

function encodeKey(value: CursorPosition['value']): string {
  if (value === null) return KEY_KIND.null
  if (value instanceof Date) return `${KEY_KIND.time}${value.getTime()}`
  if (value === Number.POSITIVE_INFINITY) return `${KEY_KIND.time}${INFINITY_KEYS.infinity}`
  if (value === Number.NEGATIVE_INFINITY) return `${KEY_KIND.time}${INFINITY_KEYS['-infinity']}`
  if (typeof value === 'number') return `${KEY_KIND.priority}${value}`
  return `${KEY_KIND.title}${Buffer.from(value, 'utf8').toString('base64url')}`
}

/**
 * Encodes a position as an opaque cursor bound to the listing's scope.
 *
 * A cursor reads `v1.<scope>.<key>.<id>.<check>` (see `cursor-format.ts`):
 * the listing it belongs to (user, filters, sort and order) as a 64-bit
 * hash, the last row's sort key and id, and a checksum of the rest. The
 * hashes catch cursors from other listings and altered ones; they need no
 * secret, because a cursor only chooses where a listing of the caller's own
 * tasks resumes, and every decoded value is checked before it is bound.
 *
 * A time key is the exact value the row holds: the timestamp columns keep
 * milliseconds (`timestamptz(3)`), which a `Date` holds exactly.
 */
export function encodeCursor(scope: CursorScope, { value, id }: CursorPosition): string {
  const body = `${CURSOR_VERSION}.${scope}.${encodeKey(value)}.${id.toString(36)}`
  return `${body}.${hash64(body)}`
}

/** The times a backend can hold, and so the times a cursor for it may carry. */
export interface TimeRange {
  readonly earliestMs: number
  /** Whether `infinity` and `-infinity` can be stored. */
  readonly infinity: boolean
}

/** Postgres: from 4714 BC to the last instant a `Date` holds, and both infinities. */
export const POSTGRES_TIMES: TimeRange = { earliestMs: EARLIEST_TIMESTAMPTZ_MS, infinity: true }

/** pg-mem: from year 1, no infinities (it cannot read `BC` or `infinity`). */
export const PG_MEM_TIMES: TimeRange = { earliestMs: YEAR_ONE_MS, infinity: false }

/**
 * The value to bind for a position's sort key: a time as UTC text that
 * Postgres reads as the same instant whatever its `DateStyle` and
 * `TimeZone` and the process's `TZ`; anything else as it is.
 */
export function positionParameter(position: CursorPosition, sort: TaskSort): string | number | null {
  const { value } = position
  if (value === null) return null
  if (sort === 'createdAt' || sort === 'updatedAt' || sort === 'completedAt') {
    return timestamptzText(value as Date | number)
  }
  return value as string | number
}

function invalid(): ValidationError {
  return new ValidationError([
    {
      path: ['cursor'],
      message: 'is not a cursor produced by this listing (same user, filters, sort and order)',
    },
  ])
}

/**
 * Decodes a cursor made by {@link encodeCursor} for the same scope.
 *
 * @throws {ValidationError} when the cursor is malformed, altered, or from another listing.
 */
export function decodeCursor(
  scope: CursorScope,
  sort: TaskSort,
  cursor: string,
  times: TimeRange = POSTGRES_TIMES,
): CursorPosition {
  const parts = cursor.split('.')
  if (parts.length !== 5 || parts[0] !== CURSOR_VERSION || parts[1] !== scope) throw invalid()
  const [, , key, idText, check] = parts as [string, string, string, string, string]
  if (check.length !== HASH_DIGITS || check !== hash64(cursor.slice(0, cursor.length - check.length - 1))) {
    throw invalid()
  }
  const id = /^[0-9a-z]{1,7}$/.test(idText) ? Number.parseInt(idText, 36) : Number.NaN
  if (!Number.isInteger(id) || id < 1 || id > MAX_INTEGER) throw invalid()
  return { value: decodeKey(sort, key, times), id }
}

function decodeKey(sort: TaskSort, key: string, times: TimeRange): Date | number | string | null {
  const kind = key[0]
  const rest = key.slice(1)
  switch (sort) {
    case 'createdAt':
    case 'updatedAt':
    case 'completedAt': {
      if (key === KEY_KIND.null && sort === 'completedAt') return null
      if (kind !== KEY_KIND.time) throw invalid()
      if (times.infinity && rest === INFINITY_KEYS.infinity) return Number.POSITIVE_INFINITY
      if (times.infinity && rest === INFINITY_KEYS['-infinity']) return Number.NEGATIVE_INFINITY
      const ms = /^-?[0-9]{1,16}$/.test(rest) ? Number(rest) : Number.NaN
      // also bounds what reaches the database: a forged year -10000 would be an error there
      if (!(ms >= times.earliestMs && ms <= LATEST_DATE_MS)) throw invalid()
      return new Date(ms)
    }
    case 'priority': {
      const priority = kind === KEY_KIND.priority && /^[1-5]$/.test(rest) ? Number(rest) : Number.NaN
      if (Number.isNaN(priority)) throw invalid()
      return priority
    }
    case 'title': {
      if (kind !== KEY_KIND.title || !/^[A-Za-z0-9_-]*$/.test(rest)) throw invalid()
      const title = Buffer.from(rest, 'base64url').toString('utf8')
      if (title.includes('\u0000') || !title.isWellFormed() || codePointLength(title) > TITLE_LENGTH.max) {
        throw invalid()
      }
      return title
    }
  }
}
