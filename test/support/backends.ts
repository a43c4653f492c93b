import { randomBytes } from 'node:crypto'
import { type Kysely, PGliteDialect, sql } from 'kysely'
import { afterAll, afterEach, beforeAll, beforeEach, describe } from 'vitest'
import { createDatabase, type Database, migrateToLatest } from '../../src/index.js'
import { createMemoryDatabase } from '../../src/testing/index.js'
import { startNeonRelay } from './neon-relay.js'
import { pgbouncerUnavailableReason, startPgBouncer } from './pgbouncer.js'

/** Every backend the contract suites run against. */
export type BackendName = 'memory' | 'embedded' | 'postgres' | 'pgbouncer' | 'neon'

export const ALL_BACKENDS: readonly BackendName[] = ['memory', 'embedded', 'postgres', 'pgbouncer', 'neon']

/** How another process reaches a server backend: what it passes to `createDatabase`. */
export interface ServerReach {
  readonly connectionString: string
  readonly driver: 'pg' | 'neon'
  /** The Neon relay's port, for `relaySettings(port)`; only with the `neon` driver. */
  readonly relayPort?: number
}

/** What a test gets: a migrated database scoped to a schema of its own. */
export interface TestContext {
  readonly backend: BackendName
  /** Scoped to `schema`; migrated. */
  readonly db: Kysely<Database>
  readonly schema: string
  /** Server backends only: how a child process connects to the same database. */
  readonly reach?: ServerReach
  /** Server backends only: lets a login role the test made connect through this backend. */
  readonly admitRole?: (role: string) => Promise<void>
  /**
   * Opens another database of the same server the way this backend reaches
   * it (directly, through PgBouncer, over the Neon driver), scoped to
   * `schema`. Server backends only; the caller destroys it.
   */
  readonly openDatabase?: (database: string, schema: string) => Kysely<Database>
}

/** `url` with its database name replaced. */
export function withDatabaseName(url: string, database: string): string {
  const changed = new URL(url)
  changed.pathname = `/${encodeURIComponent(database)}`
  return changed.toString()
}

/** A backend's shared resources for one test file, and how to get a fresh database from them. */
interface BackendSession {
  fresh(): Promise<TestContext & { dispose(passed: boolean): Promise<void> }>
  close(): Promise<void>
}

/** The backends this run cannot use, with the reason. */
export function backendSkipReasons(): Map<BackendName, string> {
  const reasons = new Map<BackendName, string>()
  if (!process.env.TEST_DATABASE_URL) {
    reasons.set('postgres', 'TEST_DATABASE_URL is not set (set it to a PostgreSQL URL, as .ci/run does)')
    reasons.set('neon', 'TEST_DATABASE_URL is not set (the Neon driver is relayed to that server over WebSockets)')
  }
  const pgbouncer = pgbouncerUnavailableReason()
  if (pgbouncer) reasons.set('pgbouncer', pgbouncer)
  return reasons
}

