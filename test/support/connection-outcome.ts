import { execFile } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { join } from 'node:path'
import type { ConnectionOptions } from 'node:tls'
import { PG_BIN } from './throwaway-server.js'

/**
 * How one client fared against a server whose certificate it has no CA for:
 * connected in `plain` text, connected `encrypted` (so without verifying),
 * `rejected` the certificate, or refused the spelling as `invalid` before
 * trusting anything.
 */
export type ConnectionOutcome = 'plain' | 'encrypted' | 'rejected' | 'invalid'

/** What a connection reports about itself: is it TLS? */
export const OWN_SSL_QUERY = 'select ssl from pg_stat_ssl where pid = pg_backend_pid()'

const PSQL = join(PG_BIN, 'psql')

/** Why psql cannot be run here, or null when it can. */
export function psqlUnavailableReason(): string | null {
  try {
    accessSync(PSQL, constants.X_OK)
    return null
  } catch {
    return `psql is not in ${PG_BIN} (apt-get install -y postgresql-client-15, or set PG_BIN)`
  }
}

/**
 * What plain node-postgres does with the same URL and `PGSSLMODE`:
 * `new pg.Client({ connectionString, ssl })`, nothing else.
 */
export async function plainPgOutcome(
  url: string,
  env: Readonly<Record<string, string>> = {},
  ssl?: ConnectionOptions,
): Promise<ConnectionOutcome> {
  const pg = (await import('pg')).default
  let client: InstanceType<typeof pg.Client>
  // node-postgres reads PGSSLMODE while the client is constructed, so the environment is set for that moment only.
  const before = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]))
  Object.assign(process.env, env)
  try {
    client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, ...(ssl && { ssl }) })
  } catch {
    // pg-connection-string refuses it (verify-ca without a CA under uselibpqcompat)
    return 'invalid'
  } finally {
    for (const [name, value] of Object.entries(before)) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  }
  client.on('error', () => {})
  try {
    await client.connect()
    const { rows } = await client.query<{ ssl: boolean }>(OWN_SSL_QUERY)
    return rows[0]?.ssl ? 'encrypted' : 'plain'
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (typeof code === 'string' && /CERT|UNABLE_TO_(VERIFY|GET)/.test(code)) return 'rejected'
    throw error
  } finally {
    await client.end().catch(() => {})
  }
}

/**
 * What libpq does with the same URL and `PGSSLMODE`: `psql URL -c …`, with
 * no other PG variable and a HOME that does not exist, so there is no
 * `~/.postgresql/root.crt`: it has no CA either.
 */
export async function psqlOutcome(url: string, env: Readonly<Record<string, string>> = {}): Promise<ConnectionOutcome> {
  const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      PSQL,
      [url, '-XAtq', '-c', OWN_SSL_QUERY],
      {
        env: { PATH: process.env.PATH, HOME: '/nonexistent', LC_ALL: 'C', PGCONNECT_TIMEOUT: '5', ...env },
        timeout: 10_000,
      },
      (error, stdout, stderr) => {
        const code = error ? Number((error as { code?: unknown }).code ?? 1) || 1 : 0
        resolve({ code, stdout, stderr })
      },
    )
  })
  if (result.code === 0) {
    if (result.stdout.trim() === 't') return 'encrypted'
    if (result.stdout.trim() === 'f') return 'plain'
  }
  if (
    /certificate verify failed|root certificate file .* does not exist|does not match host name/.test(result.stderr)
  ) {
    return 'rejected'
  }
  if (/invalid sslmode value|invalid URI query parameter|invalid connection option/.test(result.stderr))
    return 'invalid'
  throw new Error(`psql failed unexpectedly (exit ${result.code}): ${result.stderr.trim()}`)
}
