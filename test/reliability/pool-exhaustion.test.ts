import net from 'node:net'
import { type Kysely, sql } from 'kysely'
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest'
import {
  checkHealth,
  createDatabase,
  createTaskStore,
  type DatabaseOptions,
  DatabaseUnavailableError,
  migrateToLatest,
} from '../../src/index.js'
import { uniqueSchema } from '../support/backends.js'
import { type NeonRelay, startNeonRelay } from '../support/neon-relay.js'

const url = process.env.TEST_DATABASE_URL
const schema = uniqueSchema('pool')
const TIMEOUT_MS = 300
// With jitter pinned at its maximum, a retry would wait exactly this long first.
const RETRY = { attempts: 3, baseDelayMs: 1_000, maxDelayMs: 1_000 }
let relay: NeonRelay
let admin: Kysely<any>
const opened: Kysely<any>[] = []

beforeAll(async () => {
  if (!url) return
  relay = await startNeonRelay()
  admin = createDatabase({ connectionString: url })
  await migrateToLatest(admin, { schema })
})
afterAll(async () => {
  await Promise.all(opened.map((db) => db.destroy()))
  if (admin) {
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin)
    await admin.destroy()
  }
  await relay?.close()
})
afterEach(() => {
  vi.restoreAllMocks()
})

type Driver = 'pg' | 'neon'

function open(driver: Driver, options: DatabaseOptions): Kysely<any> {
  const db = createDatabase({ ...(driver === 'neon' ? { driver, neon: relay.settings } : {}), ...options })
  opened.push(db)
  return db
}

/** Holds the pool's only connection in a transaction until `release` is called. */
async function holdConnection(db: Kysely<any>): Promise<{ release: () => void; done: Promise<unknown> }> {
  let release!: () => void
  let held!: () => void
  const gate = new Promise<void>((resolve) => {
    release = resolve
  })
  const holding = new Promise<void>((resolve) => {
    held = resolve
  })
  const done = db.transaction().execute(async (trx) => {
    await sql`select 1`.execute(trx)
    held()
    await gate
  })
  await holding
  return { release, done }
}

/** A TCP server that accepts connections and never says a word. */
async function silentServer(): Promise<{ port: number; accepted: () => number; close: () => Promise<void> }> {
  let accepted = 0
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    accepted++
    sockets.add(socket)
    socket.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted: () => accepted,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

async function timed(call: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now()
  const error = await call.then(
    () => new Error('expected the call to fail'),
    (caught: unknown) => caught,
  )
  return { error, ms: performance.now() - started }
}

describe.skipIf(!url)(`a full pool${url ? '' : ' (TEST_DATABASE_URL is not set)'}`, () => {
  for (const driver of ['pg', 'neon'] as const) {
    test(`${driver}: all connections busy past connectionTimeoutMillis is one DatabaseUnavailableError saying the pool is exhausted, not retried`, async () => {
      vi.spyOn(Math, 'random').mockReturnValue(1)
      const db = open(driver, {
        connectionString: url,
        schema,
        pool: { max: 1, connectionTimeoutMillis: TIMEOUT_MS },
        retry: RETRY,
      })
      const tasks = createTaskStore(db)
      await tasks.countTasks('someone') // the pool's one connection is open
      const { release, done } = await holdConnection(db)
      const relayed = relay.connections

      const calls = {
        'a store call (direct path)': () => tasks.countTasks('someone'),
        'a query through Kysely': () => sql`select 1`.execute(db),
        checkHealth: () => checkHealth(db).then((report) => Promise.reject(report.error)),
      }
      for (const [call, start] of Object.entries(calls)) {
        const { error, ms } = await timed(start())
        expect(error, call).toBeInstanceOf(DatabaseUnavailableError)
        expect((error as Error).message, call).toMatch(
          /connection pool is exhausted: all 1 connections stayed in use for 300 ms \(connectionTimeoutMillis\)/,
        )
        // waited for the timeout once; a retry would have added a full second
        expect(ms, call).toBeGreaterThanOrEqual(TIMEOUT_MS - 20)
        expect(ms, call).toBeLessThan(RETRY.baseDelayMs)
      }
      if (driver === 'neon') expect(relay.connections).toBe(relayed)

      release()
      await done
      expect(await tasks.countTasks('someone')).toEqual({ total: 0, completed: 0, pending: 0 })
    })

    test(`${driver}: a server that does not answer the connect in time is an outage, and is retried`, async () => {
      const silent = await silentServer()
      try {
        const db = open(driver, {
          connectionString: `postgres://app:pw@127.0.0.1:${silent.port}/tasks`,
          pool: { max: 1, connectionTimeoutMillis: 200 },
          retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 20 },
        })
        // two calls on a pool of one: the second waits in the queue while the first connects
        const [first, second] = await Promise.all([timed(sql`select 1`.execute(db)), timed(sql`select 2`.execute(db))])
        for (const { error } of [first, second]) {
          expect(error).toBeInstanceOf(DatabaseUnavailableError)
          expect((error as Error).message).not.toMatch(/exhausted/)
          expect((error as Error).message).toMatch(/unavailable/)
        }
        expect(silent.accepted()).toBeGreaterThanOrEqual(3)
      } finally {
        await silent.close()
      }
    })
  }
})