/** A schema name no other test uses. */
export function uniqueSchema(prefix = 't'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`
}

async function openSession(backend: BackendName): Promise<BackendSession> {
  switch (backend) {
    case 'memory': {
      // Closed when the next test starts (or the file ends), so a file's afterEach hooks can still use it.
      let last: Kysely<Database> | undefined
      const closeLast = async () => {
        await last?.destroy()
        last = undefined
      }
      return {
        async fresh() {
          await closeLast()
          const db = await createMemoryDatabase()
          last = db
          return { backend, db, schema: 'public', dispose: async () => {} }
        },
        close: closeLast,
      }
    }
    case 'embedded': {
      const { PGlite } = await import('@electric-sql/pglite')
      const pglite = await PGlite.create()
      const base = createDatabase({ dialect: new PGliteDialect({ pglite }) })
      return schemaPerTest(backend, base)
    }
    case 'postgres': {
      const options = { connectionString: process.env.TEST_DATABASE_URL, pool: { max: 10 } }
      return schemaPerTest(backend, createDatabase(options), {
        open: (schema) => createDatabase({ ...options, schema }),
        reach: { connectionString: options.connectionString!, driver: 'pg' },
        openDatabase: (database, schema) =>
          createDatabase({
            ...options,
            connectionString: withDatabaseName(options.connectionString!, database),
            schema,
          }),
      })
    }
    case 'pgbouncer': {
      // Transaction pooling with a server pool of 4, as Neon's -pooler endpoint does.
      const bouncer = await startPgBouncer(process.env.TEST_DATABASE_URL!)
      const options = { connectionString: bouncer.url, pool: { max: 10 } }
      return schemaPerTest(backend, createDatabase(options), {
        open: (schema) => createDatabase({ ...options, schema }),
        reach: { connectionString: bouncer.url, driver: 'pg' },
        admit: (role) => bouncer.admitUser(role),
        openDatabase: (database, schema) =>
          createDatabase({ ...options, connectionString: withDatabaseName(bouncer.url, database), schema }),
        stop: () => bouncer.stop(),
      })
    }
    case 'neon': {
      // The Neon driver over WebSockets, relayed to the local server (Neon's global neonConfig untouched).
      const relay = await startNeonRelay()
      const options = {
        driver: 'neon' as const,
        connectionString: process.env.TEST_DATABASE_URL,
        neon: relay.settings,
        pool: { max: 10 },
      }
      return schemaPerTest(backend, createDatabase(options), {
        open: (schema) => createDatabase({ ...options, schema }),
        reach: { connectionString: options.connectionString!, driver: 'neon', relayPort: relay.port },
        openDatabase: (database, schema) =>
          createDatabase({
            ...options,
            connectionString: withDatabaseName(options.connectionString!, database),
            schema,
          }),
        stop: () => relay.close(),
      })
    }
  }
}

/** How a server backend opens a test's database and stops what it started. */
interface ServerSession {
  /** A database scoped to the schema as a host opens one, `createDatabase({ schema })`: the stores' own path. */
  readonly open: (schema: string) => Kysely<Database>
  readonly reach: ServerReach
  /** Makes a login role usable through this backend; the server itself needs nothing. */
  readonly admit?: (role: string) => Promise<void>
  readonly openDatabase: (database: string, schema: string) => Kysely<Database>
  readonly stop?: () => Promise<void>
}

// Each test gets its own schema, dropped only when the test passed so a failure can be inspected.
function schemaPerTest(backend: BackendName, base: Kysely<Database>, server?: ServerSession): BackendSession {
  // A test's own database is closed when the next test starts (or the file ends),
  // so a file's afterEach hooks, which run after the harness's, can still use it.
  let lastOpened: Kysely<Database> | undefined
  const closeLastOpened = async () => {
    await lastOpened?.destroy()
    lastOpened = undefined
  }
  return {
    async fresh() {
      await closeLastOpened()
      const schema = uniqueSchema()
      await migrateToLatest(base, { schema })
      const db = server ? server.open(schema) : base.withSchema(schema)
      if (server) lastOpened = db
      return {
        backend,
        db,
        schema,
        ...(server && { reach: server.reach, admitRole: server.admit ?? (async () => {}) }),
        ...(server && { openDatabase: server.openDatabase }),
        async dispose(passed) {
          if (passed) await sql`drop schema ${sql.id(schema)} cascade`.execute(base)
        },
      }
    },
    async close() {
      try {
        await closeLastOpened()
        await base.destroy()
      } finally {
        await server?.stop?.()
      }
    },
  }
}

/**
 * Declares a suite once and runs it against every available backend, as
 * ``describe(`${backend}: ${title}`)``. `context()` returns the current
 * test's fresh database.
 */
export function describeEachBackend(
  title: string,
  suite: (context: () => TestContext) => void,
  options: { only?: readonly BackendName[] } = {},
): void {
  const skipped = backendSkipReasons()
  for (const backend of options.only ?? ALL_BACKENDS) {
    const run = skipped.has(backend) ? describe.skip : describe
    run(`${backend}: ${title}`, () => {
      let session: BackendSession | undefined
      let current: (TestContext & { dispose(passed: boolean): Promise<void> }) | undefined
      beforeAll(async () => {
        session = await openSession(backend)
      })
      afterAll(async () => {
        await session?.close()
      })
      beforeEach(async () => {
        current = await session!.fresh()
      })
      afterEach(async (test) => {
        await current?.dispose(test.task.result?.state !== 'fail')
        current = undefined
      })
      suite(() => {
        if (!current) throw new Error('context() is only available inside a test')
        return current
      })
    })
  }
}
