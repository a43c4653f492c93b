import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { expect, test } from 'vitest'
import { createDatabase, migrateDown, migrateToLatest } from '../src/index.js'
import { describeEachBackend, uniqueSchema, withDatabaseName } from './support/backends.js'
import { storeFixture } from './support/fixtures.js'

async function searchIndexes(db: ReturnType<typeof createDatabase>, schema: string): Promise<string[]> {
  const { rows } = await sql<{ indexname: string }>`
    select indexname from pg_indexes where schemaname = ${schema} and indexname = 'tasks_search_idx'`.execute(db)
  return rows.map((row) => row.indexname)
}

describeEachBackend(
  'the trigram index for search',
  (context) => {
    test('a role that may not create the extensions still migrates, without the index, and searches still match', async () => {
      const { db } = context()
      const database = uniqueSchema('noext_db')
      const role = `noext_${randomBytes(4).toString('hex')}`
      const schema = 'store'
      await sql`create database ${sql.id(database)}`.execute(db)
      await sql`create role ${sql.id(role)} login`.execute(db)
      const admin = createDatabase({ connectionString: withDatabaseName(process.env.TEST_DATABASE_URL!, database) })
      const url = new URL(withDatabaseName(process.env.TEST_DATABASE_URL!, database))
      url.username = role
      const limited = createDatabase({ connectionString: url.toString(), schema })
      try {
        // The role owns its schema but has no CREATE on the database or on public.
        await sql`revoke create on database ${sql.id(database)} from public`.execute(admin)
        await sql`revoke create on schema public from public`.execute(admin)
        await sql`create schema ${sql.id(schema)} authorization ${sql.id(role)}`.execute(admin)
        const { rows } = await sql<{
          may: boolean
        }>`select has_database_privilege(current_database(), 'CREATE') as may`.execute(limited)
        expect(rows[0]!.may).toBe(false)

        const { applied } = await migrateToLatest(limited, { schema })
        expect(applied.slice(-2)).toEqual(['0006_listing_indexes', '0007_count_index'])
        expect(await searchIndexes(admin, schema)).toEqual([])
        const installed = await sql<{ extname: string }>`
          select extname from pg_extension where extname in ('pg_trgm', 'btree_gin')`.execute(admin)
        expect(installed.rows).toEqual([])

        const { tasks, alice } = await storeFixture(limited)
        const needle = await tasks.createTask(alice.id, { title: 'Find the needle' })
        await tasks.createTask(alice.id, { title: 'Something else' })
        expect((await tasks.getTasks(alice.id, { search: 'NEEDLE' })).items.map((task) => task.id)).toEqual([needle.id])
        // and the step undoes cleanly without it
        expect((await migrateDown(limited, { schema })).applied).toEqual(['0007_count_index'])
        expect((await migrateDown(limited, { schema })).applied).toEqual(['0006_listing_indexes'])
      } finally {
        await limited.destroy()
        await admin.destroy()
        await sql`drop database ${sql.id(database)} with (force)`.execute(db)
        await sql`drop role ${sql.id(role)}`.execute(db)
      }
    })

    test('where the role may create them, the migration installs both extensions outside the store schema and builds the index', async () => {
      const { db } = context()
      const database = uniqueSchema('ext_db')
      const schema = 'store'
      await sql`create database ${sql.id(database)}`.execute(db)
      const owner = createDatabase({
        connectionString: withDatabaseName(process.env.TEST_DATABASE_URL!, database),
        schema,
      })
      try {
        await migrateToLatest(owner, { schema })
        expect(await searchIndexes(owner, schema)).toEqual(['tasks_search_idx'])
        const { rows } = await sql<{ extname: string; schema: string }>`
          select extname, extnamespace::regnamespace::text as schema from pg_extension
          where extname in ('pg_trgm', 'btree_gin') order by extname`.execute(owner)
        expect(rows).toEqual([
          { extname: 'btree_gin', schema: 'public' },
          { extname: 'pg_trgm', schema: 'public' },
        ])
        // dropping the store's schema leaves the extensions for everyone else
        await sql`drop schema ${sql.id(schema)} cascade`.execute(owner)
        const after = await sql<{
          n: number
        }>`select count(*)::int as n from pg_extension where extname = 'pg_trgm'`.execute(owner)
        expect(after.rows[0]!.n).toBe(1)
      } finally {
        await owner.destroy()
        await sql`drop database ${sql.id(database)} with (force)`.execute(db)
      }
    })
  },
  { only: ['postgres'] },
)
