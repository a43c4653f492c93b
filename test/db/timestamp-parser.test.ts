import { createRequire } from 'node:module'
import { types as neonTypes } from '@neondatabase/serverless'
import fc from 'fast-check'
import pg from 'pg'
import { describe, expect, test } from 'vitest'
import type { GuardedPool } from '../../src/db/discard-broken-clients.js'
import { createNeonPool } from '../../src/db/neon-pool.js'
import { createPgPool } from '../../src/db/pg-pool.js'
import {
  parseTimestamptz,
  readTimestamptz,
  type TypeParsers,
  withFastTimestamps,
} from '../../src/db/timestamp-parser.js'
import { resolveTls } from '../../src/db/tls-config.js'
import { ConfigError } from '../../src/index.js'

// node-postgres's own timestamptz parser: what the fast path must agree with.
const parseLikeDriver = createRequire(import.meta.url)('postgres-date') as (text: string) => Date | number | null

const two = (value: number) => String(value).padStart(2, '0')

/** Formats an instant as Postgres prints a timestamptz under DateStyle ISO in a zone `offsetSeconds` east of UTC. */
function printLikePostgres(instant: number, offsetSeconds: number, fractionDigits: number): string {
  const local = new Date(instant + offsetSeconds * 1000)
  const year = local.getUTCFullYear()
  const date = `${String(year < 1 ? 1 - year : year).padStart(4, '0')}-${two(local.getUTCMonth() + 1)}-${two(local.getUTCDate())}`
  const time = `${two(local.getUTCHours())}:${two(local.getUTCMinutes())}:${two(local.getUTCSeconds())}`
  // Postgres prints microseconds without trailing zeros; here any 1–6 digits, padded from the milliseconds
  const fraction =
    fractionDigits === 0
      ? ''
      : `.${String(local.getUTCMilliseconds()).padStart(3, '0').padEnd(6, '7').slice(0, fractionDigits)}`
  const magnitude = Math.abs(offsetSeconds)
  const [hours, minutes, seconds] = [Math.floor(magnitude / 3600), Math.floor(magnitude / 60) % 60, magnitude % 60]
  const zone = `${offsetSeconds < 0 ? '-' : '+'}${two(hours)}${minutes || seconds ? `:${two(minutes)}` : ''}${seconds ? `:${two(seconds)}` : ''}`
  return `${date} ${time}${fraction}${zone}${year < 1 ? ' BC' : ''}`
}

const instants = fc.integer({ min: Date.UTC(100, 1, 1), max: Date.UTC(9999, 11, 30) })
const offsets = fc.oneof(
  fc.integer({ min: -15, max: 15 }).map((hours) => hours * 3600),
  fc.constantFrom(-12_600, 19_800, 20_700, 45_900, 1_172, -17_762),
  fc.integer({ min: -15 * 3600, max: 15 * 3600 }),
)

describe('parseTimestamptz', () => {
  test('reads every ISO timestamptz as the instant it names, truncated to the millisecond, like the driver', () => {
    fc.assert(
      fc.property(instants, offsets, fc.integer({ min: 0, max: 6 }), (instant, offset, fractionDigits) => {
        const text = printLikePostgres(instant, offset, fractionDigits)
        const parsed = parseTimestamptz(text)
        const millisecond = ((instant % 1000) + 1000) % 1000
        const dropped = 10 ** Math.max(0, 3 - fractionDigits)
        expect(parsed?.getTime()).toBe(instant - millisecond + Math.floor(millisecond / dropped) * dropped)
        expect(parsed).toEqual(parseLikeDriver(text))
      }),
      { numRuns: 5_000 },
    )
  })

  test.each([
    ['2026-11-23 07:30:00.125+05:30', '2026-11-23T02:00:00.125Z'],
    ['2026-11-23 07:30:00-03:30', '2026-11-23T11:00:00.000Z'],
    ['1835-01-01 00:00:00+00:19:32', '1834-12-31T23:40:28.000Z'],
    ['2026-11-23 07:30:00.123456+00', '2026-11-23T07:30:00.123Z'],
  ])('%s is %s', (text, iso) => {
    expect(parseTimestamptz(text)?.toISOString()).toBe(iso)
  })

  test.each([
    'infinity',
    '-infinity',
    '0044-03-15 12:00:00+00 BC',
    '0099-01-01 00:00:00+00',
    '12026-01-01 00:00:00+00',
    '2026-11-23 07:30:00',
    '2026-11-23T07:30:00+00',
    '2026-11-23 07:30:00.+00',
    '2026-11-23 07:30:00.1234567+00',
    '2026-11-23 07:30:00+0',
    '2026-11-23 07:30:00+05:3',
    '2026-11-23 07:30:00+05:30:',
    '2026-1a-23 07:30:00+00',
    'Mon 23 Nov 07:30:00 2026 UTC',
  ])('leaves %j to the driver', (text) => {
    expect(parseTimestamptz(text)).toBeUndefined()
  })
})

