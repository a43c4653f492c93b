import { createHash } from 'node:crypto'
import { ValidationError } from '../errors/index.js'
import { codePointLength, MAX_INTEGER } from '../validation/index.js'
import type { TaskSort } from './task.js'

/** Where a listing stands: the last row's sort value and id. */
export interface CursorPosition {
  readonly value: Date | number | string | null
  readonly id: number
}

/** The listing a cursor belongs to: its scope, filters, sort and order. */
export type CursorScope = readonly unknown[]

const VERSION = 1

function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 16)
}

function scopeDigest(scope: CursorScope): string {
  return digest(JSON.stringify(['scope', ...scope]))
}

/** Encodes a position as an opaque cursor bound to the listing's scope. */
export function encodeCursor(scope: CursorScope, { value, id }: CursorPosition): string {
  const key = value instanceof Date ? value.toISOString() : value
  const body = JSON.stringify([VERSION, scopeDigest(scope), key, id])
  return Buffer.from(JSON.stringify([body, digest(`cursor:${body}`)])).toString('base64url')
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
  let body: unknown
  try {
    const [text, check] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown]
    if (typeof text !== 'string' || check !== digest(`cursor:${text}`)) throw invalid()
    body = JSON.parse(text)
  } catch {
    throw invalid()
  }
  if (!Array.isArray(body) || body.length !== 4) throw invalid()
  const [version, scopeHash, key, id] = body as unknown[]
  if (version !== VERSION || scopeHash !== scopeDigest(scope)) throw invalid()
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 1 || id > MAX_INTEGER) throw invalid()
  return { value: decodeSortValue(sort, key), id }
}

function decodeSortValue(sort: TaskSort, key: unknown): Date | number | string | null {
  switch (sort) {
    case 'createdAt':
    case 'updatedAt':
    case 'completedAt': {
      if (key === null && sort === 'completedAt') return null
      const date = typeof key === 'string' ? new Date(key) : null
      // also bounds what reaches Postgres: a forged year -10000 would be rejected by the server
      if (!date || Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1 || date.getUTCFullYear() > 9999) {
        throw invalid()
      }
      return date
    }
    case 'priority':
      if (typeof key !== 'number' || !Number.isInteger(key) || key < 1 || key > 5) throw invalid()
      return key
    case 'title':
      if (typeof key !== 'string' || key.includes('\u0000') || codePointLength(key) > 200) throw invalid()
      return key
  }
}
