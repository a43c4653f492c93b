import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { describe, expect, test } from 'vitest'
import { MIGRATIONS } from '../migrations/index.js'
import { createUserStore, migrationStatus, type QueryLogEvent } from '../src/index.js'
import { createEmbeddedDatabase, createMemoryDatabase } from '../src/testing/index.js'
import { runNode } from './support/child-process.js'

const SHIPPED = MIGRATIONS.map(([name]) => name)

describe('createMemoryDatabase', () => {
  test('returns a database with every migration applied', async () => {
    const db = await createMemoryDatabase()
    try {
      const status = await migrationStatus(db)
      expect(status.map((step) => step.name)).toEqual(SHIPPED)
      expect(status.every((step) => step.executedAt instanceof Date)).toBe(true)
      expect(await db.selectFrom('tasks').selectAll().execute()).toEqual([])
    } finally {
      await db.destroy()
    }
  })

  test('gives each call a database of its own', async () => {
    const [first, second] = await Promise.all([createMemoryDatabase(), createMemoryDatabase()])
    try {
      await first.insertInto('users').values({ id: 'u1', email: 'ada@example.com' }).execute()
      expect(await second.selectFrom('users').selectAll().execute()).toEqual([])
    } finally {
      await Promise.all([first.destroy(), second.destroy()])
    }
  })

  test('migrates into and queries the schema option', async () => {
    const db = await createMemoryDatabase({ schema: 'store' })
    try {
      await db.insertInto('users').values({ id: 'u1', email: 'ada@example.com' }).execute()
      const { rows } = await sql<{ email: string }>`select email from ${sql.id('store', 'users')}`.execute(db)
      expect(rows).toEqual([{ email: 'ada@example.com' }])
      expect((await migrationStatus(db)).every((step) => step.executedAt !== null)).toBe(true)
    } finally {
      await db.destroy()
    }
  })
})

describe('createEmbeddedDatabase', () => {
  test('returns a migrated database that behaves as Postgres: a rolled-back write is gone', async () => {
    const db = await createEmbeddedDatabase()
    try {
      expect((await migrationStatus(db)).every((step) => step.executedAt !== null)).toBe(true)
      await db
        .transaction()
        .execute(async (trx) => {
          await trx.insertInto('users').values({ id: 'u1', email: 'ada@example.com' }).execute()
          throw new Error('roll back')
        })
        .catch(() => {})
      expect(await db.selectFrom('users').selectAll().execute()).toEqual([])
    } finally {
      await db.destroy()
    }
  })

  test('with dataDir, data written by one process is there for the next one', async () => {
    const dataDir = join(await mkdtemp(join(tmpdir(), 'taskstore-embedded-')), 'data')
    const child = (...args: string[]) =>
      runNode(['--import', 'tsx', 'test/support/embedded-child.ts', dataDir, ...args], { timeoutMs: 60_000 })
    try {
      const written = await child('write', 'ada@example.com')
      expect(written.code, written.stderr).toBe(0)
      const read = await child('read')
      expect(read.code, read.stderr).toBe(0)
      expect(JSON.parse(read.stdout.trim().split('\n').at(-1)!)).toEqual({ emails: ['ada@example.com'] })
    } finally {
      await rm(join(dataDir, '..'), { recursive: true, force: true })
    }
  })
})

describe('both testing helpers take a log hook, like createDatabase', () => {
  test.each([
    ['createMemoryDatabase', createMemoryDatabase],
    ['createEmbeddedDatabase', createEmbeddedDatabase],
  ] as const)('%s reports each query, without parameters unless asked', async (_, open) => {
    const events: QueryLogEvent[] = []
    const db = await open({ schema: 'with_log', log: (event) => events.push(event) })
    try {
      const user = await createUserStore(db).createUser({ email: 'logged@example.com' })
      const created = events.find((event) => /insert into "with_log"\."users"/.test(event.sql))
      expect(created).toBeDefined()
      expect(created!.durationMs).toBeGreaterThanOrEqual(0)
      expect(JSON.stringify(events)).not.toContain('logged@example.com')
      expect(JSON.stringify(events)).not.toContain(user.id)
    } finally {
      await db.destroy()
    }
  })
})