describe('readTimestamptz', () => {
  const everyInstant = fc.integer({ min: -210_866_803_200_000 + 86_400_000, max: 8.64e15 - 86_400_000 })

  test('reads every ISO timestamptz from 4714 BC to +275760 as the instant it names, like the driver', () => {
    fc.assert(
      fc.property(
        fc.oneof(everyInstant, instants),
        offsets,
        fc.integer({ min: 0, max: 6 }),
        (instant, offset, digits) => {
          const text = printLikePostgres(instant, offset, digits)
          const parsed = readTimestamptz(text) as Date
          const millisecond = ((instant % 1000) + 1000) % 1000
          const dropped = 10 ** Math.max(0, 3 - digits)
          expect(parsed.getTime(), text).toBe(instant - millisecond + Math.floor(millisecond / dropped) * dropped)
          expect(parsed, text).toEqual(parseLikeDriver(text))
        },
      ),
      { numRuns: 5_000 },
    )
  })

  test.each([
    ['0050-06-15 08:00:00.5+00', '0050-06-15T08:00:00.500Z'],
    ['0044-03-15 11:16:52-00:43:08 BC', '-000043-03-15T12:00:00.000Z'],
    ['0001-12-31 23:59:59.999+00 BC', '0000-12-31T23:59:59.999Z'],
    ['12026-01-02 03:04:05.678+00', '+012026-01-02T03:04:05.678Z'],
    ['1960-06-01 11:15:30.654-00:44:30', '1960-06-01T12:00:00.654Z'],
  ])('%s is %s', (text, iso) => {
    expect((readTimestamptz(text) as Date).toISOString()).toBe(iso)
  })

  test('reads the infinities as the driver does, and refuses text in another DateStyle', () => {
    expect(readTimestamptz('infinity')).toBe(Number.POSITIVE_INFINITY)
    expect(readTimestamptz('-infinity')).toBe(Number.NEGATIVE_INFINITY)
    for (const text of [
      '01/06/1960 11:15:30.654 MMT',
      '01.06.1960 11:15:30.654 MMT',
      'Wed Jun 01 11:15:30.654 1960 MMT',
    ]) {
      expect(() => readTimestamptz(text)).toThrow(ConfigError)
    }
  })
})

describe('withFastTimestamps', () => {
  const driver = {
    getTypeParser: (oid: number, format?: string) => (text: string) => `driver:${oid}:${format}:${text}`,
  }
  const types = withFastTimestamps(driver)

  test('reads ISO timestamptz text itself and hands anything else to the driver', () => {
    const parse = types.getTypeParser(1184, 'text')
    expect(parse('2026-11-23 07:30:00+00')).toEqual(new Date('2026-11-23T07:30:00Z'))
    expect(parse('infinity')).toBe('driver:1184:text:infinity')
  })

  test("text the driver's parser cannot read either (another DateStyle) is a ConfigError, never a null date", () => {
    const unreadable = withFastTimestamps({ getTypeParser: () => () => null })
    for (const text of ['27/11/2026 18:55:35.441 UTC', '27.11.2026 18:55:35.441 UTC', 'Fri Nov 27 18:55:35 2026 UTC']) {
      expect(() => unreadable.getTypeParser(1184, 'text')(text)).toThrow(ConfigError)
      expect(() => withFastTimestamps(pg.types).getTypeParser(1184, 'text')(text)).toThrow(/DateStyle/)
    }
    // other types the driver reads as null stay null
    expect(unreadable.getTypeParser(1114, 'text')('x')).toBeNull()
  })

  test("reads the last instants a Date holds in zones east of UTC, which the driver's parser makes invalid", () => {
    const parse = withFastTimestamps(pg.types).getTypeParser(1184, 'text')
    const LAST = 8.64e15
    for (const [text, ms] of [
      ['275760-09-13 05:45:00+05:45', LAST],
      ['275760-09-13 14:00:00+14', LAST],
      ['275760-09-13 04:59:59.999+05', LAST - 1],
      ['275760-09-13 12:45:00+12:45', LAST],
    ] as const) {
      expect(Number.isNaN((parseLikeDriver(text) as Date).getTime()), text).toBe(true)
      expect((parse(text) as Date).getTime(), text).toBe(ms)
    }
    // past the last instant a Date holds, it is invalid as before
    expect(Number.isNaN((parse('275760-09-13 05:45:01+05:45') as Date).getTime())).toBe(true)
  })

  test('leaves every other type, and binary timestamptz, to the driver', () => {
    expect(types.getTypeParser(1114, 'text')('x')).toBe('driver:1114:text:x')
    expect(types.getTypeParser(23)('7')).toBe('driver:23:text:7')
    expect(types.getTypeParser(1184, 'binary')('x')).toBe('driver:1184:binary:x')
  })
})

describe('the pools taskstore opens', () => {
  const settings = {
    tls: resolveTls('postgres://nobody@127.0.0.1:1/none'),
    pool: { max: 1, idleTimeoutMillis: 1_000, connectionTimeoutMillis: 1_000 },
    statementTimeoutMs: undefined,
  }
  const timestamptzParser = (pool: GuardedPool) =>
    (pool.driverPool as unknown as { options: { types: TypeParsers } }).options.types.getTypeParser(1184, 'text')

  // A host's own global registration for timestamptz: ISO text must not reach it, the rest must.
  const registries = {
    pg: { types: pg.types, open: () => createPgPool(settings) },
    neon: { types: neonTypes, open: () => createNeonPool({ ...settings, neon: { webSocketConstructor: class {} } }) },
  }

  test.each(Object.keys(registries) as (keyof typeof registries)[])(
    '%s reads ISO timestamptz text itself whatever the driver has registered, and hands it the rest',
    async (driver) => {
      const { types, open } = registries[driver]
      const registered = types.getTypeParser(1184, 'text')
      types.setTypeParser(1184, 'text', (text: string) => `host:${text}`)
      const pool = await open()
      try {
        const parse = timestamptzParser(pool)
        expect(parse('2026-11-23 07:30:00.125+05:30')).toEqual(new Date('2026-11-23T02:00:00.125Z'))
        expect(parse('infinity')).toBe('host:infinity')
      } finally {
        types.setTypeParser(1184, 'text', registered)
        await pool.end()
      }
    },
  )
})
