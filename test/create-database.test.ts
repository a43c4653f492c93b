import { randomBytes } from 'node:crypto'
import { inspect } from 'node:util'
import type { PGlite } from '@electric-sql/pglite'
import {
  DummyDriver,
  Kysely,
  MysqlAdapter,
  MysqlIntrospector,
  MysqlQueryCompiler,
  PGliteDialect,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  sql,
} from 'kysely'
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest'
import { MIGRATIONS } from '../migrations/index.js'
import {
  ConfigError,
  checkHealth,
  createDatabase,
  createTaskStore,
  createUserStore,
  type Database,
  type DatabaseOptions,
  DatabaseUnavailableError,
  migrateToLatest,
  type QueryLogEvent,
} from '../src/index.js'
import { uniqueSchema } from './support/backends.js'
import { closedPort, type FakePostgres, selfSignedCertificate, startFakePostgres } from './support/fake-postgres.js'

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL
/** A password with characters that need URL encoding, unique to this run. */
const SECRET = `Wr0ng:p@ss/w%rd-${randomBytes(6).toString('hex')}`
const FAST_RETRY = { attempts: 4, baseDelayMs: 20, maxDelayMs: 80 }

const opened: Array<Kysely<any>> = []
afterEach(async () => {
  vi.unstubAllEnvs()
  for (const db of opened.splice(0)) await db.destroy()
})
function open(options: DatabaseOptions): Kysely<Database> {
  const db = createDatabase(options)
  opened.push(db)
  return db
}

const fakes: FakePostgres[] = []
async function fake(...args: Parameters<typeof startFakePostgres>): Promise<FakePostgres> {
  const server = await startFakePostgres(...args)
  fakes.push(server)
  return server
}
afterEach(async () => {
  for (const server of fakes.splice(0)) await server.close()
})

/** The error a promise rejects with; fails the test when it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<any> {
  return promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (error: unknown) => error,
  )
}

/**
 * Every string reachable from a value: own properties (enumerable or not,
 * so `message` and `stack` too), `cause` chains and AggregateError members,
 * plus how `util.inspect` shows it all.
 */
function everyText(value: unknown): string[] {
  const texts: string[] = [inspect(value, { showHidden: true, depth: 20 })]
  const seen = new Set<unknown>()
  const walk = (item: unknown, depth: number) => {
    if (typeof item === 'string') texts.push(item)
    if (item === null || typeof item !== 'object' || seen.has(item) || depth > 20) return
    seen.add(item)
    for (const key of Object.getOwnPropertyNames(item)) walk((item as Record<string, unknown>)[key], depth + 1)
  }
  walk(value, 0)
  return texts
}

function expectNoSecret(value: unknown): void {
  for (const text of everyText(value)) {
    expect(text).not.toContain(SECRET)
    expect(text).not.toContain(encodeURIComponent(SECRET))
  }
}

