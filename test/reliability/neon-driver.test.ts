import { neonConfig } from '@neondatabase/serverless'
import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ConfigError, createDatabase, DatabaseUnavailableError } from '../../src/index.js'
import { uniqueSchema } from '../support/backends.js'
import { type NeonRelay, startNeonRelay } from '../support/neon-relay.js'

const url = process.env.TEST_DATABASE_URL

const GLOBAL_KEYS = ['wsProxy', 'useSecureWebSocket', 'pipelineConnect', 'pipelineTLS', 'webSocketConstructor'] as const
const globalSnapshot = () => Object.fromEntries(GLOBAL_KEYS.map((key) => [key, (neonConfig as any)[key]]))

describe.skipIf(!url)(`neon driver over a WebSocket relay${url ? '' : ' (TEST_DATABASE_URL is not set)'}`, () => {
  let first: NeonRelay
  let second: NeonRelay
  const opened: Kysely<any>[] = []
  const before = globalSnapshot()

  beforeAll(async () => {
    first = await startNeonRelay()
    second = await startNeonRelay()
  })
  afterAll(async () => {
    await Promise.all(opened.map((db) => db.destroy()))
    await first?.close()
    await second?.close()
  })

  function open(relay: NeonRelay, options: Partial<Parameters<typeof createDatabase>[0]> = {}): Kysely<any> {
    const db = createDatabase({ driver: 'neon', connectionString: url, neon: relay.settings, ...options })
    opened.push(db)
    return db
  }

  test('each database uses its own settings and relay; Neon’s global neonConfig is left alone', async () => {
    const a = open(first, { pool: { max: 1 } })
    const b = open(second, { pool: { max: 1 } })
    const countsBefore = [first.connections, second.connections]
    await sql`select 1`.execute(a)
    expect([first.connections, second.connections]).toEqual([countsBefore[0]! + 1, countsBefore[1]])
    await sql`select 1`.execute(b)
    expect([first.connections, second.connections]).toEqual([countsBefore[0]! + 1, countsBefore[1]! + 1])
    expect(globalSnapshot()).toEqual(before)
    expect(neonConfig.useSecureWebSocket).toBe(true)
  })

  test('transactions commit and roll back through the driver', async () => {
    const db = open(first)
    const schema = uniqueSchema('neon')
    await sql`create schema ${sql.id(schema)}`.execute(db)
    try {
      await sql`create table ${sql.id(schema, 'probe')} (n int)`.execute(db)
      await db.transaction().execute(async (trx) => {
        await sql`insert into ${sql.id(schema, 'probe')} values (1)`.execute(trx)
      })
      await expect(
        db.transaction().execute(async (trx) => {
          await sql`insert into ${sql.id(schema, 'probe')} values (2)`.execute(trx)
          throw new Error('roll back')
        }),
      ).rejects.toThrow('roll back')
      const { rows } = await sql<{ n: number }>`select n from ${sql.id(schema, 'probe')}`.execute(db)
      expect(rows).toEqual([{ n: 1 }])
    } finally {
      await sql`drop schema ${sql.id(schema)} cascade`.execute(db)
    }
  })

  test('statementTimeoutMs reaches the server through the Neon driver too', async () => {
    const db = open(first, { statementTimeoutMs: 150, pool: { max: 1 } })
    const error = await sql`select pg_sleep(3)`.execute(db).catch((caught: unknown) => caught)
    expect((error as { code?: string }).code).toBe('57014')
  })

  test('a dropped WebSocket surfaces as DatabaseUnavailableError and the next call opens a new one', async () => {
    const db = open(first, { pool: { max: 1 } })
    await sql`select 1`.execute(db)
    const slow = sql`select pg_sleep(2)`.execute(db)
    await new Promise((resolve) => setTimeout(resolve, 200))
    first.dropConnections()
    const error = await slow.catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(DatabaseUnavailableError)
    const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db)
    expect(rows).toEqual([{ one: 1 }])
  })

  test('a *.neon.tech host with useSecureWebSocket: false is a ConfigError', async () => {
    const db = createDatabase({
      driver: 'neon',
      connectionString: 'postgres://app:pw@ep-x-123.us-east-2.aws.neon.tech/neondb',
      neon: { useSecureWebSocket: false },
    })
    opened.push(db)
    await expect(sql`select 1`.execute(db)).rejects.toBeInstanceOf(ConfigError)
  })
})
