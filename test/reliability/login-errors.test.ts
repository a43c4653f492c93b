import net from 'node:net'
import { type Kysely, sql } from 'kysely'
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest'
import {
  ConfigError,
  checkHealth,
  createDatabase,
  createTaskStore,
  type DatabaseOptions,
  migrateDown,
  migrateToLatest,
  migrationStatus,
} from '../../src/index.js'
import { type NeonRelay, startNeonRelay } from '../support/neon-relay.js'
import {
  startThrowawayServer,
  type ThrowawayServer,
  throwawayServerUnavailableReason,
} from '../support/throwaway-server.js'
import { SecretWitness } from './secret-scan.js'

// One password-protected server: every refusal below comes from a real
// PostgreSQL 15 with SCRAM authentication, through both drivers.
let server: ThrowawayServer
let relay: NeonRelay
const witness = new SecretWitness()
const opened: Kysely<any>[] = []
const serverSkip = throwawayServerUnavailableReason()
const SHARED_URL = process.env.TEST_DATABASE_URL
const RETRY = { attempts: 3, baseDelayMs: 400, maxDelayMs: 400 }

beforeAll(async () => {
  if (serverSkip) return
  server = await startThrowawayServer({ passwordRole: true })
  relay = await startNeonRelay()
})
afterAll(async () => {
  await Promise.all(opened.map((db) => db.destroy()))
  await relay?.close()
  await server?.dispose()
})
afterEach(() => {
  vi.restoreAllMocks()
  vi.unstubAllEnvs()
})

/** Counts TCP connections this process opens to `port` (the pg driver's attempts). */
function countConnects(port: number): () => number {
  let count = 0
  const original = net.Socket.prototype.connect
  vi.spyOn(net.Socket.prototype, 'connect').mockImplementation(function (this: net.Socket, ...args: any[]) {
    const target = typeof args[0] === 'object' ? args[0]?.port : args[0]
    if (Number(target) === port) count++
    return (original as (...a: any[]) => net.Socket).apply(this, args)
  })
  return () => count
}

type Driver = 'pg' | 'neon'

function open(driver: Driver, connectionString: string): Kysely<any> {
  const options: DatabaseOptions =
    driver === 'neon' ? { driver, neon: relay.settings, connectionString } : { driver, connectionString }
  const db = createDatabase({ ...options, retry: RETRY, log: witness.log })
  opened.push(db)
  return db
}

/** Every way a host meets the database: a query, a store, the migrate functions, the health check. */
async function everyEntryPoint(db: Kysely<any>): Promise<Array<[string, unknown]>> {
  const failure = (call: Promise<unknown>) => witness.failure(call)
  const health = await checkHealth(db)
  expect(health.ok).toBe(false)
  witness.capture(health.error)
  return [
    ['a query', await failure(sql`select 1`.execute(db))],
    ['a store call', await failure(createTaskStore(db).countTasks('someone'))],
    ['migrateToLatest', await failure(migrateToLatest(db))],
    ['migrateDown', await failure(migrateDown(db))],
    ['migrationStatus', await failure(migrationStatus(db))],
    ['checkHealth', health.error],
  ]
}

interface Refusal {
  readonly title: string
  readonly url: () => string
  /** What the message must say to fix. */
  readonly fix: RegExp
}

const REFUSALS: readonly Refusal[] = [
  {
    title: 'a wrong password (28P01)',
    url: () => `postgres://${server.role!.user}:not-the-password@127.0.0.1:${server.port}/${server.role!.database}`,
    fix: /check the user name and password in the connection string/,
  },
  {
    title: 'a role the server does not know, behind SCRAM (28P01)',
    url: () => `postgres://nobody_here:whatever@127.0.0.1:${server.port}/${server.role!.database}`,
    fix: /check the user name and password in the connection string/,
  },
  {
    title: 'a database that does not exist (3D000)',
    url: () =>
      `postgres://${server.role!.user}:${encodeURIComponent(server.role!.password)}@127.0.0.1:${server.port}/no_such_database`,
    fix: /does not exist.*check the name after the last \/ of the URL, or create the database/,
  },
  {
    title: 'a server that wants a password the URL lacks',
    url: () => `postgres://${server.role!.user}@127.0.0.1:${server.port}/${server.role!.database}`,
    fix: /asks for a password and the connection string has none.*PGPASSWORD/,
  },
]

describe.skipIf(serverSkip !== null)(`a login the server refuses${serverSkip ? ` (${serverSkip})` : ''}`, () => {
  for (const driver of ['pg', 'neon'] as const) {
    for (const refusal of REFUSALS) {
      test(`${driver}: ${refusal.title} is a ConfigError at once, from every entry point`, async () => {
        vi.stubEnv('PGPASSWORD', undefined)
        const attempts = driver === 'pg' ? countConnects(server.port) : () => relay.connections
        const before = attempts()
        const results = await everyEntryPoint(open(driver, refusal.url()))
        for (const [entry, error] of results) {
          expect(error, entry).toBeInstanceOf(ConfigError)
          expect((error as Error).message, entry).toMatch(refusal.fix)
        }
        // one connection attempt per call: never retried
        expect(attempts() - before).toBe(results.length)
      })
    }
  }

  test.skipIf(!SHARED_URL)(
    'a role the server does not know, without a password check (28000), is a ConfigError',
    async () => {
      const url = new URL(SHARED_URL!)
      url.username = 'nobody_here_at_all'
      for (const driver of ['pg', 'neon'] as const) {
        const results = await everyEntryPoint(open(driver, url.toString()))
        for (const [entry, error] of results) {
          expect(error, `${driver}: ${entry}`).toBeInstanceOf(ConfigError)
          expect((error as Error).message).toMatch(/role "nobody_here_at_all" does not exist.*check the user name/)
        }
      }
    },
  )

  test('none of these errors or log events carries the password', () => {
    expect(witness.errors.length).toBeGreaterThan(40)
    expect(witness.leaks([server.role!.password, 'not-the-password'])).toEqual([])
  })
})
