import { execFile } from 'node:child_process'
import { appendFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import {
  freePort,
  PG_BIN,
  querySuperuser,
  type ServerControl,
  serviceAccount,
  serviceTempDir,
  startThrowawayServer,
  superviseServer,
  type ThrowawayServer,
  throwawayServerUnavailableReason,
  waitFor,
  watchdog,
} from './throwaway-server.js'

const run = promisify(execFile)

/**
 * Why a primary with a streaming standby cannot be made here, or null when
 * it can: the server binaries (with `pg_basebackup` and `pg_ctl`) must be
 * installed, and we must be root to run them as the `postgres` account.
 */
export function replicationUnavailableReason(): string | null {
  const binaries = throwawayServerUnavailableReason()
  if (binaries) return binaries
  if ((process.getuid?.() ?? -1) !== 0) {
    return 'a primary and standby are made as the postgres OS account, which needs the tests to run as root'
  }
  return null
}

/** One node of the pair, as a test sees it. */
export interface ReplicationNode {
  readonly port: number
  readonly dataDir: string
  /** The superuser on this node, trust over loopback. */
  readonly superuserUrl: string
  /** The application role's URL on this node only. */
  url(query?: string): string
  /** Runs one statement as the superuser on this node. */
  query(text: string): Promise<unknown[]>
}

/** A throwaway primary with one streaming standby made by `pg_basebackup -R`. */
export interface ReplicationPair {
  readonly primary: ReplicationNode
  readonly standby: ReplicationNode
  /**
   * One connection string naming both nodes, in the order given
   * (`postgres://u:p@127.0.0.1:P1,127.0.0.1:P2/db?…`).
   */
  multiHostUrl(order: ReadonlyArray<'primary' | 'standby'>, query?: string): string
  /** Delays the standby's replay of each commit by `ms` (`recovery_min_apply_delay`); 0 removes the delay. */
  setApplyDelay(ms: number): Promise<void>
  /**
   * Makes every commit on the primary wait until the standby has applied it
   * (`synchronous_standby_names = '*'`, `synchronous_commit = remote_apply`),
   * and waits until the standby reports itself synchronous.
   */
  makeSynchronous(): Promise<void>
  /** Waits until the standby has replayed everything the primary has written so far. */
  waitForReplay(timeoutMs?: number): Promise<void>
  /** Crashes the primary (SIGQUIT, which is what `pg_ctl -m immediate stop` sends). */
  crashPrimary(): Promise<void>
  /** `pg_ctl promote` on the standby; resolves once it accepts writes, with how long that took in ms. */
  promoteStandby(): Promise<number>
  stopStandby(): Promise<void>
  startStandby(): Promise<void>
  /** Stops both servers and deletes their folders. */
  dispose(): Promise<void>
}

/**
 * Starts a throwaway primary (with a password role and its database) and a
 * streaming standby of it, each on a free loopback port, both run as the
 * service account. Takes about 1.5–3 s. `settings` are more
 * `postgresql.conf` lines for the primary, which the standby copies.
 *
 * @example
 * ```ts
 * const pair = await startReplicationPair()
 * try { … pair.multiHostUrl(['standby', 'primary']) … } finally { await pair.dispose() }
 * ```
 */
export async function startReplicationPair(options: { settings?: readonly string[] } = {}): Promise<ReplicationPair> {
  const primaryServer = await startThrowawayServer({
    passwordRole: true,
    replication: true,
    settings: options.settings,
  })
  const account = await serviceAccount()
  const root = await serviceTempDir(account, 'taskstore-standby-')
  const removeFolder = watchdog(`sleep 3; rm -rf '${root}'`)
  const standbyDir = join(root, 'data')
  const asService = { uid: account.uid, gid: account.gid, env: { ...process.env, LC_ALL: 'C' } }
  let standbyControl: ServerControl | null = null
  try {
    await run(
      join(PG_BIN, 'pg_basebackup'),
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(primaryServer.port),
        '-U',
        'postgres',
        '-D',
        standbyDir,
        '-R',
        '-X',
        'stream',
        '-c',
        'fast',
      ],
      asService,
    )
    const standbyPort = await freePort()
    // The copied settings carry the primary's port; a later line wins.
    await appendFile(join(standbyDir, 'postgresql.auto.conf'), `port = ${standbyPort}\n`)
    const standbySuperuser = `postgres://postgres@127.0.0.1:${standbyPort}/postgres`
    standbyControl = superviseServer(account, standbyDir, standbySuperuser)
    await standbyControl.start()
    const standby = nodeOf(primaryServer, standbyPort, standbyDir, standbySuperuser)
    const primary = nodeOf(primaryServer, primaryServer.port, primaryServer.dataDir, primaryServer.superuserUrl)
    const control = standbyControl
    const pair: ReplicationPair = {
      primary,
      standby,
      multiHostUrl(order, query) {
        const role = primaryServer.role!
        const hosts = order.map((name) => `127.0.0.1:${(name === 'primary' ? primary : standby).port}`).join(',')
        const credentials = `${role.user}:${encodeURIComponent(role.password)}`
        return `postgres://${credentials}@${hosts}/${role.database}${query ? `?${query}` : ''}`
      },
      async setApplyDelay(ms) {
        await standby.query(`alter system set recovery_min_apply_delay = '${Math.trunc(ms)}ms'`)
        await standby.query('select pg_reload_conf()')
        await waitFor(
          async () => {
            const [row] = (await standby.query(`select current_setting('recovery_min_apply_delay') as delay`)) as {
              delay: string
            }[]
            const expected = ms === 0 ? '0' : `${Math.trunc(ms)}ms`
            if (row?.delay !== expected) throw new Error(`recovery_min_apply_delay is ${row?.delay}`)
          },
          5_000,
          'The standby apply delay',
        )
      },
      async makeSynchronous() {
        await primary.query(`alter system set synchronous_standby_names = '*'`)
        await primary.query(`alter system set synchronous_commit = 'remote_apply'`)
        await primary.query('select pg_reload_conf()')
        await waitFor(
          async () => {
            const rows = (await primary.query(
              `select sync_state from pg_stat_replication where sync_state = 'sync'`,
            )) as unknown[]
            if (rows.length === 0) throw new Error('no synchronous standby yet')
          },
          10_000,
          'Synchronous replication',
        )
      },
      async waitForReplay(timeoutMs = 10_000) {
        const [row] = (await primary.query('select pg_current_wal_lsn()::text as lsn')) as { lsn: string }[]
        await waitFor(
          async () => {
            const [replayed] = (await standby.query(
              `select pg_last_wal_replay_lsn() >= '${row!.lsn}'::pg_lsn as done`,
            )) as { done: boolean }[]
            if (!replayed?.done) throw new Error(`the standby has not replayed ${row!.lsn}`)
          },
          timeoutMs,
          'Standby replay',
        )
      },
      crashPrimary: () => primaryServer.stop('immediate'),
      async promoteStandby() {
        const started = performance.now()
        await run(join(PG_BIN, 'pg_ctl'), ['promote', '-w', '-D', standbyDir], asService)
        await waitFor(
          async () => {
            const [row] = (await standby.query('select pg_is_in_recovery() as recovery')) as { recovery: boolean }[]
            if (row?.recovery !== false) throw new Error('still in recovery')
          },
          10_000,
          'The promoted standby',
        )
        return performance.now() - started
      },
      stopStandby: () => control.stop('fast'),
      startStandby: () => control.start(),
      async dispose() {
        await control.stop('fast')
        await primaryServer.dispose()
        await rm(root, { recursive: true, force: true })
        removeFolder()
      },
    }
    return pair
  } catch (error) {
    await standbyControl?.stop('immediate')
    await primaryServer.dispose()
    await rm(root, { recursive: true, force: true })
    removeFolder()
    throw error
  }
}

function nodeOf(server: ThrowawayServer, port: number, dataDir: string, superuserUrl: string): ReplicationNode {
  const role = server.role!
  return {
    port,
    dataDir,
    superuserUrl,
    url(query) {
      const credentials = `${role.user}:${encodeURIComponent(role.password)}`
      return `postgres://${credentials}@127.0.0.1:${port}/${role.database}${query ? `?${query}` : ''}`
    },
    query: (text) => querySuperuser(superuserUrl.replace(/\/postgres$/, `/${role.database}`), text),
  }
}
