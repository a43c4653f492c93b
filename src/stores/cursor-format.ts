import { MAX_INTEGER } from '../validation/id-schemas.js'

/**
 * The layout of a task cursor, `v1.<scope>.<key>.<id>.<check>`, shared by
 * the encoder and by the length bound the query schemas check first, so
 * neither can outgrow the other.
 */
export const CURSOR_VERSION = 'v1'

/** Digits of the scope and of the checksum: 64-bit hashes in hex. */
export const HASH_DIGITS = 16

/** The first letter of a sort key says what it holds. */
export const KEY_KIND = { time: 'd', priority: 'p', title: 't', null: 'n' } as const

/** The longest UTF-8 encoding of one code point (one past U+FFFF): 4 bytes. */
const MAX_UTF8_BYTES_PER_CODE_POINT = 4

/** Characters of unpadded base64url for `bytes` bytes. */
function base64urlLength(bytes: number): number {
  return Math.ceil((bytes * 4) / 3)
}

/**
 * The longest cursor the encoder can make when titles hold at most
 * `maxTitleCodePoints` code points: the title key of the longest title in
 * 4-byte characters, or the longest time key, whichever is longer, with the
 * largest id. Every cursor the store makes fits, so every one is accepted back.
 *
 * @example
 * ```ts
 * maxCursorLength(200) // 1112
 * ```
 */
export function maxCursorLength(maxTitleCodePoints: number): number {
  const titleKey = 1 + base64urlLength(maxTitleCodePoints * MAX_UTF8_BYTES_PER_CODE_POINT)
  // epoch milliseconds of any Date
  const timeKey = 1 + String(-8_640_000_000_000_000).length
  const priorityKey = 2
  const key = Math.max(titleKey, timeKey, priorityKey)
  const id = MAX_INTEGER.toString(36).length
  return CURSOR_VERSION.length + 1 + HASH_DIGITS + 1 + key + 1 + id + 1 + HASH_DIGITS
}