describe('createDatabase configuration', () => {
  test.each([
    ['MySQL', MysqlAdapter, MysqlIntrospector, MysqlQueryCompiler],
    ['SQLite', SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler],
  ])(
    'a %s dialect is a ConfigError naming its adapter, before any SQL is sent',
    async (_, Adapter, Introspector, Compiler) => {
      const executed: string[] = []
      const driver = new DummyDriver()
      driver.acquireConnection = async () => ({
        executeQuery: async (query) => {
          executed.push(query.sql)
          return { rows: [] }
        },
        streamQuery: () => {
          throw new Error('not streamed')
        },
      })
      const dialect = {
        createAdapter: () => new Adapter(),
        createDriver: () => driver,
        createIntrospector: (db: Kysely<any>) => new Introspector(db),
        createQueryCompiler: () => new Compiler(),
      }
      for (const db of [new Kysely<Database>({ dialect }), createDatabase({ dialect })]) {
        expect(() => createTaskStore(db)).toThrow(ConfigError)
        expect(() => createUserStore(db)).toThrow(`dialect (${Adapter.name}) writes SQL for another database`)
        await expect(migrateToLatest(db)).rejects.toThrow(ConfigError)
      }
      expect(executed).toEqual([])
    },
  )

  test('without a connection string or DATABASE_URL it throws a ConfigError that names DATABASE_URL', () => {
    vi.stubEnv('DATABASE_URL', undefined)
    const error = (() => {
      try {
        createDatabase()
      } catch (caught) {
        return caught
      }
    })()
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).code).toBe('config')
    expect((error as ConfigError).message).toContain('DATABASE_URL')
  })

  test('reads the connection string from DATABASE_URL when none is passed', async () => {
    const port = await closedPort()
    vi.stubEnv('DATABASE_URL', `postgres://root@127.0.0.1:${port}/test`)
    const db = open({ retry: { attempts: 1 } })
    const error = await rejectionOf(sql`select 1`.execute(db))
    expect(error).toBeInstanceOf(DatabaseUnavailableError)
    expect(error.message).toContain(String(port))
  })

  test('an unknown driver is a ConfigError naming the drivers it knows', () => {
    expect(() => createDatabase({ connectionString: 'postgres://localhost/x', driver: 'mysql' as 'pg' })).toThrow(
      expect.objectContaining({ name: 'ConfigError', message: expect.stringMatching(/'pg' or 'neon'/) }),
    )
  })

  test('a connection string that is not a postgres:// URL is a ConfigError', () => {
    expect(() => createDatabase({ connectionString: 'mysql://root@localhost/x' })).toThrow(ConfigError)
    expect(() => createDatabase({ connectionString: 'not a url' })).toThrow(ConfigError)
  })

  test('a schema name that is not a plain identifier is a ConfigError', () => {
    expect(() =>
      createDatabase({ connectionString: 'postgres://localhost/x', schema: 'a"; drop table x; --' }),
    ).toThrow(ConfigError)
  })

  test('retry and pool options out of range are ConfigErrors', () => {
    const connectionString = 'postgres://localhost/x'
    expect(() => createDatabase({ connectionString, retry: { attempts: 0 } })).toThrow(ConfigError)
    expect(() => createDatabase({ connectionString, pool: { max: 0 } })).toThrow(ConfigError)
  })
})

