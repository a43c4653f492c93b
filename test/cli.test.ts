import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { MIGRATIONS } from '../migrations/index.js'
import { createDatabase } from '../src/index.js'
import { uniqueSchema } from './support/backends.js'
import { builtPackage } from './support/built-package.js'
import { type ProcessResult, REPO_ROOT, runNode } from './support/child-process.js'
import { closedPort } from './support/fake-postgres.js'
import { BAD_SCHEMA_NAMES, SCHEMAS_FROM_BAD_NAMES } from './support/fixtures.js'

const SHIPPED = MIGRATIONS.map(([name]) => name)
const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL

let cli: string
beforeAll(async () => {
  cli = join(await builtPackage(), 'cli.js')
}, 180_000)

/** Runs the built `taskstore` bin with DATABASE_URL set to `databaseUrl` (unset when undefined). */
function taskstore(args: string[], databaseUrl: string | undefined): Promise<ProcessResult> {
  const env = { ...process.env }
  delete env.DATABASE_URL
  if (databaseUrl !== undefined) env.DATABASE_URL = databaseUrl
  return runNode([cli, ...args], { env })
}

describe('taskstore CLI', () => {
  test('the bin is an executable node script', async () => {
    expect((await readFile(cli, 'utf8')).startsWith('#!/usr/bin/env node\n')).toBe(true)
  })

  test('--help prints the usage and exits 0', async () => {
    const result = await taskstore(['--help'], undefined)
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Usage: taskstore migrate <latest|down|status> [--schema NAME] [--url URL]')
    expect(result.stdout).toContain('--version')
  })

  test('--version prints the package version and exits 0', async () => {
    const { version } = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8'))
    for (const flag of ['--version', '-v']) {
      const result = await taskstore([flag], undefined)
      expect(result.code, flag).toBe(0)
      expect(result.stdout.trim()).toBe(version)
    }
  })

  test('an unknown command or option prints the usage and exits 2', async () => {
    const cases: [string[], string][] = [
      [['migrate', 'sideways'], 'unknown action "sideways"'],
      [['migrate'], 'migrate needs latest, down or status'],
      [['deploy'], 'unknown command "deploy"'],
      [['migrate', 'latest', 'now'], 'unexpected argument "now"'],
      [['migrate', 'latest', '--schmea', 'x'], "Unknown option '--schmea'"],
      [[], 'no command given'],
    ]
    for (const [args, reason] of cases) {
      const result = await taskstore(args, 'postgres://root@127.0.0.1:1/x')
      expect(result.code, args.join(' ')).toBe(2)
      expect(result.stderr).toContain(`taskstore: ${reason}`)
      expect(result.stderr).toContain('Usage: taskstore migrate')
    }
  })

  test('without DATABASE_URL or --url it exits 2 and says to set one, in command-line terms', async () => {
    const result = await taskstore(['migrate', 'status'], undefined)
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('taskstore: no database given: set DATABASE_URL or pass --url')
    expect(result.stderr).not.toContain('createDatabase')
  })

  test('with the server unreachable it exits 1 and never prints the password', async () => {
    const password = `cli-Secret-${randomBytes(6).toString('hex')}`
    const port = await closedPort()
    for (const action of ['latest', 'status', 'down']) {
      const result = await taskstore(['migrate', action], `postgres://root:${password}@127.0.0.1:${port}/x`)
      expect(result.code, action).toBe(1)
      expect(result.stderr).toMatch(/^taskstore: .*\(unavailable\)$/m)
      expect(result.stdout + result.stderr).not.toContain(password)
    }
  })
})

