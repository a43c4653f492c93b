import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import {
  cursorScope,
  decodeCursor,
  encodeCursor,
  hash64,
  PG_MEM_TIMES,
  POSTGRES_TIMES,
  positionParameter,
} from '../../src/stores/task-cursor.js'
import { maxCursorLength } from '../../src/validation/cursor-format.js'
import { MAX_CURSOR_LENGTH, MAX_INTEGER, parseTaskQuery, taskQuerySchema } from '../../src/validation/index.js'

// Strings of units that collide with the tags and lengths the hash feeds (1–6), so dropping either shows.
const unit = fc.constantFrom('a', 'b', '1', '\u0001', '\u0002', '\u0003', '\u0005', '\u0006')
const part = fc.oneof(
  fc.string({ maxLength: 6, unit }),
  fc.string({ maxLength: 6 }),
  fc.integer({ min: -5, max: 5 }),
  fc.boolean(),
  fc.constant(null),
)

describe('cursorScope', () => {
  test('different lists of parts get different scopes (no part can pose as its neighbours)', () => {
    fc.assert(
      fc.property(fc.array(part, { maxLength: 7 }), fc.array(part, { maxLength: 7 }), (left, right) => {
        fc.pre(JSON.stringify(left) !== JSON.stringify(right))
        expect(cursorScope(left)).not.toBe(cursorScope(right))
      }),
      { numRuns: 5_000 },
    )
    // the cases a plain concatenation would confuse
    expect(cursorScope(['ab', 'c'])).not.toBe(cursorScope(['a', 'bc']))
    expect(cursorScope(['1'])).not.toBe(cursorScope([1]))
    expect(cursorScope([''])).not.toBe(cursorScope([null]))
    expect(cursorScope(['a\u0001b'])).not.toBe(cursorScope(['a', 'b']))
  })
})

describe('encodeCursor and decodeCursor', () => {
  const scope = cursorScope(['user', 'someone', 'createdAt', 'desc', null, null, null])

  test('a position comes back as it went in, for any date a timestamptz and a Date both hold (4714 BC to 275760)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.date({ min: new Date(-210_866_803_200_000), max: new Date(8.64e15), noInvalidDate: true }),
          fc.date({
            min: new Date('1899-01-01T00:00:00Z'),
            max: new Date('2100-01-01T00:00:00Z'),
            noInvalidDate: true,
          }),
          fc.constantFrom(new Date(-210_866_803_200_000), new Date(8.64e15), new Date(-1), new Date(0)),
        ),
        fc.integer({ min: 1, max: 2_147_483_647 }),
        (value, id) => {
          expect(decodeCursor(scope, 'createdAt', encodeCursor(scope, { value, id }))).toEqual({ value, id })
        },
      ),
    )
  })

  test('a position comes back as it went in for every other sort key', () => {
    const positions = fc.oneof(
      fc.record({ sort: fc.constant('priority' as const), value: fc.integer({ min: 1, max: 5 }) }),
      fc.record({
        sort: fc.constant('title' as const),
        value: fc
          .string({ minLength: 1, maxLength: 200, unit: 'grapheme' })
          .filter((title) => [...title].length <= 200),
      }),
      fc.record({ sort: fc.constant('completedAt' as const), value: fc.constant(null) }),
    )
    fc.assert(
      fc.property(positions, fc.integer({ min: 1, max: 2_147_483_647 }), ({ sort, value }, id) => {
        expect(decodeCursor(scope, sort, encodeCursor(scope, { value, id }))).toEqual({ value, id })
      }),
    )
  })

  test('infinity and -infinity, which a timestamptz column can hold, come back too', () => {
    for (const value of [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const cursor = encodeCursor(scope, { value, id: 7 })
      expect(decodeCursor(scope, 'updatedAt', cursor)).toEqual({ value, id: 7 })
      // pg-mem cannot hold them, so a cursor for it never carries one
      expect(() => decodeCursor(scope, 'updatedAt', cursor, PG_MEM_TIMES)).toThrow(/not a cursor/)
    }
  })

  test('a time before 4714 BC (before year 1 on pg-mem) or past what a Date holds is refused', () => {
    const tooEarly = encodeCursor(scope, { value: new Date(-210_866_803_200_001), id: 1 })
    const bc = encodeCursor(scope, { value: new Date(Date.UTC(-43, 2, 15)), id: 1 })
    expect(() => decodeCursor(scope, 'createdAt', tooEarly)).toThrow(/not a cursor/)
    expect(decodeCursor(scope, 'createdAt', bc, POSTGRES_TIMES).value).toEqual(new Date(Date.UTC(-43, 2, 15)))
    expect(() => decodeCursor(scope, 'createdAt', bc, PG_MEM_TIMES)).toThrow(/not a cursor/)
    const forged = (key: string) => {
      const body = `v1.${scope}.${key}.1`
      return `${body}.${hash64(body)}`
    }
    expect(decodeCursor(scope, 'createdAt', forged('d8640000000000000')).value).toEqual(new Date(8.64e15))
    for (const key of ['d8640000000000001', 'd99999999999999999', 'd1.5', 'd', 'dNaN', 'dInfinity', 'p3', 'n']) {
      expect(() => decodeCursor(scope, 'createdAt', forged(key)), key).toThrow(/not a cursor/)
    }
  })

  test('a time is bound as UTC text, whatever the process time zone', () => {
    const position = (value: Date | number) => ({ value, id: 1 })
    expect(positionParameter(position(new Date('1960-06-01T12:00:00.654Z')), 'createdAt')).toBe(
      '1960-06-01 12:00:00.654+00',
    )
    expect(positionParameter(position(Number.NEGATIVE_INFINITY), 'completedAt')).toBe('-infinity')
    expect(positionParameter({ value: null, id: 1 }, 'completedAt')).toBeNull()
    expect(positionParameter(position(3), 'priority')).toBe(3)
  })

  test('hashes are 16 hex digits', () => {
    expect(hash64('')).toMatch(/^[0-9a-f]{16}$/)
    expect(hash64('taskstore')).toMatch(/^[0-9a-f]{16}$/)
    expect(hash64('a')).not.toBe(hash64('b'))
  })
})