describe('createDatabase connection failures', () => {
  test('with nothing listening it retries, then throws DatabaseUnavailableError within its backoff budget', async () => {
    const port = await closedPort()
    const db = open({ connectionString: `postgres://root@127.0.0.1:${port}/test`, retry: FAST_RETRY })
    const started = performance.now()
    const error = await rejectionOf(sql`select 1`.execute(db))
    const elapsed = performance.now() - started
    expect(error).toBeInstanceOf(DatabaseUnavailableError)
    expect(error.code).toBe('unavailable')
    expect(error.message).toMatch(/ECONNREFUSED/)
    // Three waits of at most 20, 40 and 80 ms, plus three refused connects.
    expect(elapsed).toBeLessThan(1_500)
  })

  test('a server that drops every connection is tried exactly `attempts` times', async () => {
    const server = await fake({ kind: 'drop' })
    const db = open({ connectionString: server.url('x'), retry: FAST_RETRY })
    expect(await rejectionOf(sql`select 1`.execute(db))).toBeInstanceOf(DatabaseUnavailableError)
    expect(server.connections()).toBe(4)
  })

  test('backs off between attempts, never waiting longer than maxDelayMs', async () => {
    const server = await fake({ kind: 'drop' })
    const retry = { attempts: 5, baseDelayMs: 100, maxDelayMs: 150 }
    const db = open({ connectionString: server.url('x'), retry })
    const started = performance.now()
    await rejectionOf(sql`select 1`.execute(db))
    const elapsed = performance.now() - started
    expect(server.connections()).toBe(5)
    // Four waits with full jitter: each at most min(150, 100·2^n) ms.
    expect(elapsed).toBeLessThan(100 + 150 + 150 + 150 + 1_000)
  })

  test('after the server ends a session, the next query opens a new connection instead of reusing the dead one', async () => {
    const server = await fake({ kind: 'terminate-on-query' })
    const db = open({ connectionString: server.url('x'), retry: { attempts: 1 }, pool: { max: 1 } })
    expect(await rejectionOf(sql`select 1`.execute(db))).toBeInstanceOf(DatabaseUnavailableError)
    expect(server.connections()).toBe(1)
    // Straight away, before the pool could notice the socket closing by itself.
    expect(await rejectionOf(sql`select 1`.execute(db))).toBeInstanceOf(DatabaseUnavailableError)
    expect(server.connections()).toBe(2)
  })

  test("a store's statement that reached the server is never sent again when its session ends, though retries are allowed", async () => {
    const server = await fake({ kind: 'terminate-on-query' })
    const db = open({ connectionString: server.url('x'), retry: FAST_RETRY, pool: { max: 1 } })
    // outside a transaction the store sends straight to the pool, past Kysely's retrying driver
    expect(await rejectionOf(createTaskStore(db).countTasks('someone'))).toBeInstanceOf(DatabaseUnavailableError)
    // one connection: the statement went out on it once, and no second one was opened to send it again
    expect(server.connections()).toBe(1)
  })

  test('a server that is starting up (57P03) is retried; refused credentials (28P01) are a ConfigError at once', async () => {
    const starting = await fake({ kind: 'fail', code: '57P03', message: 'the database system is starting up' })
    const startingDb = open({ connectionString: starting.url('x'), retry: FAST_RETRY })
    expect(await rejectionOf(sql`select 1`.execute(startingDb))).toBeInstanceOf(DatabaseUnavailableError)
    expect(starting.connections()).toBe(4)

    const refusing = await fake({
      kind: 'fail',
      code: '28P01',
      message: 'password authentication failed for user "root"',
    })
    const refusingDb = open({ connectionString: refusing.url('x'), retry: FAST_RETRY })
    const error = await rejectionOf(sql`select 1`.execute(refusingDb))
    expect(error).toBeInstanceOf(ConfigError)
    expect(error.message).toContain('password authentication failed')
    expect(refusing.connections()).toBe(1)
  })

  // Needs a real server to end the session mid-statement; skipped without TEST_DATABASE_URL.
  test.skipIf(!TEST_DATABASE_URL)(
    'a statement whose connection dies while it runs is not retried, and the next query gets a live connection (postgres)',
    async () => {
      const db = open({ connectionString: TEST_DATABASE_URL, retry: FAST_RETRY })
      const name = uniqueSchema('seq')
      const sequence = sql.id(name)
      await sql`create sequence ${sequence}`.execute(db)
      try {
        // nextval is not rolled back: it counts how often the statement ran.
        const error = await rejectionOf(
          sql`select nextval(${name}::regclass), pg_terminate_backend(pg_backend_pid())`.execute(db),
        )
        expect(error).toBeInstanceOf(DatabaseUnavailableError)
        const { rows } = await sql<{ last_value: string }>`select last_value from ${sequence}`.execute(db)
        expect(Number(rows[0]?.last_value)).toBe(1)
      } finally {
        await sql`drop sequence ${sequence}`.execute(db)
      }
    },
  )

  // The server refuses these in the startup packet; needs a real server, skipped without TEST_DATABASE_URL.
  test.skipIf(!TEST_DATABASE_URL)(
    'a setting the server refuses at connect (options=-c …) is a ConfigError at once, through Kysely and the stores (postgres)',
    async () => {
      for (const option of ['-c nosuch=1', '-c work_mem=-5', '-c statement_timeout=abc']) {
        const url = new URL(TEST_DATABASE_URL!)
        url.searchParams.set('options', option)
        const db = open({ connectionString: url.toString(), retry: FAST_RETRY })
        const viaKysely = await rejectionOf(sql`select 1`.execute(db))
        expect(viaKysely, option).toBeInstanceOf(ConfigError)
        expect(viaKysely.message).toMatch(/refused a setting given when connecting.*PGOPTIONS/)
        const viaStore = await rejectionOf(createTaskStore(db).countTasks('someone'))
        expect(viaStore, option).toBeInstanceOf(ConfigError)
      }
    },
  )
})

