import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { describe, expect, test } from 'vitest'
import { withDatabaseName } from '../support/backends.js'
import { runNode } from '../support/child-process.js'

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL

const EXPECTED = [
  'committed: project Apollo and task',
  'rolled back (budget refused): no Gemini project, no Gemini task',
  'projects: Apollo; tasks: 1',
  'migration tables: app.kysely_migration, taskstore.taskstore_migration',
]

async function runExample(databaseUrl: string): Promise<string> {
  const result = await runNode(['--import', 'tsx', 'examples/host-service.ts'], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
    timeoutMs: 90_000,
  })
  expect(result.code, result.stderr).toBe(0)
  return result.stdout
}

describe('examples/host-service.ts', () => {
  test('on the embedded database: its own table and migrations beside taskstore, one transaction for both', async () => {
    const out = await runExample('')
    expect(out).toContain('host migration 0001_projects: Success')
    for (const line of EXPECTED) expect(out).toContain(line)
  }, 180_000)

  // A server run needs a server; without TEST_DATABASE_URL there is none.
  test.skipIf(!TEST_DATABASE_URL)(
    'on the server in DATABASE_URL, run twice: the second run migrates nothing',
    async () => {
      // A database of its own: Kysely's Migrator in the example reads every schema's tables, and other tests
      // dropping theirs meanwhile made it fail ("schema … does not exist").
      const database = `host_service_${randomBytes(4).toString('hex')}`
      const admin = new pg.Client({ connectionString: TEST_DATABASE_URL })
      await admin.connect()
      try {
        await admin.query(`create database ${database}`)
        const url = withDatabaseName(TEST_DATABASE_URL!, database)
        await runExample(url)
        const second = await runExample(url)
        expect(second).not.toContain('host migration')
        for (const line of EXPECTED) expect(second).toContain(line)
      } finally {
        await admin.query(`drop database if exists ${database} with (force)`)
        await admin.end()
      }
    },
    240_000,
  )
})
