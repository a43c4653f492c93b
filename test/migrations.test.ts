import { type Kysely, sql } from 'kysely'
import { afterEach, describe, expect, test } from 'vitest'
import { MIGRATIONS, type TaskstoreMigration } from '../migrations/index.js'
import {
  ConfigError,
  createDatabase,
  MigrationError,
  migrateDown,
  migrateToLatest,
  migrationStatus,
} from '../src/index.js'
import { runMigrations } from '../src/migrator.js'
import { createMemoryDialect } from '../src/testing/memory-database.js'
import { describeEachBackend, type TestContext, uniqueSchema } from './support/backends.js'
import { startTsxChild } from './support/child-process.js'

const SHIPPED = MIGRATIONS.map(([name]) => name)
const STORE_TABLES = ['tasks', 'taskstore_migration', 'taskstore_migration_lock', 'users']

// pg-mem's catalogs (information_schema, pg_namespace) are empty; its dialect's introspection reads pg-mem itself.
async function isMemory(db: Kysely<any>): Promise<boolean> {
  return db.getExecutor().adapter.constructor.name === 'MemoryAdapter'
}

/** Base tables of a schema, by name. */
async function tablesIn(db: Kysely<any>, schema: string): Promise<string[]> {
  if (await isMemory(db)) {
    const tables = await db.introspection.getTables({ withInternalKyselyTables: true })
    return tables
      .filter((table) => table.schema === schema)
      .map((table) => table.name)
      .sort()
  }
  const { rows } = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = ${schema}`.execute(db)
  return rows.map((row) => row.table_name).sort()
}

async function schemaExists(db: Kysely<any>, schema: string): Promise<boolean> {
  if (await isMemory(db)) return (await db.introspection.getSchemas()).some((found) => found.name === schema)
  const { rows } = await sql<{
    n: number
  }>`select count(*)::int as n from pg_namespace where nspname = ${schema}`.execute(db)
  return Number(rows[0]?.n) > 0
}

async function triggersOn(db: Kysely<any>, schema: string): Promise<string[]> {
  // pg-mem has no triggers: the stores move updated_at themselves there.
  if (await isMemory(db)) return []
  const { rows } = await sql<{ tgname: string }>`
    select t.tgname from pg_trigger t
    join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = ${schema} and not t.tgisinternal order by t.tgname`.execute(db)
  return rows.map((row) => row.tgname)
}

/** A step that creates a table and then fails on a SQL error. */
const BROKEN_STEP: TaskstoreMigration = {
  description: 'fails on purpose, after changing something',
  async up(db) {
    await db.schema.createTable('half_done').addColumn('id', 'integer').execute()
    await sql`select * from ${sql.id('no_such_table')}`.execute(db)
  },
  async down() {},
}
const WITH_BROKEN_STEP = [...MIGRATIONS, ['0099_broken', BROKEN_STEP] as const]

// Schemas a test creates besides the harness's own; dropped after each test.
const extraSchemas: Array<{ db: Kysely<any>; schema: string }> = []
afterEach(async () => {
  for (const { db, schema } of extraSchemas.splice(0)) {
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db)
  }
})
/**
 * Runs `use` on a database whose public schema is free for the test to
 * fill: a new database on the server (dropped afterwards), or the test file's
 * own PGlite instance.
 */
async function withHostDatabase(context: TestContext, use: (db: Kysely<any>) => Promise<void>): Promise<void> {
  if (context.backend === 'memory') {
    // The harness's memory database keeps the store in public: the host gets a memory database of its own.
    const db = createDatabase({ dialect: await createMemoryDialect() })
    try {
      return await use(db)
    } finally {
      await db.destroy()
    }
  }
  if (context.backend !== 'postgres') {
    try {
      return await use(context.db)
    } finally {
      await sql`drop table if exists public.users`.execute(context.db)
    }
  }
  const name = uniqueSchema('host_db')
  await sql`create database ${sql.id(name)}`.execute(context.db)
  const url = new URL(process.env.TEST_DATABASE_URL as string)
  url.pathname = `/${name}`
  const db = createDatabase({ connectionString: url.toString(), pool: { max: 1 } })
  try {
    await use(db)
  } finally {
    await db.destroy()
    await sql`drop database ${sql.id(name)}`.execute(context.db)
  }
}

function freshSchema(db: Kysely<any>): string {
  const schema = uniqueSchema('m')
  extraSchemas.push({ db, schema })
  return schema
}

// Grouped by the backends a test needs, so each group opens its databases once.
describeEachBackend('migrations', (context) => {
  describe('migrateToLatest', () => {
    test('running it again applies nothing and leaves every recorded date as it was', async () => {
      const { db } = context()
      const before = await migrationStatus(db)
      expect(await migrateToLatest(db)).toEqual({ applied: [] })
      expect(await migrateToLatest(db)).toEqual({ applied: [] })
      expect(await migrationStatus(db)).toEqual(before)
    })
  })

  describe('migrationStatus', () => {
    test('lists every shipped migration in order with the date it ran', async () => {
      const { db } = context()
      const status = await migrationStatus(db)
      expect(status.map((step) => step.name)).toEqual(SHIPPED)
      const times = status.map((step) => step.executedAt?.getTime() ?? Number.NaN)
      for (const time of times) expect(Math.abs(Date.now() - time)).toBeLessThan(10 * 60_000)
      expect([...times].sort((a, b) => a - b)).toEqual(times)
    })

    test('shows a step undone by migrateDown as pending', async () => {
      const { db } = context()
      await migrateDown(db)
      const status = await migrationStatus(db)
      expect(status.map((step) => step.executedAt === null)).toEqual(SHIPPED.map((_, at) => at === SHIPPED.length - 1))
    })

    test('migrateDown in a schema that was never migrated changes nothing, and does not create it', async () => {
      const { db } = context()
      const schema = uniqueSchema('never')
      expect(await migrateDown(db, { schema })).toEqual({ applied: [] })
      expect(await schemaExists(db, schema)).toBe(false)
    })

    test('shows every step as pending in a schema that was never migrated', async () => {
      const { db } = context()
      const status = await migrationStatus(db, { schema: uniqueSchema('never') })
      expect(status).toEqual(SHIPPED.map((name) => ({ name, executedAt: null })))
    })
  })

  describe('migrateToLatest on a schema migrated by another version', () => {
    test('refuses to run when the schema records a step this version does not ship', async () => {
      const { db, schema } = context()
      await sql`insert into ${sql.id(schema, 'taskstore_migration')} (name, timestamp)
        values ('9999_from_a_newer_version', ${new Date().toISOString()})`.execute(db)
      const failure = await runMigrations(db, 'latest', {}, WITH_BROKEN_STEP).catch((error) => error)
      expect(failure).toBeInstanceOf(MigrationError)
      expect(failure.migrationName).toBe('9999_from_a_newer_version')
      expect(failure.message).toMatch(/Upgrade taskstore/)
      expect(await tablesIn(db, schema)).not.toContain('half_done')
    })
  })

  describe('the schema option', () => {
    test('a name that is not a plain identifier is a ConfigError, before any SQL runs', async () => {
      const { db } = context()
      for (const run of [migrateToLatest, migrateDown, migrationStatus]) {
        await expect(run(db, { schema: 'x"; drop schema public cascade; --' })).rejects.toBeInstanceOf(ConfigError)
      }
    })
  })

  describe('a failing migration', () => {
    test('throws MigrationError naming the step', async () => {
      const failure = await runMigrations(context().db, 'latest', {}, WITH_BROKEN_STEP).catch((error) => error)
      expect(failure).toBeInstanceOf(MigrationError)
      expect(failure.migrationName).toBe('0099_broken')
    })
  })
})

describeEachBackend(
  'migrations on Postgres',
  (context) => {
    describe('migrateToLatest into a schema', () => {
      test('creates a missing schema and applies every step into it, in order', async () => {
        const { db } = context()
        const schema = freshSchema(db)
        expect(await schemaExists(db, schema)).toBe(false)
        expect(await migrateToLatest(db, { schema })).toEqual({ applied: SHIPPED })
        expect(await tablesIn(db, schema)).toEqual(expect.arrayContaining(STORE_TABLES))
      })

      test("puts the tables beside a host's own public.users table and leaves that table untouched", async () => {
        await withHostDatabase(context(), async (db) => {
          await sql`create table public.users (id serial primary key, login text not null)`.execute(db)
          await sql`insert into public.users (login) values ('ada'), ('grace')`.execute(db)
          const schema = uniqueSchema('store')
          await migrateToLatest(db, { schema })
          await sql`insert into ${sql.id(schema, 'users')} (id, email) values ('u1', 'ada@example.com')`.execute(db)

          const hostRows = await sql<{
            id: number
            login: string
          }>`select id, login from public.users order by id`.execute(db)
          expect(hostRows.rows).toEqual([
            { id: 1, login: 'ada' },
            { id: 2, login: 'grace' },
          ])
          // The columns of the host's rows (pg-mem's information_schema.columns ignores the schema, and orders columns its own way).
          const hostRow = await sql<Record<string, unknown>>`select * from public.users order by id limit 1`.execute(db)
          expect(Object.keys(hostRow.rows[0] ?? {}).sort()).toEqual(['id', 'login'])
          expect(await tablesIn(db, 'public')).toEqual(['users'])
          expect(await tablesIn(db, schema)).toEqual(expect.arrayContaining(STORE_TABLES))
        })
      })

      test('defaults to the schema the database is scoped to with withSchema', async () => {
        const { db } = context()
        const schema = freshSchema(db)
        expect(await migrateToLatest(db.withSchema(schema))).toEqual({ applied: SHIPPED })
        expect(await tablesIn(db, schema)).toContain('tasks')
        const status = await migrationStatus(db.withSchema(schema))
        expect(status.every((step) => step.executedAt instanceof Date)).toBe(true)
      })
    })

    describe('migrateToLatest inside a transaction', () => {
      test("becomes part of the host's transaction: rolled back with it, kept when it commits", async () => {
        const { db } = context()
        const schema = freshSchema(db)
        await db
          .transaction()
          .execute(async (trx) => {
            expect(await migrateToLatest(trx, { schema })).toEqual({ applied: SHIPPED })
            throw new Error('the host changes its mind')
          })
          .catch(() => {})
        expect(await schemaExists(db, schema)).toBe(false)

        await db.transaction().execute((trx) => migrateToLatest(trx, { schema }))
        expect((await migrationStatus(db, { schema })).every((step) => step.executedAt !== null)).toBe(true)
      })
    })

    describe('migrateDown', () => {
      test('undoes one step per call, newest first, and migrating up again rebuilds everything', async () => {
        const { db, schema } = context()
        const tablesBefore = await tablesIn(db, schema)
        const triggersBefore = await triggersOn(db, schema)
        if (context().backend !== 'memory') {
          expect(triggersBefore).toEqual(expect.arrayContaining(['tasks_touch_updated_at', 'users_touch_updated_at']))
        }

        for (const [index, name] of [...SHIPPED.entries()].reverse()) {
          expect(await migrateDown(db)).toEqual({ applied: [name] })
          const status = await migrationStatus(db)
          expect(status.map((step) => step.executedAt !== null)).toEqual(SHIPPED.map((_, at) => at < index))
          if (name === '0003_touch_updated_at') expect(await triggersOn(db, schema)).toEqual([])
          if (name === '0002_create_tasks') expect(await tablesIn(db, schema)).not.toContain('tasks')
        }
        expect(await tablesIn(db, schema)).toEqual(['taskstore_migration', 'taskstore_migration_lock'])
        expect(await migrateDown(db)).toEqual({ applied: [] })

        expect(await migrateToLatest(db)).toEqual({ applied: SHIPPED })
        expect(await tablesIn(db, schema)).toEqual(tablesBefore)
        expect(await triggersOn(db, schema)).toEqual(triggersBefore)
        await db.insertInto('users').values({ id: 'u1', email: 'ada@example.com' }).execute()
        await db.insertInto('tasks').values({ user_id: 'u1', title: 'works again' }).execute()
        expect(await db.selectFrom('tasks').select('title').execute()).toEqual([{ title: 'works again' }])
      })
    })

    describe('a failing migration', () => {
      test('throws MigrationError naming the step, and a fresh schema is left without any of the run', async () => {
        const { db } = context()
        const schema = freshSchema(db)
        const failure = await runMigrations(db, 'latest', { schema }, WITH_BROKEN_STEP).catch((error) => error)
        expect(failure).toBeInstanceOf(MigrationError)
        expect(failure.migrationName).toBe('0099_broken')
        expect(failure.message).toContain('0099_broken')
        expect(failure.message).toContain('no_such_table')
        expect(failure.cause).toBeDefined()
        expect(await schemaExists(db, schema)).toBe(false)
      })

      test('on a migrated schema, undoes what the failing step did and keeps the earlier steps', async () => {
        const { db, schema } = context()
        const before = await migrationStatus(db)
        const failure = await runMigrations(db, 'latest', {}, WITH_BROKEN_STEP).catch((error) => error)
        expect(failure).toBeInstanceOf(MigrationError)
        expect(await tablesIn(db, schema)).not.toContain('half_done')
        expect(await migrationStatus(db)).toEqual(before)
        const recorded = await sql<{ name: string }>`
          select name from ${sql.id(schema, 'taskstore_migration')} order by name`.execute(db)
        expect(recorded.rows.map((row) => row.name)).toEqual(SHIPPED)
      })
    })
  },
  { only: ['memory', 'embedded', 'postgres'] },
)

describeEachBackend(
  'concurrent migrations',
  (context) => {
    test('two processes migrating one fresh schema at once: one applies, the other finds nothing to do, no lock is left', async () => {
      const { db } = context()
      const schema = freshSchema(db)
      const url = process.env.TEST_DATABASE_URL as string
      const children = [0, 1].map(() => startTsxChild('test/support/migrate-child.ts', [url, schema]))
      try {
        const ready = await Promise.all(children.map((child) => child.next()))
        const pids = ready.map((message) => message.pid as number)
        // Both are connected and waiting: release them together.
        for (const child of children) child.send('go')
        const results = await Promise.all(children.map((child) => child.next()))
        expect(results.filter((result) => result.error)).toEqual([])
        const applied = results.map((result) => result.applied as string[]).sort((a, b) => a.length - b.length)
        expect(applied).toEqual([[], SHIPPED])

        // Both server sessions are still open: a lock one of them leaked would show here.
        const locks = await sql<{ n: number }>`
          select count(*)::int as n from pg_locks
          where locktype = 'advisory' and pid = any(${pids}::int[])`.execute(db)
        expect(locks.rows[0]?.n).toBe(0)
        expect(await tablesIn(db, schema)).toContain('tasks')
      } finally {
        for (const child of children) child.send('exit')
        await Promise.all(children.map((child) => child.exited))
      }
    })
  },
  { only: ['postgres'] },
)
