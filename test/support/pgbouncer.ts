import { accessSync, constants } from 'node:fs'
import { rm } from 'node:fs/promises'
import { delimiter, join } from 'node:path'
import {
  freePort,
  querySuperuser,
  SupervisedProcess,
  serviceAccount,
  serviceTempDir,
  waitFor,
  watchdog,
  writeServiceFile,
} from './throwaway-server.js'

/** How the test PgBouncer pools: like Neon's `-pooler` endpoint, a server connection per transaction. */
export const PGBOUNCER_POOL_SIZE = 4

/** The pgbouncer executable on PATH or in the sbin folders Debian installs it to, or null. */
export function pgbouncerBinary(): string | null {
  const folders = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin']
  for (const folder of folders) {
    const candidate = join(folder, 'pgbouncer')
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not in this folder
    }
  }
  return null
}

/** Why PgBouncer cannot run here, or null when it can. */
export function pgbouncerUnavailableReason(): string | null {
  if (!process.env.TEST_DATABASE_URL)
    return 'TEST_DATABASE_URL is not set (PgBouncer needs a server to sit in front of)'
  if (!pgbouncerBinary()) return 'the pgbouncer binary is not installed (apt-get install -y pgbouncer)'
  return null
}

/** A running PgBouncer in front of one PostgreSQL server. */
export interface PgBouncer {
  readonly port: number
  /** `target` with host and port replaced by PgBouncer's. */
  readonly url: string
  /** The local TCP ports of PgBouncer's current server connections (admin console `SHOW SERVERS`). */
  serverPorts(): Promise<number[]>
  /** Lets a role made after start log in too: even trust needs the name in the auth file. */
  admitUser(name: string): Promise<void>
  /**
   * Replaces every server connection (admin console `RECONNECT`), so a
   * setting changed on the server (`ALTER ROLE … SET`) reaches new clients:
   * PgBouncer keeps the settings its first server connection reported.
   */
  reconnect(): Promise<void>
  stop(): Promise<void>
}

/**
 * Starts PgBouncer on a free loopback port in front of the server of
 * `targetUrl`, in transaction pooling mode with a server pool of
 * {@link PGBOUNCER_POOL_SIZE}. It runs as the `postgres` OS user (it refuses
 * root) and a watchdog stops it if this process dies first.
 *
 * @example
 * ```ts
 * const bouncer = await startPgBouncer(process.env.TEST_DATABASE_URL!)
 * try { createDatabase({ connectionString: bouncer.url }) … } finally { await bouncer.stop() }
 * ```
 */
export async function startPgBouncer(targetUrl: string, options: { poolSize?: number } = {}): Promise<PgBouncer> {
  const binary = pgbouncerBinary()
  if (!binary) throw new Error('pgbouncer is not installed: apt-get install -y pgbouncer')
  const target = new URL(targetUrl)
  const user = decodeURIComponent(target.username || process.env.USER || 'postgres')
  const password = decodeURIComponent(target.password)
  const account = await serviceAccount()
  const dir = await serviceTempDir(account, 'taskstore-pgbouncer-')
  const removeFolder = watchdog(`sleep 3; rm -rf '${dir}'`)
  const port = await freePort()
  const quote = (text: string) => `"${text.replaceAll('"', '""')}"`

  // Clients are trusted on loopback; PgBouncer logs in to the server with the auth file's password.
  const users = [`${quote(user)} ${quote(password)}`]
  const writeUsers = () => writeServiceFile(account, join(dir, 'userlist.txt'), `${users.join('\n')}\n`)
  await writeUsers()
  await writeServiceFile(
    account,
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${target.hostname} port=${target.port || 5432}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `admin_users = ${user}`,
      `auth_file = ${join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      `default_pool_size = ${options.poolSize ?? PGBOUNCER_POOL_SIZE}`,
      'min_pool_size = 0',
      'reserve_pool_size = 0',
      'max_client_conn = 500',
      'server_lifetime = 60',
      'server_idle_timeout = 10',
      'log_connections = 0',
      'log_disconnections = 0',
      '',
    ].join('\n'),
  )

  const process_ = new SupervisedProcess(binary, [join(dir, 'pgbouncer.ini')], { account, signal: 'SIGTERM' })
  const url = new URL(targetUrl)
  url.hostname = '127.0.0.1'
  url.port = String(port)

  try {
    await waitFor(
      async () => {
        if (!process_.running) throw new Error(`pgbouncer exited: ${process_.output}`)
        await probe(url.toString())
      },
      15_000,
      'PgBouncer',
    )
  } catch (error) {
    await process_.stop('SIGTERM')
    await rm(dir, { recursive: true, force: true })
    removeFolder()
    throw error
  }

  return {
    port,
    url: url.toString(),
    async serverPorts() {
      const rows = (await querySuperuser(adminUrl(url), 'SHOW SERVERS')) as Record<string, unknown>[]
      return rows.map((row) => Number(row.local_port)).filter((port) => Number.isInteger(port))
    },
    async admitUser(name) {
      users.push(`${quote(name)} ""`)
      await writeUsers()
      await querySuperuser(adminUrl(url), 'RELOAD')
    },
    async reconnect() {
      await querySuperuser(adminUrl(url), 'RECONNECT')
    },
    async stop() {
      // SIGTERM: immediate shutdown, open client connections are closed.
      await process_.stop('SIGTERM')
      await rm(dir, { recursive: true, force: true })
      removeFolder()
    },
  }
}

/** The admin console of the PgBouncer at `url`. */
function adminUrl(url: URL): string {
  const admin = new URL(url)
  admin.pathname = '/pgbouncer'
  return admin.toString()
}

async function probe(url: string): Promise<void> {
  const pg = await import('pg')
  const client = new pg.default.Client({ connectionString: url, connectionTimeoutMillis: 1_000 })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('select 1')
  } finally {
    await client.end().catch(() => {})
  }
}
