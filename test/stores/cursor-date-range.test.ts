import { type Kysely, sql } from 'kysely'
import { describe, expect, test } from 'vitest'
import { createTaskStore, type Database, type Task, type TaskSort } from '../../src/index.js'
import { createEmbeddedDatabase } from '../../src/testing/index.js'
import { MAX_CURSOR_LENGTH } from '../../src/validation/index.js'
import { describeEachBackend } from '../support/backends.js'
import { storeFixture } from '../support/fixtures.js'
import { expectedTimeOrder, type Instant, seedHistoricTasks, tasksDatedAt } from '../support/historic-tasks.js'

/** Epoch milliseconds of a UTC date; `year` 0 is 1 BC, and years 0–99 are not moved to the 1900s. */
function utc(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): number {
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  date.setUTCHours(hour, minute, second, ms)
  return date.getTime()
}

// From the first instant a timestamptz holds to the last a Date holds, and the infinities.
const EXTREMES: Instant[] = [
  { text: '4714-11-24 00:00:00+00 BC', ms: utc(-4713, 11, 24) },
  { text: '0044-03-15 12:00:00.123456+00 BC', ms: utc(-43, 3, 15, 12, 0, 0, 123) },
  { text: '0044-03-15 12:00:00.123+00 BC', ms: utc(-43, 3, 15, 12, 0, 0, 123) },
  { text: '0001-12-31 23:59:59.999+00 BC', ms: utc(0, 12, 31, 23, 59, 59, 999) },
  { text: '0001-01-01 00:00:00+00', ms: utc(1, 1, 1) },
  { text: '0050-06-15 08:00:00.5+00', ms: utc(50, 6, 15, 8, 0, 0, 500) },
  { text: '0099-12-31 23:59:59.999+00', ms: utc(99, 12, 31, 23, 59, 59, 999) },
  { text: '9999-12-31 23:59:59.999+00', ms: utc(9999, 12, 31, 23, 59, 59, 999) },
  { text: '12026-01-02 03:04:05.678+00', ms: utc(12026, 1, 2, 3, 4, 5, 678) },
  { text: '275760-09-13 00:00:00+00', ms: 8.64e15 },
  { text: 'infinity', ms: Number.POSITIVE_INFINITY },
  { text: '-infinity', ms: Number.NEGATIVE_INFINITY },
]
// pg-mem reads neither BC dates nor the infinities
const PG_MEM_EXTREMES = EXTREMES.filter(({ text, ms }) => Number.isFinite(ms) && !text.endsWith('BC'))

const TIME_SORTS: readonly TaskSort[] = ['createdAt', 'updatedAt', 'completedAt']
const time = (value: Date | number | null) => (value instanceof Date ? value.getTime() : value)

/** Seeds tasks at the extremes, checks every timestamp read back, and pages every time sort both ways. */
async function expectExactPaging(db: Kysely<Database>, userId: string, instants: readonly Instant[]) {
  const seeded = tasksDatedAt(instants)
  const ids = await seedHistoricTasks(db, userId, seeded)
  const tasks = createTaskStore(db)
  const read = new Map((await tasks.getTasks(userId, { limit: 100 })).items.map((task) => [task.id, task]))
  expect(
    ids.map((id) => {
      const task = read.get(id)!
      return [time(task.createdAt), time(task.updatedAt), time(task.completedAt)]
    }),
  ).toEqual(seeded.map((task) => [task.createdAt.ms, task.updatedAt.ms, task.completedAt?.ms ?? null]))

  for (const sort of TIME_SORTS) {
    for (const order of ['asc', 'desc'] as const) {
      for (const limit of [1, 3]) {
        const seen: Task[] = []
        let cursor: string | undefined
        for (let page = 0; page <= ids.length; page++) {
          const result = await tasks.getTasks(userId, { sort, order, limit, cursor })
          seen.push(...result.items)
          if (!result.nextCursor) break
          cursor = result.nextCursor
          expect(cursor.length).toBeLessThanOrEqual(MAX_CURSOR_LENGTH)
        }
        expect(
          seen.map((task) => task.id),
          `${sort} ${order}, ${limit} a page`,
        ).toEqual(expectedTimeOrder(ids, sort, order, seeded))
      }
    }
  }
}

describeEachBackend(
  'cursors at the ends of the timestamptz range',
  (context) => {
    test('tasks dated from 4714 BC to +275760, and at ±infinity, page exactly in every time sort', async () => {
      const { db, alice } = await storeFixture(context().db)
      await expectExactPaging(db, alice.id, context().backend === 'memory' ? PG_MEM_EXTREMES : EXTREMES)
    })
  },
  // PGlite under a host's own dialect reads timestamps with its own parser; createEmbeddedDatabase is tested below
  { only: ['memory', 'postgres', 'pgbouncer', 'neon'] },
)

describe('createEmbeddedDatabase', () => {
  test('reads every date PGlite stores exactly, in a session time zone with second offsets, and pages on it', async () => {
    const db = await createEmbeddedDatabase()
    try {
      // PGlite is one session: the setting holds for every statement after it
      await sql`set time zone 'Africa/Monrovia'`.execute(db)
      const { alice } = await storeFixture(db)
      await expectExactPaging(db, alice.id, EXTREMES)
      const { rows } = await sql<{ text: string }>`select timestamptz '1960-06-01 12:00:00+00'::text as text`.execute(
        db,
      )
      expect(rows[0]!.text).toBe('1960-06-01 11:15:30-00:44:30')
    } finally {
      await db.destroy()
    }
  })
})

describeEachBackend(
  'the timestamp columns a cursor resumes on',
  (context) => {
    // a cursor carries a time as a Date, to the millisecond: exact only while the columns keep no more
    test('keep milliseconds (timestamptz(3)), so the Date a cursor carries is the exact value', async () => {
      const { rows } = await sql<{ column: string; precision: number }>`
        select column_name as column, datetime_precision as precision
        from information_schema.columns
        where table_schema = ${context().schema} and table_name = 'tasks' and data_type like 'timestamp%'
        order by column_name`.execute(context().db)
      expect(rows).toEqual([
        { column: 'completed_at', precision: 3 },
        { column: 'created_at', precision: 3 },
        { column: 'updated_at', precision: 3 },
      ])
    })
  },
  { only: ['embedded', 'postgres'] },
)
