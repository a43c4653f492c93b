import { sql } from 'kysely'
import { expect, test } from 'vitest'
import { createDatabase, createTaskStore } from '../../src/index.js'
import { describeEachBackend } from '../support/backends.js'
import { storeFixture } from '../support/fixtures.js'

// Whole-hour, half-hour, 45-minute and negative offsets, daylight saving, and
// local mean time with second offsets (Amsterdam before 1835: +00:19:32).
const ZONES = [
  'UTC',
  'Asia/Kathmandu',
  'America/St_Johns',
  'Pacific/Chatham',
  'America/Los_Angeles',
  'Europe/Amsterdam',
]

interface Instant {
  at: Date | number
  text: string
  epochMs: string | null
}

describeEachBackend(
  'timestamptz values read back as the instants the server holds',
  (context) => {
    test.each(ZONES)('in time zone %s, from the year 1800 to 2100, to the millisecond', async (zone) => {
      const rows = await context()
        .db.transaction()
        .execute(async (trx) => {
          await sql`set local time zone ${sql.lit(zone)}`.execute(trx)
          const { rows } = await sql<Instant>`
            select at, at::text as text, floor(extract(epoch from at) * 1000)::bigint::text as "epochMs"
            from (select timestamptz '1800-01-01 00:00:00.123456+00'
                         + n * interval '3 years 41 days 5 hours 17 minutes 3.333 seconds' as at
                  from generate_series(0, 99) n
                  union all values (timestamptz '2026-03-08 10:30:00.5+00'), (timestamptz '2026-11-01 08:59:59.999+00')) instants`.execute(
            trx,
          )
          return rows
        })
      expect(rows).toHaveLength(102)
      for (const { at, text, epochMs } of rows) {
        expect({ text, ms: at instanceof Date ? at.getTime() : at }).toEqual({ text, ms: Number(epochMs) })
      }
    })

    test('infinity and BC dates still come back as the driver reads them', async () => {
      const { rows } = await sql<{ future: unknown; ancient: unknown }>`
        select timestamptz 'infinity' as future, timestamptz '0044-03-15 12:00:00+00 BC' as ancient`.execute(
        context().db,
      )
      expect(rows[0]!.future).toBe(Number.POSITIVE_INFINITY)
      expect((rows[0]!.ancient as Date).getUTCFullYear()).toBe(-43)
    })
  },
  // The pools taskstore opens for a connection string; PGlite and pg-mem read timestamps with parsers of their own.
  { only: ['postgres', 'pgbouncer', 'neon'] },
)

describeEachBackend(
  'tasks read on a connection set to another time zone',
  (context) => {
    test("a task's timestamps are the server's instants, outside a transaction too", async () => {
      const { schema } = context()
      const { alice } = await storeFixture(context().db)
      const url = new URL(process.env.TEST_DATABASE_URL!)
      url.searchParams.set('options', '-c TimeZone=Asia/Kathmandu')
      const db = createDatabase({ connectionString: url.toString(), schema })
      try {
        const task = await createTaskStore(db).createTask(alice.id, { title: 'Read in Kathmandu', completed: true })
        const { rows } = await sql<{ zone: string; created: string; completed: string }>`
          select current_setting('TimeZone') as zone,
                 floor(extract(epoch from created_at) * 1000)::bigint::text as created,
                 floor(extract(epoch from completed_at) * 1000)::bigint::text as completed
          from ${sql.id(schema, 'tasks')} where id = ${task.id}`.execute(db)
        expect(rows[0]!.zone).toBe('Asia/Kathmandu')
        expect(task.createdAt.getTime()).toBe(Number(rows[0]!.created))
        expect(task.completedAt!.getTime()).toBe(Number(rows[0]!.completed))
      } finally {
        await db.destroy()
      }
    })
  },
  { only: ['postgres'] },
)
