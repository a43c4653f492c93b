import { MAX_INTEGER } from './id-schemas.js'

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

/** How a time key spells Postgres's `infinity` and `-infinity`. */
export const INFINITY_KEYS = { infinity: 'infinity', '-infinity': '-infinity' } as const

/** The first instant a `timestamptz` holds, 4714-11-24 00:00:00 UTC BC, in epoch milliseconds. */
export const EARLIEST_TIMESTAMPTZ_MS = -210_866_803_200_000

/** 0001-01-01 00:00:00 UTC: pg-mem reads no earlier time (no `BC`). */
export const YEAR_ONE_MS = -62_135_596_800_000

/** The last instant a JavaScript `Date` holds (+275760-09-13); Postgres goes on to 294276. */
export const LATEST_DATE_MS = 8_640_000_000_000_000

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
  const timeKey =
    1 +
    Math.max(String(EARLIEST_TIMESTAMPTZ_MS).length, String(LATEST_DATE_MS).length, INFINITY_KEYS['-infinity'].length)
  const priorityKey = 2
  const key = Math.max(titleKey, timeKey, priorityKey)
  const id = MAX_INTEGER.toString(36).length
  return CURSOR_VERSION.length + 1 + HASH_DIGITS + 1 + key + 1 + id + 1 + HASH_DIGITS
}
