import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { resolveTls } from '../../src/db/tls-config.js'
import { ConfigError, createDatabase, DatabaseUnavailableError } from '../../src/index.js'
import {
  startThrowawayServer,
  type ThrowawayServer,
  throwawayServerUnavailableReason,
} from '../support/throwaway-server.js'
import { SecretWitness } from './secret-scan.js'

describe('TLS configuration', () => {
  test('a *.neon.tech connection string without sslmode resolves to verified TLS', () => {
    const resolved = resolveTls('postgres://app:secret@ep-cool-name-123456.us-east-2.aws.neon.tech/neondb')
    expect(resolved.ssl).not.toBe(false)
    expect(resolved.ssl).toMatchObject({ rejectUnauthorized: true })
    expect(resolved.ssl && 'checkServerIdentity' in resolved.ssl).toBe(false)
  })

  test('the pooled -pooler Neon host also resolves to verified TLS', () => {
    const resolved = resolveTls('postgresql://app:secret@ep-x-pooler.eu-central-1.aws.neon.tech/neondb?foo=bar')
    expect(resolved.ssl).toMatchObject({ rejectUnauthorized: true })
    expect(resolved.connectionString).toContain('foo=bar')
  })

  test('plain text to a Neon host is refused as a ConfigError, however it is asked for', () => {
    expect(() => resolveTls('postgres://a:b@ep-x.aws.neon.tech/db?sslmode=disable')).toThrow(ConfigError)
    expect(() => resolveTls('postgres://a:b@ep-x.aws.neon.tech/db', false)).toThrow(ConfigError)
    expect(() => createDatabase({ connectionString: 'postgres://a:b@neon.tech/db?sslmode=disable' })).toThrow(
      ConfigError,
    )
  })

  test('sslmode values map to encryption with the right amount of verification', () => {
    const url = 'postgres://u:p@db.example.com/app'
    expect(resolveTls(url).ssl).toBe(false)
    expect(resolveTls(`${url}?sslmode=disable`).ssl).toBe(false)
    expect(resolveTls(`${url}?sslmode=require`).ssl).toMatchObject({ rejectUnauthorized: false })
    const verifyCa = resolveTls(`${url}?sslmode=verify-ca`).ssl
    expect(verifyCa).toMatchObject({ rejectUnauthorized: true })
    expect(verifyCa && typeof verifyCa.checkServerIdentity).toBe('function')
    expect(resolveTls(`${url}?sslmode=verify-full`).ssl).toMatchObject({ rejectUnauthorized: true })
    expect(resolveTls(`${url}?sslmode=verify-full`).connectionString).not.toContain('sslmode')
    expect(() => resolveTls(`${url}?sslmode=sometimes`)).toThrow(ConfigError)
  })
})

const serverSkip = throwawayServerUnavailableReason()

describe.skipIf(serverSkip !== null)(
  `TLS against a server with ssl = on${serverSkip ? ` (${serverSkip})` : ''}`,
  () => {
    let server: ThrowawayServer
    const witness = new SecretWitness()
    const opened: Kysely<any>[] = []

    beforeAll(async () => {
      server = await startThrowawayServer({ tls: true, passwordRole: true })
    })
    afterAll(async () => {
      await Promise.all(opened.map((db) => db.destroy()))
      await server?.dispose()
    })

    function open(url: string, ca?: string): Kysely<any> {
      const db = createDatabase({
        connectionString: url,
        ...(ca ? { ssl: { ca } } : {}),
        pool: { max: 1, connectionTimeoutMillis: 3_000 },
        retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 20 },
        log: witness.log,
      })
      opened.push(db)
      return db
    }

    async function sslOfOwnConnection(db: Kysely<any>) {
      const { rows } = await sql<{ ssl: boolean; version: string | null }>`
      select ssl, version from pg_stat_ssl where pid = pg_backend_pid()`.execute(db)
      return rows[0]
    }

    test('sslmode=require connects encrypted, as pg_stat_ssl reports', async () => {
      const db = open(server.url({ query: 'sslmode=require' }))
      const ssl = await sslOfOwnConnection(db)
      expect(ssl?.ssl).toBe(true)
      expect(ssl?.version).toMatch(/^TLSv1\.[23]$/)
    })

    test('without sslmode the same server is reached in plain text (so the check above can fail)', async () => {
      const db = open(server.url())
      expect((await sslOfOwnConnection(db))?.ssl).toBe(false)
    })

    test('verify-full with the right CA and host name connects encrypted', async () => {
      const db = open(
        server.url({ host: server.certificates!.serverName, query: 'sslmode=verify-full' }),
        server.certificates!.ca,
      )
      expect((await sslOfOwnConnection(db))?.ssl).toBe(true)
    })

    test('verify-ca with the right CA accepts a certificate issued to another host name', async () => {
      const db = open(server.url({ host: '127.0.0.1', query: 'sslmode=verify-ca' }), server.certificates!.ca)
      expect((await sslOfOwnConnection(db))?.ssl).toBe(true)
    })

    test('verify-full with a CA that did not sign the certificate fails: the certificate was rejected', async () => {
      const db = open(
        server.url({ host: server.certificates!.serverName, query: 'sslmode=verify-full' }),
        server.certificates!.otherCa,
      )
      const error = await witness.failure(sql`select 1`.execute(db))
      expect(error).toBeInstanceOf(DatabaseUnavailableError)
      expect((error as Error).message).toMatch(/certificate was rejected/)
    })

    test('verify-full without any CA rejects the self-signed chain', async () => {
      const db = open(server.url({ host: server.certificates!.serverName, query: 'sslmode=verify-full' }))
      const error = await witness.failure(sql`select 1`.execute(db))
      expect(error).toBeInstanceOf(DatabaseUnavailableError)
      expect((error as Error).message).toMatch(/certificate was rejected/)
    })

    test('verify-full with the right CA but another host name fails: the certificate was rejected', async () => {
      const started = performance.now()
      const db = open(server.url({ host: '127.0.0.1', query: 'sslmode=verify-full' }), server.certificates!.ca)
      const error = await witness.failure(sql`select 1`.execute(db))
      expect(error).toBeInstanceOf(DatabaseUnavailableError)
      expect((error as Error).message).toMatch(/certificate was rejected/)
      expect((error as Error).message).toMatch(/127\.0\.0\.1|altname|host/i)
      // a rejected certificate is never retried
      expect(performance.now() - started).toBeLessThan(2_000)
    })

    test('no error or log event of these connections carries the password', () => {
      expect(witness.errors.length).toBeGreaterThanOrEqual(3)
      expect(witness.leaks([server.role!.password])).toEqual([])
    })
  },
)
