import net from 'node:net'
import { type Kysely, sql } from 'kysely'
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest'
import { ConfigError, createDatabase, DatabaseUnavailableError } from '../../src/index.js'
import { type PgBouncer, pgbouncerUnavailableReason, startPgBouncer } from '../support/pgbouncer.js'
import {
  freePort,
  querySuperuser,
  startThrowawayServer,
  type ThrowawayServer,
  throwawayServerUnavailableReason,
} from '../support/throwaway-server.js'
import { SecretWitness } from './secret-scan.js'

// One password-protected server for the whole file: every error and log
// event produced here is scanned for its password at the end.
let server: ThrowawayServer
const witness = new SecretWitness()
const opened: Kysely<any>[] = []
const PASSWORD = () => server.role!.password

const serverSkip = throwawayServerUnavailableReason()
const skipNote = serverSkip ? ` (${serverSkip})` : ''

beforeAll(async () => {
  if (serverSkip) return
  server = await startThrowawayServer({ passwordRole: true })
})
afterAll(async () => {
  await Promise.all(opened.map((db) => db.destroy()))
  await server?.dispose()
})
afterEach(() => {
  vi.restoreAllMocks()
})

function open(options: Parameters<typeof createDatabase>[0]): Kysely<any> {
  const db = createDatabase({ log: witness.log, ...options })
  opened.push(db)
  return db
}

/** Records every TCP connection attempt this process makes to `port`, with its time. */
function watchConnectAttempts(port: number): number[] {
  const attempts: number[] = []
  const original = net.Socket.prototype.connect
  vi.spyOn(net.Socket.prototype, 'connect').mockImplementation(function (this: net.Socket, ...args: any[]) {
    const target = typeof args[0] === 'object' ? args[0]?.port : args[0]
    if (Number(target) === port) attempts.push(performance.now())
    return (original as (...a: any[]) => net.Socket).apply(this, args)
  })
  return attempts
}

describe.skipIf(serverSkip !== null)(`nothing listening${skipNote}`, () => {
  test('retries with exponential backoff, then raises DatabaseUnavailableError within the budget', async () => {
    const port = await freePort()
    const attempts = watchConnectAttempts(port)
    // Jitter at its maximum makes the delays exactly 100, 200 and 400 ms.
    vi.spyOn(Math, 'random').mockReturnValue(1)
    const db = open({
      connectionString: `postgres://${server.role!.user}:${encodeURIComponent(PASSWORD())}@127.0.0.1:${port}/taskstore`,
      retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 1_000 },
      pool: { max: 1, connectionTimeoutMillis: 1_000 },
    })
    const started = performance.now()
    const error = await witness.failure(sql`select 1`.execute(db))
    const elapsed = performance.now() - started

    expect(error).toBeInstanceOf(DatabaseUnavailableError)
    expect((error as DatabaseUnavailableError).code).toBe('unavailable')
    expect((error as Error).message).toMatch(/unavailable/i)
    expect(attempts).toHaveLength(4)
    const gaps = attempts.slice(1).map((at, index) => at - attempts[index]!)
    expect(gaps[0]).toBeGreaterThanOrEqual(95)
    expect(gaps[1]).toBeGreaterThanOrEqual(195)
    expect(gaps[2]).toBeGreaterThanOrEqual(395)
    expect(gaps[2]!).toBeGreaterThan(gaps[0]!)
    // the budget: the three delays plus time to be refused
    expect(elapsed).toBeGreaterThanOrEqual(695)
    expect(elapsed).toBeLessThan(700 + 1_000)
  })

  test('with the default retry policy it gives up in well under two seconds', async () => {
    const port = await freePort()
    const attempts = watchConnectAttempts(port)
    const db = open({ connectionString: `postgres://u:${encodeURIComponent(PASSWORD())}@127.0.0.1:${port}/x` })
    const started = performance.now()
    const error = await witness.failure(sql`select 1`.execute(db))
    expect(error).toBeInstanceOf(DatabaseUnavailableError)
    expect(attempts).toHaveLength(3)
    expect(performance.now() - started).toBeLessThan(2_000)
  })

  test('a server that accepts and hangs up at once is retried the same way', async () => {
    let accepted = 0
    const hangUp = net.createServer((socket) => {
      accepted++
      socket.destroy()
    })
    await new Promise<void>((resolve) => hangUp.listen(0, '127.0.0.1', resolve))
    const { port } = hangUp.address() as net.AddressInfo
    try {
      const db = open({
        connectionString: `postgres://u:${encodeURIComponent(PASSWORD())}@127.0.0.1:${port}/x`,
        retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 },
      })
      const error = await witness.failure(sql`select 1`.execute(db))
      expect(error).toBeInstanceOf(DatabaseUnavailableError)
      expect(accepted).toBe(3)
    } finally {
      await new Promise((resolve) => hangUp.close(resolve))
    }
  })

  test('a wrong password is a ConfigError, not retried, and reported without the password', async () => {
    const port = server.port
    const attempts = watchConnectAttempts(port)
    const wrong = `${PASSWORD()}-wrong`
    const db = open({
      connectionString: `postgres://${server.role!.user}:${encodeURIComponent(wrong)}@127.0.0.1:${port}/taskstore`,
      retry: { attempts: 3, baseDelayMs: 200, maxDelayMs: 200 },
    })
    const error = await witness.failure(sql`select 1`.execute(db))
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as Error).message).toMatch(/password authentication failed/)
    expect(attempts).toHaveLength(1)
  })
})

