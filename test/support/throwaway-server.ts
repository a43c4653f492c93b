import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { accessSync, constants } from 'node:fs'
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Where Debian puts the PostgreSQL 15 server binaries. */
export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin'

/** Why a throwaway server cannot be started here (no PostgreSQL server binaries), or null when it can. */
export function throwawayServerUnavailableReason(): string | null {
  try {
    accessSync(join(PG_BIN, 'initdb'), constants.X_OK)
    accessSync(join(PG_BIN, 'postgres'), constants.X_OK)
    return null
  } catch {
    return `PostgreSQL server binaries are not in ${PG_BIN} (apt-get install -y postgresql-15, or set PG_BIN)`
  }
}

/** The OS account throwaway servers and PgBouncer run as: both refuse to run as root. */
export interface ServiceAccount {
  readonly name: string
  readonly uid: number
  readonly gid: number
}

/** The account to run database processes as: the `postgres` user when we are root, else ourselves. */
export async function serviceAccount(): Promise<ServiceAccount> {
  const uid = process.getuid?.() ?? 0
  if (uid !== 0) return { name: process.env.USER ?? 'self', uid, gid: process.getgid?.() ?? 0 }
  const { stdout: userId } = await run('id', ['-u', 'postgres'])
  const { stdout: groupId } = await run('id', ['-g', 'postgres'])
  return { name: 'postgres', uid: Number(userId.trim()), gid: Number(groupId.trim()) }
}

/** A directory under the system temp folder owned by the service account. */
export async function serviceTempDir(account: ServiceAccount, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  await chown(dir, account.uid, account.gid)
  await chmod(dir, 0o700)
  return dir
}

/** Writes a file the service account owns. */
export async function writeServiceFile(account: ServiceAccount, path: string, text: string, mode = 0o600) {
  await writeFile(path, text, { mode })
  await chown(path, account.uid, account.gid)
}

/** A TCP port on the loopback interface that nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/**
 * Runs `script` (bash) once our own process has gone away, however it goes:
 * the watchdog blocks reading a pipe only we hold open, and EOF wakes it.
 * Call the returned function to run the script now (and end the watchdog).
 */
export function watchdog(script: string): () => void {
  const child = spawn('bash', ['-c', `read -r _; ${script}`], { stdio: ['pipe', 'ignore', 'ignore'], detached: true })
  child.unref()
  const stdin = child.stdin as (NodeJS.WritableStream & { unref?: () => void }) | null
  stdin?.unref?.()
  return () => stdin?.end()
}

/**
 * A process this test run started, as the service account, killed by a
 * {@link watchdog} if our process dies before stopping it.
 */
export class SupervisedProcess {
  readonly child: ChildProcess
  readonly #release: () => void
  readonly #exited: Promise<number | null>
  #output = ''

  constructor(command: string, args: readonly string[], options: { account: ServiceAccount; signal: NodeJS.Signals }) {
    this.child = spawn(command, args, { uid: options.account.uid, gid: options.account.gid, stdio: 'pipe' })
    const collect = (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString()).slice(-20_000)
    }
    this.child.stdout?.on('data', collect)
    this.child.stderr?.on('data', collect)
    this.#exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)))
    const pid = this.child.pid
    // Ask politely, then make sure; a postmaster's children exit when it dies.
    this.#release = watchdog(
      `kill -${options.signal.slice(3)} ${pid} 2>/dev/null; sleep 2; kill -KILL ${pid} 2>/dev/null`,
    )
    this.child.unref()
    for (const stream of [this.child.stdout, this.child.stderr, this.child.stdin]) {
      ;(stream as unknown as { unref?: () => void } | null)?.unref?.()
    }
  }

  /** The last 20 kB the process wrote to stdout and stderr. */
  get output(): string {
    return this.#output
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /** Resolves with the exit code once the process has ended. */
  exited(): Promise<number | null> {
    return this.#exited
  }

  /** Sends `signal`, waits for the exit (SIGKILL after `graceMs`) and releases the watchdog. */
  async stop(signal: NodeJS.Signals, graceMs = 10_000): Promise<void> {
    if (this.running) {
      this.child.kill(signal)
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs)
      await this.#exited
      clearTimeout(timer)
    }
    this.#release()
  }
}