// The CLI migrates a server through DATABASE_URL; without TEST_DATABASE_URL there is none to give it.
describe.skipIf(!TEST_DATABASE_URL)('taskstore CLI against PostgreSQL (TEST_DATABASE_URL)', () => {
  const schema = uniqueSchema('cli')
  const db = TEST_DATABASE_URL ? createDatabase({ connectionString: TEST_DATABASE_URL, pool: { max: 1 } }) : null
  afterAll(async () => {
    if (!db) return
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db)
    await db.destroy()
  })

  const statusLines = (stdout: string) =>
    stdout
      .split('\n')
      .filter((line) => line.startsWith('  '))
      .map((line) => line.trim().split(/\s+/))

  test('migrate status on a fresh schema lists every migration as pending', async () => {
    const result = await taskstore(['migrate', 'status', '--schema', schema], TEST_DATABASE_URL)
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain(`Migrations in schema "${schema}":`)
    expect(statusLines(result.stdout)).toEqual(SHIPPED.map((name) => [name, 'pending']))
  })

  test('migrate latest applies every step, then finds the schema up to date', async () => {
    const first = await taskstore(['migrate', 'latest', '--schema', schema], TEST_DATABASE_URL)
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout.trim().split('\n')).toEqual(SHIPPED.map((name) => `applied ${name} in schema "${schema}"`))
    const second = await taskstore(['migrate', 'latest', '--schema', schema], TEST_DATABASE_URL)
    expect(second.code).toBe(0)
    expect(second.stdout.trim()).toBe(`Schema "${schema}" is up to date.`)
  })

  test('migrate status then shows the date each step ran', async () => {
    const result = await taskstore(['migrate', 'status', '--schema', schema], TEST_DATABASE_URL)
    expect(result.code).toBe(0)
    const lines = statusLines(result.stdout)
    expect(lines.map(([name]) => name)).toEqual(SHIPPED)
    for (const [, when] of lines) expect(Number.isNaN(Date.parse(when!))).toBe(false)
  })

  test('--url is used instead of DATABASE_URL', async () => {
    const result = await taskstore(
      ['migrate', 'status', '--schema', schema, '--url', TEST_DATABASE_URL!],
      'postgres://root@127.0.0.1:1/x',
    )
    expect(result.code, result.stderr).toBe(0)
    expect(statusLines(result.stdout).map(([name]) => name)).toEqual(SHIPPED)
  })

  test('migrate down on a schema that does not exist changes nothing and says so', async () => {
    const missing = uniqueSchema('cli_missing')
    const result = await taskstore(['migrate', 'down', '--schema', missing], TEST_DATABASE_URL)
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout.trim()).toBe(`Nothing to revert: schema "${missing}" has no taskstore migrations.`)
    const { rows } = await sql`select 1 from pg_namespace where nspname = ${missing}`.execute(db!)
    expect(rows).toEqual([])
  })

  test('migrate down reverts the latest step, which status then shows as pending', async () => {
    const last = SHIPPED.at(-1)!
    const result = await taskstore(['migrate', 'down', '--schema', schema], TEST_DATABASE_URL)
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout.trim()).toBe(`reverted ${last} in schema "${schema}"`)
    const status = await taskstore(['migrate', 'status', '--schema', schema], TEST_DATABASE_URL)
    expect(statusLines(status.stdout).at(-1)).toEqual([last, 'pending'])
  })
})

describe.skipIf(!TEST_DATABASE_URL)('taskstore CLI --schema names (TEST_DATABASE_URL)', () => {
  const db = TEST_DATABASE_URL ? createDatabase({ connectionString: TEST_DATABASE_URL, pool: { max: 1 } }) : null
  const longest = uniqueSchema('cli_long').padEnd(63, 'x')
  afterAll(async () => {
    if (!db) return
    await sql`drop schema if exists ${sql.id(longest)} cascade`.execute(db)
    await db.destroy()
  })

  test.each(BAD_SCHEMA_NAMES)('--schema %j exits 1 with a ConfigError and creates no schema', async (name) => {
    for (const action of ['latest', 'status', 'down']) {
      const result = await taskstore(['migrate', action, '--schema', name], TEST_DATABASE_URL)
      expect(result.code, action).toBe(1)
      expect(result.stderr).toMatch(/^taskstore: Invalid schema name .*lower-case identifier.*\(config\)$/m)
      expect(result.stdout).toBe('')
    }
    const { rows } = await sql`
      select nspname from pg_catalog.pg_namespace
      where nspname in (${sql.join([...SCHEMAS_FROM_BAD_NAMES])})`.execute(db!)
    expect(rows).toEqual([])
  })

  test('a 63-byte --schema migrates', async () => {
    const result = await taskstore(['migrate', 'latest', '--schema', longest], TEST_DATABASE_URL)
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout.trim().split('\n')).toEqual(SHIPPED.map((name) => `applied ${name} in schema "${longest}"`))
  })
})