describe('the cursor length bound', () => {
  const scope = cursorScope(['all', null, 'title', 'desc', true, 5, '%'.repeat(200)])
  const fourByteTitle = '\u{10ffff}'.repeat(200)

  test('is the length of the longest cursor the encoder makes: 200 four-byte characters and the largest id', () => {
    const worst = encodeCursor(scope, { value: fourByteTitle, id: MAX_INTEGER })
    expect(MAX_CURSOR_LENGTH).toBe(maxCursorLength(200))
    expect(worst.length).toBe(MAX_CURSOR_LENGTH)
    expect(encodeCursor(scope, { value: '\u{1f600}'.repeat(200), id: MAX_INTEGER }).length).toBe(MAX_CURSOR_LENGTH)
    // and the listing takes it back
    expect(taskQuerySchema.safeParse({ sort: 'title', cursor: worst }).success).toBe(true)
    expect(parseTaskQuery({ sort: 'title', cursor: worst }).cursor).toBe(worst)
    expect(decodeCursor(scope, 'title', worst)).toEqual({ value: fourByteTitle, id: MAX_INTEGER })
  })

  test('no title, time or id makes a cursor longer than the bound', () => {
    const titles = fc
      .string({
        minLength: 1,
        maxLength: 200,
        unit: fc.oneof(
          fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
          fc.constantFrom('%', '\\', '"', '\u2028'),
        ),
      })
      .filter((title) => title.isWellFormed() && !title.includes('\u0000'))
    const values = fc.oneof(
      titles,
      fc.date({ min: new Date(-210_866_803_200_000), max: new Date(8.64e15), noInvalidDate: true }),
      fc.constantFrom(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, null, 1, 5),
    )
    fc.assert(
      fc.property(values, fc.integer({ min: 1, max: MAX_INTEGER }), (value, id) => {
        expect(encodeCursor(scope, { value, id }).length).toBeLessThanOrEqual(MAX_CURSOR_LENGTH)
      }),
      { numRuns: 2_000 },
    )
  })

  test('a longer string is refused before it is decoded', () => {
    const huge = 'v1.'.padEnd(MAX_CURSOR_LENGTH + 1, 'A')
    expect(taskQuerySchema.safeParse({ cursor: huge }).success).toBe(false)
    expect(() => parseTaskQuery({ cursor: huge })).toThrow(/valid cursor/)
    expect(() => parseTaskQuery({ cursor: 'x'.repeat(10_000_000) })).toThrow(/valid cursor/)
  })
})