/** Waits until `probe` resolves, retrying every 50 ms, or fails after `timeoutMs`. */
export async function waitFor(probe: () => Promise<unknown>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      await probe()
      return
    } catch (error) {
      last = error
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  throw new Error(`${what} did not become ready within ${timeoutMs} ms: ${String(last)}`)
}

/** A login role with a password, created on the throwaway server. */
export interface PasswordRole {
  readonly user: string
  readonly password: string
  readonly database: string
}

/** TLS material made with openssl for one throwaway server. */
export interface TestCertificates {
  /** The CA that signed the server certificate (PEM). */
  readonly ca: string
  /** Another self-signed CA that signed nothing this server uses (PEM). */
  readonly otherCa: string
  /** The host name the server certificate is issued to. */
  readonly serverName: string
  /** The server's certificate and private key (PEM), for other test servers that present the same identity. */
  readonly serverCert: string
  readonly serverKey: string
}

export interface ThrowawayServerOptions {
  /** Turn `ssl = on` with a CA and server certificate made by openssl. */
  readonly tls?: boolean
  /** Create a login role protected by a SCRAM password (and a database it owns). */
  readonly passwordRole?: boolean
  /** Let the superuser open replication connections over loopback (for a streaming standby). */
  readonly replication?: boolean
  /** More `postgresql.conf` lines, such as `max_prepared_transactions = 4`. */
  readonly settings?: readonly string[]
}

/**
 * A PostgreSQL server of our own: `initdb` into a temp folder, listening on a
 * free loopback port, for tests that stop, restart or reconfigure a server.
 * The shared server on 5432 is never touched.
 */
export interface ThrowawayServer {
  readonly host: '127.0.0.1'
  readonly port: number
  readonly dataDir: string
  /** Superuser `postgres`, trust authentication over loopback. */
  readonly superuserUrl: string
  readonly role: PasswordRole | null
  readonly certificates: TestCertificates | null
  /** A URL for the password role (or the superuser), with optional host and query. */
  url(options?: { host?: string; query?: string }): string
  /** Fast shutdown (or immediate, which is a crash as far as clients see it). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>
  start(): Promise<void>
  restart(mode?: 'fast' | 'immediate'): Promise<void>
  /** Stops the server and deletes its data folder. */
  dispose(): Promise<void>
}

/**
 * Starts a throwaway PostgreSQL 15 server. Takes ~1–2 s (initdb dominates).
 *
 * @example
 * ```ts
 * const server = await startThrowawayServer({ passwordRole: true })
 * try { … createDatabase({ connectionString: server.url() }) … } finally { await server.dispose() }
 * ```
 */
export async function startThrowawayServer(options: ThrowawayServerOptions = {}): Promise<ThrowawayServer> {
  const account = await serviceAccount()
  const root = await serviceTempDir(account, 'taskstore-pg-')
  // Whatever happens to this process, the folder goes once the server is gone.
  const removeFolder = watchdog(`sleep 3; rm -rf '${root}'`)
  const dataDir = join(root, 'data')
  const port = await freePort()
  const bin = (name: string) => join(PG_BIN, name)

  await run(bin('initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '-N'], {
    uid: account.uid,
    gid: account.gid,
    env: { ...process.env, LC_ALL: 'C' },
  })

  let certificates: TestCertificates | null = null
  const settings = [
    `listen_addresses = '127.0.0.1'`,
    `port = ${port}`,
    `unix_socket_directories = ''`,
    'fsync = off',
    'max_connections = 50',
    `password_encryption = 'scram-sha-256'`,
    ...(options.settings ?? []),
  ]
  if (options.tls) {
    certificates = await makeCertificates(account, root)
    settings.push('ssl = on', `ssl_cert_file = '${root}/server.crt'`, `ssl_key_file = '${root}/server.key'`)
  }
  await writeServiceFile(account, join(dataDir, 'postgresql.auto.conf'), `${settings.join('\n')}\n`)
  await writeServiceFile(
    account,
    join(dataDir, 'pg_hba.conf'),
    [
      'host all postgres 127.0.0.1/32 trust',
      ...(options.replication ? ['host replication postgres 127.0.0.1/32 trust'] : []),
      'host all all 127.0.0.1/32 scram-sha-256',
      '',
    ].join('\n'),
  )

  const superuserUrl = `postgres://postgres@127.0.0.1:${port}/postgres`
  const { start, stop } = superviseServer(account, dataDir, superuserUrl)

  await start()
  let role: PasswordRole | null = null
  if (options.passwordRole) {
    role = { user: 'taskstore_app', password: `pw-${randomBytes(12).toString('hex')}`, database: 'taskstore' }
    await querySuperuser(superuserUrl, `create role ${role.user} login password '${role.password}'`)
    await querySuperuser(superuserUrl, `create database ${role.database} owner ${role.user}`)
  }

  return {
    host: '127.0.0.1',
    port,
    dataDir,
    superuserUrl,
    role,
    certificates,
    url({ host = '127.0.0.1', query } = {}) {
      const credentials = role ? `${role.user}:${encodeURIComponent(role.password)}` : 'postgres'
      const database = role ? role.database : 'postgres'
      return `postgres://${credentials}@${host}:${port}/${database}${query ? `?${query}` : ''}`
    },
    stop,
    start,
    async restart(mode) {
      await stop(mode)
      await start()
    },
    async dispose() {
      await stop('fast')
      await rm(root, { recursive: true, force: true })
      removeFolder()
    },
  }
}

