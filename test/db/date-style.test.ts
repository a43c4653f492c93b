import { randomBytes } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  ConfigError,
  createDatabase,
  createTaskStore,
  createUserStore,
  type Database,
  type DatabaseOptions,
  migrateToLatest,
} from '../../src/index.js'
import { TEST_SCRYPT } from '../support/fixtures.js'
import { HISTORIC_TASKS, seedHistoricTasks } from '../support/historic-tasks.js'
import { type NeonRelay, startNeonRelay } from '../support/neon-relay.js'
import { type PgBouncer, pgbouncerUnavailableReason, startPgBouncer } from '../support/pgbouncer.js'

const SERVER_URL = process.env.TEST_DATABASE_URL
const PATHS = ['direct', 'pgbouncer', 'neon'] as const
type Path = (typeof PATHS)[number]
const STYLES = ['SQL, DMY', 'German, DMY', 'Postgres, MDY', 'SQL, MDY'] as const
const LEVELS = ['database', 'role'] as const

const rename = (url: string, change: (url: URL) => void) => {
  const next = new URL(url)
  change(next)
  return next.toString()
}

// A database and roles of its own, so no setting here reaches another test.
describe.skipIf(!SERVER_URL)('timestamps whatever the DateStyle and TimeZone set on the database or role', () => {
  const database = `ts_datestyle_${randomBytes(4).toString('hex')}`
  const databaseUrl = rename(SERVER_URL ?? 'postgres://x@127.0.0.1/x', (url) => {
    url.pathname = `/${database}`
  })
  const roles: string[] = []
  let admin: Kysely<Database>
  let owner: Kysely<Database>
  let bouncer: PgBouncer | undefined
  let relay: NeonRelay
  let userId: string
  /** Each task's id and its instants as epoch milliseconds, read by the server itself. */
  let truth: { id: number; createdAt: number; updatedAt: number; completedAt: number | null }[]

  beforeAll(async () => {
    admin = createDatabase({ connectionString: SERVER_URL })
    await sql`create database ${sql.id(database)}`.execute(admin)
    // and every session in it runs in a zone whose 1900 and 1960 offsets carry seconds
    await sql`alter database ${sql.id(database)} set timezone = 'Africa/Monrovia'`.execute(admin)
    owner = createDatabase({ connectionString: databaseUrl })
    await migrateToLatest(owner)
    const user = await createUserStore(owner, { scrypt: TEST_SCRYPT }).createUser({ email: 'styles@example.com' })
    userId = user.id
    await seedHistoricTasks(owner, userId)
    const epochMs = (column: string) => sql<number>`(extract(epoch from ${sql.ref(column)}) * 1000)::float8`
    truth = await owner
      .selectFrom('tasks')
      .select([
        'id',
        epochMs('created_at').as('createdAt'),
        epochMs('updated_at').as('updatedAt'),
        epochMs('completed_at').as('completedAt'),
      ])
      .orderBy('created_at')
      .orderBy('id')
      .execute()
    if (!pgbouncerUnavailableReason()) bouncer = await startPgBouncer(databaseUrl)
    relay = await startNeonRelay()
  })

  afterAll(async () => {
    await owner?.destroy()
    await bouncer?.stop()
    await relay?.close()
    if (admin) {
      await sql`drop database if exists ${sql.id(database)} with (force)`.execute(admin)
      for (const role of roles) await sql`drop role if exists ${sql.id(role)}`.execute(admin)
      await admin.destroy()
    }
  })

  /** A fresh login role that may read the tasks: a new PgBouncer pool, and settings of its own. */
  async function freshRole(): Promise<string> {
    const role = `ts_ds_${randomBytes(5).toString('hex')}`
    roles.push(role)
    await sql`create role ${sql.id(role)} login`.execute(admin)
    await sql`grant usage on schema public to ${sql.id(role)}`.execute(owner)
    await sql`grant select on all tables in schema public to ${sql.id(role)}`.execute(owner)
    await bouncer?.admitUser(role)
    return role
  }

  function open(path: Path, role: string): Kysely<Database> {
    const asRole = (url: string) => rename(url, (next) => (next.username = role))
    const options: DatabaseOptions =
      path === 'direct'
        ? { connectionString: asRole(databaseUrl) }
        : path === 'pgbouncer'
          ? { connectionString: asRole(bouncer!.url) }
          : { driver: 'neon', connectionString: asRole(databaseUrl), neon: relay.settings }
    return createDatabase({ ...options, retry: { attempts: 1 } })
  }

  /** Every task, paged one at a time oldest first: each timestamp must be the instant the server holds. */
  async function expectExactDates(db: Kysely<Database>): Promise<void> {
    const tasks = createTaskStore(db)
    const seen = []
    let cursor: string | undefined
    for (let page = 0; page <= HISTORIC_TASKS.length; page++) {
      const result = await tasks.getTasks(userId, { sort: 'createdAt', order: 'asc', limit: 1, cursor })
      seen.push(...result.items)
      if (!result.nextCursor) break
      cursor = result.nextCursor
    }
    expect(
      seen.map((task) => ({
        id: task.id,
        createdAt: task.createdAt.getTime(),
        updatedAt: task.updatedAt.getTime(),
        completedAt: task.completedAt?.getTime() ?? null,
      })),
    ).toEqual(truth)
  }

  for (const path of PATHS) {
    const skip = path === 'pgbouncer' && pgbouncerUnavailableReason()
    describe.skipIf(!!skip)(`${path}`, () => {
      test.each(LEVELS.flatMap((level) => STYLES.map((style) => [level, style] as const)))(
        'DateStyle %s-level "%s" is a ConfigError at connect naming the setting, and its fix gives exact Dates',
        async (level, style) => {
          const role = await freshRole()
          if (level === 'database') {
            await sql`alter database ${sql.id(database)} set datestyle = ${sql.lit(style)}`.execute(admin)
          } else {
            await sql`alter role ${sql.id(role)} in database ${sql.id(database)} set datestyle = ${sql.lit(style)}`.execute(
              admin,
            )
          }
          try {
            const refused = open(path, role)
            try {
              const error = await createTaskStore(refused)
                .getTasks(userId)
                .catch((caught: unknown) => caught)
              expect(error).toBeInstanceOf(ConfigError)
              const message = (error as Error).message
              expect(message).toContain(`DateStyle is "${style}"`)
              const order = style.split(', ')[1]
              const fix = `ALTER ROLE "${role}" IN DATABASE "${database}" SET DateStyle = 'ISO, ${order}';`
              expect(message).toContain(fix)

              // the statement the message gives is the fix
              await sql.raw(fix).execute(admin)
              await bouncer?.reconnect()
            } finally {
              await refused.destroy()
            }
            const fixed = open(path, role)
            try {
              await expectExactDates(fixed)
              const { rows } = await sql<{ style: string; zone: string }>`
                select current_setting('DateStyle') as style, current_setting('TimeZone') as zone`.execute(fixed)
              expect(rows[0]).toEqual({ style: `ISO, ${style.split(', ')[1]}`, zone: 'Africa/Monrovia' })
            } finally {
              await fixed.destroy()
            }
          } finally {
            await sql`alter database ${sql.id(database)} reset datestyle`.execute(admin)
          }
        },
      )

      test('a DateStyle changed on a session after it connected fails the read with a ConfigError, never a null date', async () => {
        const role = await freshRole()
        const db = open(path, role)
        try {
          await expectExactDates(db)
          const error = await db
            .transaction()
            .execute(async (trx) => {
              await sql`set local datestyle = 'SQL, DMY'`.execute(trx)
              return createTaskStore(trx).getTasks(userId)
            })
            .catch((caught: unknown) => caught)
          expect(error).toBeInstanceOf(ConfigError)
          expect((error as Error).message).toContain('DateStyle')
          // the session is ISO again after the transaction, and reads as before
          await expectExactDates(db)
        } finally {
          await db.destroy()
        }
      })
    })
  }
})
