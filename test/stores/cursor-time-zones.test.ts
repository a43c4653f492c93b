import { randomBytes } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import { afterEach, expect, test } from 'vitest'
import type { Database } from '../../src/index.js'
import { MAX_CURSOR_LENGTH } from '../../src/validation/index.js'
import { describeEachBackend } from '../support/backends.js'
import { runNode } from '../support/child-process.js'
import { storeFixture } from '../support/fixtures.js'
import { expectedTimeOrder, HISTORIC_TASKS, seedHistoricTasks } from '../support/historic-tasks.js'
import type { PagingReport, PagingRequest } from '../support/paging-child.js'

// Local mean time with second offsets (Monrovia -00:44:30 until 1972, and
// the 1900 offsets of the others), half- and 45-minute offsets, and UTC.
const ZONES = ['Africa/Monrovia', 'Asia/Kolkata', 'America/St_Johns', 'Pacific/Chatham', 'UTC']
const TIME_SORTS = new Set(['createdAt', 'updatedAt', 'completedAt'])

/** A login role whose sessions use `timeZone`, allowed to read the test's schema. */
async function roleInTimeZone(db: Kysely<Database>, schema: string, timeZone: string): Promise<string> {
  const role = `ts_tz_${randomBytes(5).toString('hex')}`
  await sql`create role ${sql.id(role)} login`.execute(db)
  await sql`alter role ${sql.id(role)} set timezone = ${sql.lit(timeZone)}`.execute(db)
  await sql`grant usage on schema ${sql.id(schema)} to ${sql.id(role)}`.execute(db)
  await sql`grant select on all tables in schema ${sql.id(schema)} to ${sql.id(role)}`.execute(db)
  return role
}

async function dropRole(db: Kysely<Database>, role: string): Promise<void> {
  await sql`drop owned by ${sql.id(role)}`.execute(db)
  await sql`drop role ${sql.id(role)}`.execute(db)
}

function asUser(connectionString: string, role: string): string {
  const url = new URL(connectionString)
  url.username = role
  url.password = ''
  return url.toString()
}

async function runPagingChild(request: PagingRequest, zone: string): Promise<PagingReport> {
  const result = await runNode(['--import', 'tsx', 'test/support/paging-child.ts', JSON.stringify(request)], {
    env: { ...process.env, TZ: zone },
    timeoutMs: 90_000,
  })
  expect(result.code, result.stderr).toBe(0)
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as PagingReport
}

describeEachBackend('cursors in every process time zone', (context) => {
  const roles: { db: Kysely<Database>; role: string }[] = []
  afterEach(async () => {
    for (const { db, role } of roles.splice(0)) await dropRole(db, role)
  })

  test.each(ZONES)(
    'with TZ=%s, tasks dated 1900, 1960 and 2024 to the microsecond page exactly, in every sort and order',
    async (zone) => {
      const { backend, db, schema, reach, admitRole } = context()
      let request: PagingRequest = { backend: backend === 'memory' ? 'memory' : 'embedded' }
      let seededIds: number[] | undefined
      // the server's session time zone is another odd one, set on a throwaway role as a host would
      const serverZone = ZONES[(ZONES.indexOf(zone) + 1) % ZONES.length]!
      if (reach) {
        const { alice } = await storeFixture(db)
        seededIds = await seedHistoricTasks(db, alice.id)
        const role = await roleInTimeZone(db, schema, serverZone)
        roles.push({ db, role })
        await admitRole!(role)
        request = {
          backend: 'server',
          reach: { ...reach, connectionString: asUser(reach.connectionString, role) },
          schema,
          userId: alice.id,
        }
      }

      const report = await runPagingChild(request, zone)

      // the child really ran in that zone, where 1960 had a seconds offset or not
      expect(report.zone).toBe(new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone)
      expect(report.localSecondsIn1960).toBe(zone === 'Africa/Monrovia' ? 30 : 0)
      if (reach) expect(report.serverTimeZone).toBe(serverZone)
      const ids = seededIds ?? report.ids
      expect(ids).toHaveLength(HISTORIC_TASKS.length)

      // every timestamp is the instant written, to the millisecond the columns keep
      const read = new Map(report.tasks.map((task) => [task.id, task]))
      const expectedTimes = HISTORIC_TASKS.map((task, index) => ({
        id: ids[index]!,
        createdAt: task.createdAt.ms,
        updatedAt: task.updatedAt.ms,
        completedAt: task.completedAt?.ms ?? null,
      }))
      expect(expectedTimes.map((task) => read.get(task.id))).toEqual(expectedTimes)

      expect(report.walks).toHaveLength(20)
      for (const walk of report.walks) {
        const key = `${walk.sort} ${walk.order}`
        const expected = TIME_SORTS.has(walk.sort)
          ? expectedTimeOrder(ids, walk.sort, walk.order)
          : report.ordered[key]!
        if (TIME_SORTS.has(walk.sort)) expect(report.ordered[key], `ORDER BY ${key}`).toEqual(expected)
        expect(walk.ids, `${key}, ${walk.limit} a page`).toEqual(expected)
        expect(walk.longestCursor).toBeLessThanOrEqual(MAX_CURSOR_LENGTH)
      }
    },
    120_000,
  )
})
