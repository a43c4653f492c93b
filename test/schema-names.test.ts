import { access, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Kysely, PGliteDialect, sql } from 'kysely'
import { describe, expect, test } from 'vitest'
import { MIGRATIONS } from '../migrations/index.js'
import { checkSchemaName } from '../src/db/database-schema.js'
import {
  ConfigError,
  createDatabase,
  migrateDown,
  migrateToLatest,
  migrationStatus,
  type QueryLogEvent,
} from '../src/index.js'
import { createEmbeddedDatabase, createMemoryDatabase } from '../src/testing/index.js'
import { describeEachBackend, uniqueSchema } from './support/backends.js'
import { BAD_SCHEMA_NAMES, SCHEMAS_FROM_BAD_NAMES } from './support/fixtures.js'

const SHIPPED = MIGRATIONS.map(([name]) => name)
const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL

const MIGRATE_FUNCTIONS = { migrateToLatest, migrateDown, migrationStatus }

function longestName(): string {
  return uniqueSchema('long').padEnd(63, 'x')
}

/** Which of the schemas a bad name would have made exist on a real server. */
async function existingSchemas(db: Kysely<any>): Promise<string[]> {
  const { rows } = await sql<{ nspname: string }>`
    select nspname from pg_catalog.pg_namespace
    where nspname in (${sql.join([...SCHEMAS_FROM_BAD_NAMES])})`.execute(db)
  return rows.map((row) => row.nspname)
}

describe('schema names', () => {
  test('plain lower-case identifiers up to 63 bytes are accepted', () => {
    for (const name of ['public', 'taskstore', '_', '_x1', 'a_b_2', 'a'.repeat(63)]) {
      expect(checkSchemaName(name)).toBe(name)
    }
  })

  test.each(BAD_SCHEMA_NAMES)('%j is refused with a ConfigError naming the rule', (name) => {
    expect(() => checkSchemaName(name)).toThrow(ConfigError)
    expect(() => checkSchemaName(name)).toThrow(/lower-case identifier.*\[a-z_\]\[a-z0-9_\]\*.*63/)
  })

  test('a name that is not a string is refused too', () => {
    expect(() => checkSchemaName(42)).toThrow(ConfigError)
  })
})

describe('createDatabase refuses a bad schema name before any SQL', () => {
  test.each(BAD_SCHEMA_NAMES)('%j', (schema) => {
    const events: QueryLogEvent[] = []
    const log = (event: QueryLogEvent) => events.push(event)
    expect(() => createDatabase({ connectionString: 'postgres://nobody@127.0.0.1:1/x', schema, log })).toThrow(
      ConfigError,
    )
    const dialect = new PGliteDialect({ pglite: {} as never })
    expect(() => createDatabase({ dialect, schema, log })).toThrow(ConfigError)
    expect(events).toEqual([])
  })

  test('a 63-byte name is accepted', () => {
    expect(() =>
      createDatabase({ connectionString: 'postgres://nobody@127.0.0.1:1/x', schema: 'a'.repeat(63) }),
    ).not.toThrow()
  })
})

describe('the testing helpers refuse a bad schema name before starting anything', () => {
  test.each(BAD_SCHEMA_NAMES)('createMemoryDatabase({ schema: %j })', async (schema) => {
    await expect(createMemoryDatabase({ schema })).rejects.toBeInstanceOf(ConfigError)
  })

  test.each(BAD_SCHEMA_NAMES)('createEmbeddedDatabase({ schema: %j }) makes no data folder', async (schema) => {
    const parent = await mkdtemp(join(tmpdir(), 'taskstore-schema-'))
    const dataDir = join(parent, 'data')
    try {
      await expect(createEmbeddedDatabase({ schema, dataDir })).rejects.toBeInstanceOf(ConfigError)
      await expect(access(dataDir)).rejects.toThrow()
    } finally {
      await rm(parent, { recursive: true, force: true })
    }
  })

  test('a 63-byte name works for both', async () => {
    const schema = 'a'.repeat(63)
    const memory = await createMemoryDatabase({ schema })
    const embedded = await createEmbeddedDatabase({ schema })
    try {
      for (const db of [memory, embedded]) {
        expect((await migrationStatus(db)).every((step) => step.executedAt !== null)).toBe(true)
        await db.insertInto('users').values({ id: 'u1', email: 'ada@example.com' }).execute()
        const { rows } = await sql<{ email: string }>`select email from ${sql.id(schema, 'users')}`.execute(db)
        expect(rows).toEqual([{ email: 'ada@example.com' }])
      }
    } finally {
      await Promise.all([memory.destroy(), embedded.destroy()])
    }
  })
})

describeEachBackend('migrate functions and schema names', (context) => {
  test('each refuses every bad name with a ConfigError, and nothing is created', async () => {
    const { db, backend } = context()
    for (const schema of BAD_SCHEMA_NAMES) {
      for (const [name, migrate] of Object.entries(MIGRATE_FUNCTIONS)) {
        await expect(migrate(db, { schema }), `${name} ${JSON.stringify(schema)}`).rejects.toBeInstanceOf(ConfigError)
      }
      // A database scoped to the name by withSchema is refused the same way.
      await expect(migrateToLatest(db.withSchema(schema))).rejects.toBeInstanceOf(ConfigError)
    }
    if (backend !== 'memory') expect(await existingSchemas(db)).toEqual([])
    expect((await migrationStatus(db)).every((step) => step.executedAt !== null)).toBe(true)
  })
})

// pg-mem's catalog knows only `public` and the schema its database was made
// for; the 63-byte name on pg-mem is covered through createMemoryDatabase above.
describeEachBackend(
  'migrate functions and a 63-byte schema name',
  (context) => {
    test('a 63-byte name migrates up, reports and migrates down', async () => {
      const { db } = context()
      const schema = longestName()
      try {
        expect((await migrateToLatest(db, { schema })).applied).toEqual(SHIPPED)
        expect((await migrationStatus(db, { schema })).map((step) => step.executedAt !== null)).toEqual(
          SHIPPED.map(() => true),
        )
        expect((await migrateDown(db, { schema })).applied).toEqual([SHIPPED.at(-1)])
      } finally {
        await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db)
      }
    })
  },
  { only: ['embedded', 'postgres', 'pgbouncer', 'neon'] },
)

describe.skipIf(!TEST_DATABASE_URL)('a bad schema name sends no SQL to the server', () => {
  test.each(BAD_SCHEMA_NAMES)('%j: the log hook sees no event', async (schema) => {
    const events: QueryLogEvent[] = []
    const db = createDatabase({ connectionString: TEST_DATABASE_URL, log: (event) => events.push(event) })
    try {
      for (const migrate of Object.values(MIGRATE_FUNCTIONS)) {
        await expect(migrate(db, { schema })).rejects.toBeInstanceOf(ConfigError)
      }
      expect(events).toEqual([])
      // the hook does see SQL when there is some (so the check above can fail)
      await migrationStatus(db)
      expect(events.length).toBeGreaterThan(0)
    } finally {
      await db.destroy()
    }
  })
})