describe('createDatabase TLS', () => {
  let certificate: { key: string; cert: string } | null = null
  beforeAll(async () => {
    certificate = await selfSignedCertificate()
  })

  test('sslmode=require against a server without TLS fails instead of falling back to plain text', async () => {
    const server = await fake({ kind: 'no-tls' })
    const db = open({ connectionString: `${server.url('x')}?sslmode=require`, retry: FAST_RETRY })
    const error = await rejectionOf(sql`select 1`.execute(db))
    expect(error).toBeInstanceOf(DatabaseUnavailableError)
    expect(error.message).toMatch(/does not support SSL/)
    expect(server.connections()).toBe(1)
  })

  // The certificate is made with the openssl CLI; without it there is nothing to present.
  test('a certificate that fails verification is an error that says so, never retried', async ({ skip }) => {
    if (!certificate) return skip('the openssl CLI is not installed')
    const server = await fake({ kind: 'self-signed-tls', ...certificate })
    const db = open({ connectionString: `${server.url('x')}?sslmode=verify-full`, retry: FAST_RETRY })
    const error = await rejectionOf(sql`select 1`.execute(db))
    expect(error).toBeInstanceOf(DatabaseUnavailableError)
    expect(error.message).toMatch(/certificate was rejected/)
    expect(error.message).toMatch(/self[- ]signed/)
    expect(server.connections()).toBe(1)
    expect(server.encryptedStartups()).toBe(0)
  })

  test('sslmode=require verifies the certificate, as node-postgres 8 does: a self-signed one is rejected', async ({
    skip,
  }) => {
    if (!certificate) return skip('the openssl CLI is not installed')
    const server = await fake({ kind: 'self-signed-tls', ...certificate })
    const db = open({ connectionString: `${server.url('x')}?sslmode=require`, retry: FAST_RETRY })
    const error = await rejectionOf(sql`select 1`.execute(db))
    expect(error).toBeInstanceOf(DatabaseUnavailableError)
    expect(error.message).toMatch(/certificate was rejected.*self[- ]signed.*uselibpqcompat=true&sslmode=require/)
    expect(server.connections()).toBe(1)
    expect(server.encryptedStartups()).toBe(0)
  })

  test('uselibpqcompat=true&sslmode=require and sslmode=no-verify encrypt without verifying the certificate', async ({
    skip,
  }) => {
    if (!certificate) return skip('the openssl CLI is not installed')
    for (const query of ['uselibpqcompat=true&sslmode=require', 'sslmode=no-verify']) {
      const server = await fake({ kind: 'self-signed-tls', ...certificate })
      const db = open({ connectionString: `${server.url('x')}?${query}`, retry: { attempts: 1 } })
      const error = await rejectionOf(sql`select 1`.execute(db))
      expect(error.message, query).toContain('password authentication failed')
      expect(server.encryptedStartups(), query).toBe(1)
    }
  })

  test('the ssl option with a CA verifies against that CA', async ({ skip }) => {
    if (!certificate) return skip('the openssl CLI is not installed')
    const server = await fake({ kind: 'self-signed-tls', ...certificate })
    const db = open({ connectionString: server.url('x'), ssl: { ca: certificate.cert }, retry: { attempts: 1 } })
    const error = await rejectionOf(sql`select 1`.execute(db))
    // Verified, so the startup went through TLS and reached the (failing) authentication.
    expect(error.message).toContain('password authentication failed')
    expect(server.encryptedStartups()).toBe(1)
  })

  test('a Neon host is never reached without TLS', async () => {
    const neonUrl = 'postgres://app:pw@ep-cool-name-123.eu-central-1.aws.neon.tech/tasks'
    expect(() => createDatabase({ connectionString: `${neonUrl}?sslmode=disable` })).toThrow(ConfigError)
    expect(() => createDatabase({ connectionString: neonUrl, ssl: false })).toThrow(ConfigError)
    const db = open({ connectionString: neonUrl, driver: 'neon', neon: { useSecureWebSocket: false } })
    expect(await rejectionOf(sql`select 1`.execute(db))).toBeInstanceOf(ConfigError)
  })

  test('certificate files named in the connection string are refused, not ignored', () => {
    expect(() => createDatabase({ connectionString: 'postgres://db/x?sslmode=verify-ca&sslrootcert=/ca.pem' })).toThrow(
      expect.objectContaining({ name: 'ConfigError', message: expect.stringMatching(/sslrootcert.*ssl: \{ ca/) }),
    )
  })
})

describe('createDatabase redaction', () => {
  test('the password of the connection string appears in no error, cause, stack or log event', async () => {
    const events: QueryLogEvent[] = []
    const log = (event: QueryLogEvent) => events.push(event)
    const failures: unknown[] = []
    const encoded = encodeURIComponent(SECRET)

    // Malformed URL: Node's URL error carries the input, password and all.
    failures.push(
      (() => {
        try {
          createDatabase({ connectionString: `postgres://root:${encoded}@[bad/test`, log })
        } catch (error) {
          return error
        }
      })(),
    )
    // Nothing listening.
    const port = await closedPort()
    const refused = open({
      connectionString: `postgres://root:${encoded}@127.0.0.1:${port}/test`,
      log,
      retry: FAST_RETRY,
    })
    failures.push(await rejectionOf(sql`select 1`.execute(refused)))
    failures.push(await checkHealth(refused))
    // A server (or proxy) that repeats the password back in its error.
    const echoing = await fake({ kind: 'fail', code: '28P01', message: `password "${SECRET}" is wrong (${encoded})` })
    const echoed = open({ connectionString: echoing.url(SECRET), log, retry: FAST_RETRY })
    failures.push(await rejectionOf(sql`select 1`.execute(echoed)))
    failures.push(await rejectionOf(migrateToLatest(echoed)))
    // Dropped connections and refused TLS.
    const dropping = await fake({ kind: 'drop' })
    failures.push(await rejectionOf(sql`select 1`.execute(open({ connectionString: dropping.url(SECRET), log }))))
    const plain = await fake({ kind: 'no-tls' })
    const tls = open({ connectionString: `${plain.url(SECRET)}?sslmode=require`, log })
    failures.push(await rejectionOf(sql`select 1`.execute(tls)))

    if (TEST_DATABASE_URL) {
      // A real server: a database that does not exist, and queries that fail or carry the text.
      const url = new URL(TEST_DATABASE_URL)
      url.password = encoded
      const real = open({ connectionString: url.toString(), log })
      url.pathname = '/no_such_database_here'
      const missing = open({ connectionString: url.toString(), log })
      failures.push(await rejectionOf(sql`select 1`.execute(missing)))
      await sql`select ${sql.lit(SECRET)} as echo`.execute(real)
      await rejectionOf(sql`select * from ${sql.id(SECRET)}`.execute(real))
      expect(events.some((event) => event.error !== undefined)).toBe(true)
    }

    expect(failures.filter((failure) => failure === undefined)).toEqual([])
    for (const failure of failures) expectNoSecret(failure)
    expectNoSecret(events)
  })
})

describe('redaction of short passwords', () => {
  test('a short password is redacted where it stands alone, without mangling words that contain it', async () => {
    const server = await fake({ kind: 'fail', code: '28P01', message: 'password "ext" is wrong for this text' })
    const db = open({ connectionString: server.url('ext'), retry: { attempts: 1 } })
    const error = await rejectionOf(sql`select 1`.execute(db))
    expect(error.message).toContain('password "[redacted]" is wrong for this text')
  })
})

/** One database per backend this file can reach, made with createDatabase and extra options. */
type Connect = (options: Omit<DatabaseOptions, 'connectionString' | 'dialect'>) => Kysely<Database>

describe.each([
  ['embedded', 'dialect (PGlite)'],
  ['postgres', 'pg driver'],
] as const)('createDatabase over %s (%s)', (backend, _how) => {
  let pglite: PGlite | undefined
  // The pg driver needs a server: without TEST_DATABASE_URL only PGlite runs these.
  const available = backend === 'embedded' || TEST_DATABASE_URL !== undefined
  const connect: Connect = (options) =>
    backend === 'embedded'
      ? // Not destroyed after each test: Kysely's PGlite driver would close the shared instance.
        createDatabase({ ...options, dialect: new PGliteDialect({ pglite: pglite! }) })
      : open({ ...options, connectionString: TEST_DATABASE_URL })
  beforeAll(async () => {
    if (backend !== 'embedded') return
    const { PGlite } = await import('@electric-sql/pglite')
    pglite = await PGlite.create()
  })
  afterAll(async () => {
    if (pglite && !pglite.closed) await pglite.close()
  })

  describe.skipIf(!available)('the log hook', () => {
    test('gets { sql, durationMs } for each query, without bound parameters', async () => {
      const events: QueryLogEvent[] = []
      const db = connect({ log: (event) => events.push(event) })
      await sql`select ${'ada@example.com'}::text as email`.execute(db)
      expect(events).toHaveLength(1)
      expect(Object.keys(events[0]!).sort()).toEqual(['durationMs', 'sql'])
      expect(events[0]!.sql).toBe('select $1::text as email')
      expect(events[0]!.durationMs).toBeGreaterThanOrEqual(0)
      expect(JSON.stringify(events)).not.toContain('ada@example.com')
    })

    test('gets the bound parameters only with logParameters: true', async () => {
      const events: QueryLogEvent[] = []
      const db = connect({ log: (event) => events.push(event), logParameters: true })
      await sql`select ${'ada@example.com'}::text as email`.execute(db)
      expect(events[0]!.parameters).toEqual(['ada@example.com'])
    })

    test('gets the error of a failing query', async () => {
      const events: QueryLogEvent[] = []
      const db = connect({ log: (event) => events.push(event) })
      await rejectionOf(sql`select * from ${sql.id('no_such_table')}`.execute(db))
      expect(events).toHaveLength(1)
      expect(events[0]!.error).toMatchObject({ code: '42P01' })
    })

    test('a log hook that throws does not fail the query', async () => {
      const db = connect({
        log: () => {
          throw new Error('broken logger')
        },
      })
      const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db)
      expect(rows).toEqual([{ one: 1 }])
    })
  })

  describe.skipIf(!available)('checkHealth', () => {
    test('reports ok with the latency of select 1', async () => {
      const report = await checkHealth(connect({}))
      expect(report.ok).toBe(true)
      expect(report.error).toBeUndefined()
      expect(report.latencyMs).toBeGreaterThanOrEqual(0)
      expect(report.latencyMs).toBeLessThan(5_000)
    })
  })

  describe.skipIf(!available)('the schema option', () => {
    test('puts queries and migrations in that schema', async () => {
      const schema = uniqueSchema('opt')
      const db = connect({ schema })
      try {
        expect((await migrateToLatest(db)).applied).toEqual(MIGRATIONS.map(([name]) => name))
        await db.insertInto('users').values({ id: 'u1', email: 'ada@example.com' }).execute()
        const { rows } = await sql<{ email: string }>`select email from ${sql.id(schema, 'users')}`.execute(db)
        expect(rows).toEqual([{ email: 'ada@example.com' }])
        expect(db.selectFrom('tasks').selectAll().compile().sql).toBe(`select * from "${schema}"."tasks"`)
      } finally {
        await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db)
      }
    })

    test('defaults to public', () => {
      expect(connect({}).selectFrom('tasks').selectAll().compile().sql).toBe('select * from "public"."tasks"')
    })
  })
})

describe('checkHealth when the database is down', () => {
  test('reports ok: false with a typed error instead of throwing', async () => {
    const port = await closedPort()
    const report = await checkHealth(
      open({ connectionString: `postgres://root@127.0.0.1:${port}/x`, retry: FAST_RETRY }),
    )
    expect(report.ok).toBe(false)
    expect(report.error).toBeInstanceOf(DatabaseUnavailableError)
    expect(report.latencyMs).toBeGreaterThanOrEqual(0)
  })
})