describe.skipIf(serverSkip !== null)(`statement timeout${skipNote}`, () => {
  test('a pg_sleep past statementTimeoutMs is cancelled by the server and the connection goes back to the pool', async () => {
    const db = open({ connectionString: server.url(), statementTimeoutMs: 200, pool: { max: 1 } })
    const pid = async () => (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0]!.pid
    const before = await pid()
    const started = performance.now()
    const error = await witness.failure(sql`select pg_sleep(5)`.execute(db))
    const elapsed = performance.now() - started
    expect((error as { code?: string }).code).toBe('57014')
    expect(elapsed).toBeGreaterThanOrEqual(190)
    expect(elapsed).toBeLessThan(2_000)
    // One connection in the pool: the next query can only run if it was released, and it is the same one.
    expect(await pid()).toBe(before)
    const { rows } = await sql<{ timeout: string }>`select current_setting('statement_timeout') as timeout`.execute(db)
    expect(rows[0]!.timeout).toBe('200ms')
  })
})

const bouncerSkip = pgbouncerUnavailableReason()

describe.skipIf(bouncerSkip !== null || serverSkip !== null)(
  `statement timeout through PgBouncer${bouncerSkip ? ` (${bouncerSkip})` : ''}`,
  () => {
    let bouncer: PgBouncer
    beforeAll(async () => {
      bouncer = await startPgBouncer(server.url())
    })
    afterAll(async () => {
      await bouncer?.stop()
    })

    test('statementTimeoutMs through a transaction pooler is a ConfigError that says what to do, without retries', async () => {
      const db = open({
        connectionString: bouncer.url,
        statementTimeoutMs: 500,
        retry: { attempts: 5, baseDelayMs: 500, maxDelayMs: 500 },
      })
      const started = performance.now()
      const error = await witness.failure(sql`select 1`.execute(db))
      expect(error).toBeInstanceOf(ConfigError)
      expect((error as Error).message).toMatch(/statement_timeout/)
      expect((error as Error).message).toMatch(/ALTER ROLE/)
      expect(performance.now() - started).toBeLessThan(400)
    })

    test('a statement_timeout set on the role applies through the pooler', async () => {
      const role = server.role!.user
      await querySuperuser(server.superuserUrl, `alter role ${role} set statement_timeout = '300ms'`)
      // new server connections pick up the role setting; drop PgBouncer's old ones
      await querySuperuser(
        server.superuserUrl,
        `select pg_terminate_backend(pid) from pg_stat_activity where usename = '${role}'`,
      )
      try {
        const db = open({ connectionString: bouncer.url, pool: { max: 2 } })
        const started = performance.now()
        const error = await witness.failure(
          (async () => {
            // a first statement may land on a server connection that was just terminated
            for (let attempt = 0; ; attempt++) {
              try {
                return await sql`select pg_sleep(3)`.execute(db)
              } catch (caught) {
                if (attempt < 3 && caught instanceof DatabaseUnavailableError) continue
                throw caught
              }
            }
          })(),
        )
        expect((error as { code?: string }).code).toBe('57014')
        expect(performance.now() - started).toBeLessThan(2_500)
      } finally {
        await querySuperuser(server.superuserUrl, `alter role ${role} reset statement_timeout`)
      }
    })
  },
)

describe.skipIf(serverSkip !== null)(`secrets${skipNote}`, () => {
  test('the scanner finds a password hidden deep in a cause chain (so the scan below can fail)', () => {
    const probe = new SecretWitness()
    const inner = Object.assign(new Error('connect failed'), { config: { url: `postgres://u:${PASSWORD()}@h/d` } })
    probe.capture(new DatabaseUnavailableError('outer', { cause: new Error('middle', { cause: inner }) }))
    expect(probe.leaks([PASSWORD()])).not.toEqual([])
  })

  test('no error, stack, cause or log event produced in this file carries the password', () => {
    // the PgBouncer block adds two errors when it runs
    expect(witness.errors.length).toBeGreaterThanOrEqual(bouncerSkip === null ? 6 : 4)
    expect(witness.leaks([PASSWORD(), `${PASSWORD()}-wrong`])).toEqual([])
  })
})
