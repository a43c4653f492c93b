import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  ConfigError,
  createDatabase,
  createTaskStore,
  createUserStore,
  type Database,
  migrateToLatest,
} from '../../src/index.js'
import { readRowTimes } from '../../src/stores/row-times.js'
import { uniqueSchema } from '../support/backends.js'
import { TEST_SCRYPT } from '../support/fixtures.js'

describe('readRowTimes', () => {
  const read = (value: unknown, field = 'createdAt') => {
    const rows: Record<string, unknown>[] = [{ id: 1, title: '2026-11-28 21:44:24.102+00', [field]: value }]
    readRowTimes(rows)
    return rows[0]!
  }

  test('reads the text the server prints under DateStyle ISO, and leaves every other field alone', () => {
    expect(read('2026-11-28 21:44:24.102345+05:45')).toEqual({
      id: 1,
      title: '2026-11-28 21:44:24.102+00',
      createdAt: new Date('2026-11-28T15:59:24.102Z'),
    })
    expect(read('0044-03-15 11:16:52-00:43:08 BC').createdAt).toEqual(new Date(Date.UTC(-43, 2, 15, 12)))
  })

  test("keeps Dates, a null completedAt and the infinities; makes epoch milliseconds and another library's date objects Dates", () => {
    const date = new Date('2026-01-02T03:04:05.678Z')
    expect(read(date).createdAt).toBe(date)
    expect(read(null, 'completedAt').completedAt).toBeNull()
    expect(read(Number.POSITIVE_INFINITY).createdAt).toBe(Number.POSITIVE_INFINITY)
    expect(read('-infinity').createdAt).toBe(Number.NEGATIVE_INFINITY)
    expect(read(date.getTime()).createdAt).toEqual(date)
    expect(read({ valueOf: () => date.getTime() }).createdAt).toEqual(date)
  })

  test('refuses a time it cannot read with a ConfigError that names the type parser', () => {
    expect(() => read(['2026'])).toThrow(ConfigError)
    expect(() => read(true)).toThrow(/type parser for timestamptz \(OID 1184\)/)
    expect(() => read('28/11/2026 21:44:24.102 UTC')).toThrow(ConfigError)
    // what node-postgres's own parser makes of a timestamptz printed in another DateStyle
    expect(() => read(null)).toThrow(/createdAt as null.*DateStyle is not ISO/)
    expect(() => read(null, 'updatedAt')).toThrow(ConfigError)
  })
})

const url = process.env.TEST_DATABASE_URL
const TIMESTAMPTZ = 1184

describe.skipIf(!url)(
  `${url ? '' : '[skipped: TEST_DATABASE_URL is not set] '}a host's own pool that reads timestamptz as text`,
  () => {
    const schema = uniqueSchema('host_parsers')
    let own: Kysely<Database>
    let host: Kysely<Database>

    beforeAll(async () => {
      own = createDatabase({ connectionString: url, schema })
      await migrateToLatest(own, { schema })
      // what hosts do to keep a timestamptz's microseconds: the server's text, unparsed
      const types = {
        getTypeParser: (oid: number, format?: 'text' | 'binary') =>
          oid === TIMESTAMPTZ ? (text: string) => text : pg.types.getTypeParser(oid, format),
      }
      const pool = new pg.Pool({ connectionString: url, max: 2, types })
      host = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }).withSchema(schema)
    })
    afterAll(async () => {
      await host?.destroy()
      await own?.destroy()
    })

    test('still gets Dates from every store, the same instants its own database reads', async () => {
      const user = await createUserStore(host, { scrypt: TEST_SCRYPT }).createUser({ email: 'text@example.com' })
      expect(user.createdAt).toBeInstanceOf(Date)
      expect(await createUserStore(own).getUser(user.id)).toEqual(user)
      const tasks = createTaskStore(host)
      const created = await tasks.createTask(user.id, { title: 'first' })
      const toggled = await tasks.toggleComplete(user.id, created.id)
      expect(toggled.completedAt).toBeInstanceOf(Date)
      expect(await createTaskStore(own).getTask(user.id, created.id)).toEqual(toggled)
    })

    test("a pool whose DateStyle is not ISO, read with the driver's own parser, is a ConfigError that names DateStyle", async () => {
      const user = await createUserStore(own, { scrypt: TEST_SCRYPT }).createUser({ email: 'german@example.com' })
      await createTaskStore(own).createTask(user.id, { title: 'datiert' })
      const pool = new pg.Pool({ connectionString: url, max: 1, options: '-c DateStyle=German' })
      const german = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }).withSchema(schema)
      try {
        for (const call of [
          () => createTaskStore(german).getTasks(user.id),
          () => createUserStore(german).getUser(user.id),
        ]) {
          const failure = await call().catch((error: unknown) => error)
          expect(failure).toBeInstanceOf(ConfigError)
          expect((failure as ConfigError).message).toContain('DateStyle')
        }
      } finally {
        await german.destroy()
      }
    })

    test('pages through every task by its cursors under each time sort', async () => {
      const user = await createUserStore(host, { scrypt: TEST_SCRYPT }).createUser({ email: 'pages@example.com' })
      const tasks = createTaskStore(host)
      for (const title of ['a', 'b', 'c', 'd']) {
        const task = await tasks.createTask(user.id, { title })
        if (title !== 'b') await tasks.toggleComplete(user.id, task.id)
      }
      for (const sort of ['createdAt', 'updatedAt', 'completedAt'] as const) {
        const seen: number[] = []
        let cursor: string | undefined
        do {
          const page = await tasks.getTasks(user.id, { sort, limit: 1, cursor })
          seen.push(...page.items.map((task) => task.id))
          cursor = page.nextCursor ?? undefined
        } while (cursor)
        const expected = await createTaskStore(own).getTasks(user.id, { sort })
        expect(seen).toEqual(expected.items.map((task) => task.id))
      }
    })
  },
)