/** Starts and stops the postmaster of one data folder as the service account. */
export interface ServerControl {
  /** Starts the server and waits until it accepts `select 1` from the superuser. */
  start(): Promise<void>
  /** Fast shutdown, or immediate (what `pg_ctl -m immediate stop` sends: a crash as far as clients see it). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>
}

/**
 * Runs `postgres -D dataDir` as the service account, supervised so that it
 * dies with the test process.
 */
export function superviseServer(account: ServiceAccount, dataDir: string, superuserUrl: string): ServerControl {
  let server: SupervisedProcess | null = null
  return {
    async start() {
      if (server) return
      const current = new SupervisedProcess(join(PG_BIN, 'postgres'), ['-D', dataDir], { account, signal: 'SIGQUIT' })
      server = current
      await waitFor(
        async () => {
          if (!current.running) throw new Error(`postgres exited: ${current.output}`)
          await querySuperuser(superuserUrl, 'select 1')
        },
        30_000,
        'The throwaway PostgreSQL server',
      )
    },
    async stop(mode: 'fast' | 'immediate' = 'fast') {
      const current = server
      server = null
      // SIGINT is a fast shutdown (clients are disconnected); SIGQUIT an immediate one, like a crash.
      await current?.stop(mode === 'fast' ? 'SIGINT' : 'SIGQUIT')
    },
  }
}

/** Runs one statement as a given URL's user on a client of its own. */
export async function querySuperuser(url: string, text: string): Promise<unknown[]> {
  const pg = await import('pg')
  const client = new pg.default.Client({ connectionString: url, connectionTimeoutMillis: 2_000 })
  client.on('error', () => {})
  try {
    await client.connect()
    return (await client.query(text)).rows
  } finally {
    await client.end().catch(() => {})
  }
}

async function makeCertificates(account: ServiceAccount, dir: string): Promise<TestCertificates> {
  const serverName = 'localhost'
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir })
  const days = ['-days', '2']
  for (const name of ['test-ca', 'other-ca']) {
    await openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      ...days,
      '-subj',
      `/CN=taskstore ${name}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    )
  }
  const subject = `/CN=${serverName}`
  await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', subject, '-keyout', 'server.key', '-out', 'server.csr')
  await writeFile(join(dir, 'server.ext'), `subjectAltName=DNS:${serverName}\nextendedKeyUsage=serverAuth\n`)
  await openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'test-ca.crt',
    '-CAkey',
    'test-ca.key',
    '-CAcreateserial',
    ...days,
    '-out',
    'server.crt',
    '-extfile',
    'server.ext',
  )
  const serverCert = await readFile(join(dir, 'server.crt'), 'utf8')
  const serverKey = await readFile(join(dir, 'server.key'), 'utf8')
  for (const file of ['server.key', 'server.crt']) {
    await chown(join(dir, file), account.uid, account.gid)
    await chmod(join(dir, file), 0o600)
  }
  return {
    ca: await readFile(join(dir, 'test-ca.crt'), 'utf8'),
    otherCa: await readFile(join(dir, 'other-ca.crt'), 'utf8'),
    serverName,
    serverCert,
    serverKey,
  }
}
