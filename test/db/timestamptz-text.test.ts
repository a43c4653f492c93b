import fc from 'fast-check'
import { sql } from 'kysely'
import { describe, expect, test } from 'vitest'
import { timestamptzText } from '../../src/db/timestamptz-text.js'
import { describeEachBackend } from '../support/backends.js'

// From the first instant a timestamptz holds (4714 BC) to the last a Date holds (+275760).
const EARLIEST = -210_866_803_200_000
const LATEST = 8.64e15

describe('timestamptzText', () => {
  test.each([
    [new Date('1960-06-01T12:00:00.654Z'), '1960-06-01 12:00:00.654+00'],
    [new Date('2024-02-29T23:59:59.999Z'), '2024-02-29 23:59:59.999+00'],
    [new Date('0001-01-01T00:00:00.000Z'), '0001-01-01 00:00:00.000+00'],
    [new Date('0000-12-31T23:59:59.999Z'), '0001-12-31 23:59:59.999+00 BC'],
    [new Date(Date.UTC(-43, 2, 15, 12)), '0044-03-15 12:00:00.000+00 BC'],
    [new Date(EARLIEST), '4714-11-24 00:00:00.000+00 BC'],
    [new Date('+012026-01-02T03:04:05.678Z'), '12026-01-02 03:04:05.678+00'],
    [new Date(LATEST), '275760-09-13 00:00:00.000+00'],
    [Number.POSITIVE_INFINITY, 'infinity'],
    [Number.NEGATIVE_INFINITY, '-infinity'],
  ])('%o is %s', (value, text) => {
    expect(timestamptzText(value)).toBe(text)
  })

  test('an invalid Date is refused', () => {
    expect(() => timestamptzText(new Date(Number.NaN))).toThrow(RangeError)
  })
})

const STYLES = ['ISO, MDY', 'SQL, DMY', 'German', 'Postgres, MDY', 'ISO, YMD']
const ZONES = ['UTC', 'Africa/Monrovia', 'Asia/Kolkata', 'America/St_Johns', 'Pacific/Chatham', 'Europe/Amsterdam']

describeEachBackend(
  'Postgres reads timestamptzText as the same instant',
  (context) => {
    test('for any instant from 4714 BC to 275760, under every DateStyle and TimeZone', async () => {
      const instants = fc.sample(
        fc.oneof(
          fc.integer({ min: EARLIEST, max: LATEST }),
          fc.integer({ min: Date.UTC(1850, 0), max: Date.UTC(2100, 0) }),
          fc.constantFrom(EARLIEST, LATEST, -62_135_596_800_000, -62_135_596_800_001, 0, -1),
        ),
        { numRuns: 150, seed: 20261127 },
      )
      for (const [index, style] of STYLES.entries()) {
        const zone = ZONES[index % ZONES.length]!
        const read = await context()
          .db.transaction()
          .execute(async (trx) => {
            await sql`set local datestyle = ${sql.lit(style)}`.execute(trx)
            await sql`set local time zone ${sql.lit(zone)}`.execute(trx)
            const rows = instants.map((ms) => sql`(${timestamptzText(new Date(ms))}::text)`)
            const { rows: epochs } = await sql<{ ms: string }>`
              select ((extract(epoch from t::timestamptz) * 1000)::bigint)::text as ms
              from (values ${sql.join(rows)}) as given(t)`.execute(trx)
            return epochs.map((row) => Number(row.ms))
          })
        expect(read, `${style} in ${zone}`).toEqual(instants)
      }
    })
  },
  { only: ['embedded', 'postgres'] },
)
