import { ValidationError } from '../errors/index.js'
import { codePointLength, MAX_INTEGER } from '../validation/index.js'
import type { TaskSort } from './task.js'

/** Where a listing stands: the last row's sort value and id. */
export interface CursorPosition {
  readonly value: Date | number | string | null
  readonly id: number
}

/**
 * A cursor reads `v1.<scope>.<key>.<id>.<check>`: the listing it belongs to
 * (user, filters, sort and order) as a 64-bit hash, the last row's sort key
 * and id, and a checksum of the rest. The hashes catch cursors from other
 * listings and altered ones; they need no secret, because a cursor only
 * chooses where a listing of the caller's own tasks resumes, and every
 * decoded value is checked before it is bound.
 */
const PREFIX = 'v1'

/** FNV-1a over the UTF-16 units, two 32-bit lanes with different offsets: 64 bits, base36. */
export function hash64(text: string): string {
  let a = 0x811c9dc5
  let b = 0x01000193 ^ 0x5bd1e995
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    a = Math.imul(a ^ unit, 0x01000193)
    b = Math.imul(b ^ unit, 0x01000193) ^ (b >>> 15)
  }
  return (a >>> 0).toString(36) + (b >>> 0).toString(36).padStart(7, '0')
}

/** The listing a cursor belongs to; compute it once per call with {@link cursorScope}. */
export type CursorScope = string & { readonly __cursorScope: true }

/** Hashes the parts that define a listing: who, filters, sort and order. */
export function cursorScope(parts: readonly unknown[]): CursorScope {
  return hash64(JSON.stringify(parts)) as CursorScope
}

function encodeKey(value: CursorPosition['value']): string {
  if (value === null) return 'n'
  if (value instanceof Date) return `d${value.getTime().toString(36)}`
  if (typeof value === 'number') return `p${value}`
  return `t${Buffer.from(value, 'utf8').toString('base64url')}`
}

/** Encodes a position as an opaque cursor bound to the listing's scope. */
export function encodeCursor(scope: CursorScope, { value, id }: CursorPosition): string {
  const body = `${PREFIX}.${scope}.${encodeKey(value)}.${id.toString(36)}`
  return `${body}.${hash64(body)}`
}

function invalid(): ValidationError {
  return new ValidationError([
    {
      path: ['query', 'cursor'],
      message: 'is not a cursor produced by this listing (same user, filters, sort and order)',
    },
  ])
}

/**
 * Decodes a cursor made by {@link encodeCursor} for the same scope.
 *
 * @throws {ValidationError} when the cursor is malformed, altered, or from another listing.
 */
export function decodeCursor(scope: CursorScope, sort: TaskSort, cursor: string): CursorPosition {
  const parts = cursor.split('.')
  if (parts.length !== 5 || parts[0] !== PREFIX || parts[1] !== scope) throw invalid()
  const [, , key, idText, check] = parts as [string, string, string, string, string]
  if (check !== hash64(cursor.slice(0, cursor.length - check.length - 1))) throw invalid()
  const id = /^[0-9a-z]{1,7}$/.test(idText) ? Number.parseInt(idText, 36) : Number.NaN
  if (!Number.isInteger(id) || id < 1 || id > MAX_INTEGER) throw invalid()
  return { value: decodeKey(sort, key), id }
}

function decodeKey(sort: TaskSort, key: string): Date | number | string | null {
  const kind = key[0]
  const rest = key.slice(1)
  switch (sort) {
    case 'createdAt':
    case 'updatedAt':
    case 'completedAt': {
      if (key === 'n' && sort === 'completedAt') return null
      const ms = kind === 'd' && /^-?[0-9a-z]{1,12}$/.test(rest) ? Number.parseInt(rest, 36) : Number.NaN
      const date = new Date(ms)
      // also bounds what reaches Postgres: a forged year -10000 would be rejected by the server
      if (Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1 || date.getUTCFullYear() > 9999) throw invalid()
      return date
    }
    case 'priority': {
      const priority = kind === 'p' && /^[1-5]$/.test(rest) ? Number(rest) : Number.NaN
      if (Number.isNaN(priority)) throw invalid()
      return priority
    }
    case 'title': {
      if (kind !== 't' || !/^[A-Za-z0-9_-]*$/.test(rest)) throw invalid()
      const title = Buffer.from(rest, 'base64url').toString('utf8')
      if (title.includes('\u0000') || !title.isWellFormed() || codePointLength(title) > 200) throw invalid()
      return title
    }
  }
}
