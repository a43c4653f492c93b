import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createDatabase, migrateToLatest, migrationStatus } from '../../src/index.js'
import { uniqueSchema } from '../support/backends.js'
import { type PgBouncer, pgbouncerUnavailableReason, startPgBouncer } from '../support/pgbouncer.js'

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
const skipReason = pgbouncerUnavailableReason()

// A separate OS process: connects through PgBouncer, waits for "go" on stdin,
// migrates, prints the JSON result and exits.
const CHILD = `
import { createDatabase, migrateToLatest } from './src/index.ts'
const [url, schema] = process.argv.slice(-2)
const db = createDatabase({ connectionString: url, schema, pool: { max: 2 } })
await db.selectNoFrom((eb) => eb.lit(1).as('warm')).execute()
process.stdout.write('ready\\n')
await new Promise((resolve) => process.stdin.once('data', resolve))
try {
  process.stdout.write(JSON.stringify(await migrateToLatest(db)) + '\\n')
} catch (error) {
  process.stdout.write(JSON.stringify({ error: String(error) }) + '\\n')
}
await db.destroy()
`

interface Child {
  ready: Promise<void>
  result: Promise<{ applied?: string[]; error?: string }>
  go(): void
}

function startMigratingProcess(url: string, schema: string): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD, '--', url, schema], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      stdout += chunk
      if (stdout.startsWith('ready\n')) resolve()
    })
    child.once('close', () => reject(new Error(`child exited before it was ready: ${stderr}`)))
  })
  const result = new Promise<{ applied?: string[]; error?: string }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`migrating child hung: ${stderr}`))
    }, 60_000)
    child.once('close', (code) => {
      clearTimeout(timer)
      const line = stdout.split('\n')[1]
      if (code === 0 && line) resolve(JSON.parse(line))
      else reject(new Error(`child exited with ${code}: ${stdout}\n${stderr}`))
    })
  })
  return { ready, result, go: () => child.stdin.end('go\n') }
}

describe.skipIf(skipReason !== null)(`pgbouncer: concurrent migrations${skipReason ? ` (${skipReason})` : ''}`, () => {
  let bouncer: PgBouncer
  let direct: Kysely<any>

  beforeAll(async () => {
    bouncer = await startPgBouncer(process.env.TEST_DATABASE_URL!)
    direct = createDatabase({ connectionString: process.env.TEST_DATABASE_URL, pool: { max: 2 } })
  })
  afterAll(async () => {
    await direct?.destroy()
    await bouncer?.stop()
  })

  /** Advisory locks held by PgBouncer's server connections, or keyed on `schema` by anyone. */
  async function leftoverLocks(schema: string): Promise<unknown[]> {
    const ports = await bouncer.serverPorts()
    const { rows } = await sql`
      select l.pid, l.classid, l.objid, l.objsubid, l.granted
      from pg_locks l left join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory'
        and (a.client_port = any(${ports}::int[])
             or (l.classid::int = hashtext('taskstore_migration') and l.objid::int = hashtext(${schema})))`.execute(
      direct,
    )
    return rows
  }

  test('the lock probe sees a session lock left behind on a pooled server connection', async () => {
    const schema = uniqueSchema('pgb')
    const pooled = createDatabase({ connectionString: bouncer.url, pool: { max: 1 } })
    try {
      // What Kysely's own session lock does when its unlock lands on another server connection.
      await sql`select pg_advisory_lock(hashtext('taskstore_migration'), hashtext(${schema}))`.execute(pooled)
      const leaked = (await leftoverLocks(schema)) as { pid: number }[]
      expect(leaked).toHaveLength(1)
      await sql`select pg_terminate_backend(${leaked[0]!.pid})`.execute(direct)
    } finally {
      await pooled.destroy()
    }
  })

  test('two processes migrating one schema at once: one applies everything, the other finds nothing to do', async () => {
    const schema = uniqueSchema('pgb')
    const children = [startMigratingProcess(bouncer.url, schema), startMigratingProcess(bouncer.url, schema)]
    await Promise.all(children.map((child) => child.ready))
    for (const child of children) child.go()
    const results = await Promise.all(children.map((child) => child.result))

    expect(results.map((result) => result.error)).toEqual([undefined, undefined])
    const applied = results.map((result) => result.applied ?? []).sort((a, b) => b.length - a.length)
    const status = await migrationStatus(direct, { schema })
    expect(applied[0]).toEqual(status.map((migration) => migration.name))
    expect(applied[1]).toEqual([])
    expect(status.every((migration) => migration.executedAt instanceof Date)).toBe(true)
    expect(await leftoverLocks(schema)).toEqual([])
    await sql`drop schema ${sql.id(schema)} cascade`.execute(direct)
  })

  test('twenty rounds of four racing migrators, with other traffic reshuffling server connections, leave no lock behind', async () => {
    const ROUNDS = 20
    const pools = Array.from({ length: 4 }, () => createDatabase({ connectionString: bouncer.url, pool: { max: 3 } }))
    let stopTraffic = false
    // Short transactions from another pool keep PgBouncer handing server connections around.
    const noise = createDatabase({ connectionString: bouncer.url, pool: { max: 4 } })
    const traffic = Array.from({ length: 4 }, async () => {
      while (!stopTraffic) await sql`select pg_sleep(0.001)`.execute(noise)
    })
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const schema = uniqueSchema('pgb')
        const results = await Promise.all(pools.map((db) => migrateToLatest(db, { schema })))
        const sizes = results.map((result) => result.applied.length).sort((a, b) => b - a)
        expect(sizes[0]).toBeGreaterThan(0)
        expect(sizes.slice(1)).toEqual([0, 0, 0])
        expect(await leftoverLocks(schema)).toEqual([])
        await sql`drop schema ${sql.id(schema)} cascade`.execute(direct)
      }
    } finally {
      stopTraffic = true
      await Promise.all(traffic)
      await Promise.all([...pools, noise].map((db) => db.destroy()))
    }
  })
})
