import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, expect, test } from 'vitest'
import {
  createDatabase,
  createTaskStore,
  createUserStore,
  type Database,
  DatabaseUnavailableError,
  migrateToLatest,
} from '../../src/index.js'
import { type ReplicationPair, replicationUnavailableReason, startReplicationPair } from '../support/replication.js'
import { freePort, waitFor } from '../support/throwaway-server.js'
import { SecretWitness } from './secret-scan.js'

const skip = replicationUnavailableReason()
const because = skip ? `(${skip}) ` : ''
let pair: ReplicationPair
let deadPort: number
const opened: Kysely<Database>[] = []

beforeAll(async () => {
  if (skip) return
  pair = await startReplicationPair()
  deadPort = await freePort()
  const db = open(pair.primary.url())
  await migrateToLatest(db, { schema: 'multi_host' })
  await pair.waitForReplay()
}, 60_000)
afterAll(async () => {
  await Promise.all(opened.map((db) => db.destroy()))
  await pair?.dispose()
})

function open(connectionString: string, log?: SecretWitness['log']): Kysely<Database> {
  const db = createDatabase({
    connectionString,
    schema: 'multi_host',
    pool: { max: 2, connectionTimeoutMillis: 2_000 },
    retry: { attempts: 2, baseDelayMs: 20, maxDelayMs: 50 },
    ...(log ? { log } : {}),
  })
  opened.push(db)
  return db
}

/** The URL naming the given nodes in order, a dead port standing for `dead`. */
function urlFor(order: ReadonlyArray<'primary' | 'standby' | 'dead'>, target?: string): string {
  const url = pair.multiHostUrl(
    order.map((name) => (name === 'dead' ? 'primary' : name)),
    target ? `target_session_attrs=${target}` : undefined,
  )
  // multiHostUrl names only real nodes; put the dead port in its place
  const ports = order.map((name) =>
    name === 'dead' ? deadPort : name === 'primary' ? pair.primary.port : pair.standby.port,
  )
  return url.replace(/@[^/]*\//, `@${ports.map((port) => `127.0.0.1:${port}`).join(',')}/`)
}

async function serverPort(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ port: number }>`select inet_server_port() as port`.execute(db)
  return rows[0]!.port
}

const CASES: ReadonlyArray<
  [order: ReadonlyArray<'primary' | 'standby' | 'dead'>, target: string | undefined, lands: 'primary' | 'standby']
> = [
  [['primary', 'standby'], undefined, 'primary'],
  [['standby', 'primary'], undefined, 'primary'],
  [['dead', 'standby', 'primary'], undefined, 'primary'],
  [['standby', 'primary'], 'read-write', 'primary'],
  [['standby', 'primary'], 'primary', 'primary'],
  [['primary', 'standby'], 'standby', 'standby'],
  [['primary', 'dead', 'standby'], 'read-only', 'standby'],
  [['primary', 'standby'], 'prefer-standby', 'standby'],
  [['dead', 'primary'], 'prefer-standby', 'primary'],
  [['standby', 'primary'], 'any', 'standby'],
  [['dead', 'primary', 'standby'], 'any', 'primary'],
]

for (const [order, target, lands] of CASES) {
  test.skipIf(skip !== null)(
    `${because}hosts ${order.join(', ')} with target_session_attrs ${target ?? '(default)'} reach the ${lands}`,
    async () => {
      const db = open(urlFor(order, target))
      const expected = lands === 'primary' ? pair.primary.port : pair.standby.port
      // several checkouts at once, so new connections are opened and each one is checked
      const ports = await Promise.all([serverPort(db), serverPort(db), serverPort(db)])
      expect(ports).toEqual([expected, expected, expected])
    },
  )
}

test.skipIf(skip !== null)(
  `${because}store calls take the same path to the primary when the standby is named first`,
  async () => {
    const db = open(urlFor(['dead', 'standby', 'primary']))
    const user = await createUserStore(db).createUser({ email: `order-${Date.now()}@example.com` })
    const tasks = createTaskStore(db)
    const task = await tasks.createTask(user.id, { title: 'written through a host list' })
    expect((await tasks.getTask(user.id, task.id)).title).toBe('written through a host list')
    const rows = await pair.primary.query(`select title from multi_host.tasks where id = ${task.id}`)
    expect(rows).toEqual([{ title: 'written through a host list' }])
  },
)

test.skipIf(skip !== null)(
  `${because}when no named host is a primary, the call fails as unavailable naming each host, without the password`,
  async () => {
    const witness = new SecretWitness()
    const db = open(urlFor(['dead', 'standby'], 'read-write'), witness.log)
    const error = await witness.failure(createTaskStore(db).countTasks('nobody'))
    expect(error).toBeInstanceOf(DatabaseUnavailableError)
    const message = (error as Error).message
    expect(message).toContain(`127.0.0.1:${deadPort}`)
    expect(message).toContain(`127.0.0.1:${pair.standby.port} is a standby`)
    const password = new URL(pair.primary.url()).password
    expect(witness.leaks([decodeURIComponent(password)])).toEqual([])
  },
)

/**
 * Turns the primary read-only for new transactions, or back. The postmaster
 * signals every server process once it has read the new setting, which a
 * new connection then shows; pooled ones take it before their next statement.
 */
async function setPrimaryReadOnly(on: boolean): Promise<void> {
  await pair.primary.query(
    on ? 'alter system set default_transaction_read_only = on' : 'alter system reset default_transaction_read_only',
  )
  await pair.primary.query('select pg_reload_conf()')
  await waitFor(
    async () => {
      const [row] = (await pair.primary.query('show default_transaction_read_only')) as Record<string, string>[]
      if (row?.default_transaction_read_only !== (on ? 'on' : 'off')) throw new Error('not applied yet')
    },
    5_000,
    'The primary taking default_transaction_read_only',
  )
}

test.skipIf(skip !== null)(
  `${because}a pooled connection whose server turned read-only is discarded, and the next write goes to the host that takes writes`,
  async () => {
    const db = open(urlFor(['primary', 'standby'], 'read-write'))
    const tasks = createTaskStore(db)
    const user = await createUserStore(db).createUser({ email: `readonly-${Date.now()}@example.com` })
    await tasks.createTask(user.id, { title: 'before' })
    await setPrimaryReadOnly(true)
    try {
      // the pooled connection answers 25006 once and is dropped; the new ones find no read-write host
      const failure = await tasks.createTask(user.id, { title: 'refused' }).catch((error: unknown) => error)
      expect(failure).toBeInstanceOf(DatabaseUnavailableError)
      const again = await tasks.createTask(user.id, { title: 'refused again' }).catch((error: unknown) => error)
      expect(again).toBeInstanceOf(DatabaseUnavailableError)
      expect((again as Error).message).toMatch(/read-only primary/)
    } finally {
      await setPrimaryReadOnly(false)
    }
    expect((await tasks.createTask(user.id, { title: 'after' })).title).toBe('after')
    const titles = await pair.primary.query(
      `select title from multi_host.tasks where user_id = '${user.id}' order by id`,
    )
    expect(titles).toEqual([{ title: 'before' }, { title: 'after' }])
  },
)
