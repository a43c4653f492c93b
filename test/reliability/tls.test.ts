import { neonConfig } from '@neondatabase/serverless'
import { type Kysely, sql } from 'kysely'
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest'
import { resolveTls } from '../../src/db/tls-config.js'
import { ConfigError, createDatabase, type DatabaseOptions, DatabaseUnavailableError } from '../../src/index.js'
import { type NeonRelay, startNeonRelay } from '../support/neon-relay.js'
import {
  startThrowawayServer,
  type ThrowawayServer,
  throwawayServerUnavailableReason,
} from '../support/throwaway-server.js'
import { SecretWitness } from './secret-scan.js'

/** No PGSSLMODE, PGHOST or PGSSLROOTCERT: what resolveTls reads from the environment, made explicit. */
const NO_ENV = {}
const NEON = 'ep-cool-name-123456.us-east-2.aws.neon.tech'
const OTHER = 'postgres://u:p@db.example.com/app'

/** A Neon host in every spelling a driver would still connect to it with. */
const NEON_SPELLINGS = [
  `postgres://a:b@${NEON}/db`,
  `postgres://a:b@${NEON}./db`,
  `postgres://a:b@${NEON.toUpperCase()}/db`,
  `postgres://a:b@${NEON.toUpperCase()}./db`,
  `postgres://a:b@${NEON.replaceAll('.', '%2E')}/db`,
  `postgres:///db?host=${NEON}`,
  `postgres:///db?host=${NEON.toUpperCase()}.`,
  `postgres://a:b@/db?host=${NEON}`,
  `postgres://a:b@localhost/db?host=${NEON}`,
  `postgres://a:b@localhost/db?host=localhost,${NEON}`,
  `postgres:///${NEON}`,
]

describe('TLS configuration', () => {
  test('a *.neon.tech connection string without sslmode resolves to verified TLS', () => {
    const resolved = resolveTls(`postgres://app:secret@${NEON}/neondb`, undefined, NO_ENV)
    expect(resolved.ssl).not.toBe(false)
    expect(resolved.ssl).toMatchObject({ rejectUnauthorized: true })
    expect(resolved.ssl && 'checkServerIdentity' in resolved.ssl).toBe(false)
  })

  test('the pooled -pooler Neon host also resolves to verified TLS', () => {
    const resolved = resolveTls('postgresql://app:secret@ep-x-pooler.eu-central-1.aws.neon.tech/neondb?foo=bar')
    expect(resolved.ssl).toMatchObject({ rejectUnauthorized: true })
    expect(resolved.connectionString).toContain('foo=bar')
  })

  test.each(NEON_SPELLINGS)('%s is a Neon host: verified TLS, even with sslmode=require', (url) => {
    for (const candidate of [url, `${url}${url.includes('?') ? '&' : '?'}sslmode=require`]) {
      const resolved = resolveTls(candidate, undefined, NO_ENV)
      expect(resolved.neon, candidate).toBe(true)
      expect(resolved.mode, candidate).toBe('verify-full')
      expect(resolved.ssl, candidate).toMatchObject({ rejectUnauthorized: true })
      expect(resolved.ssl && 'checkServerIdentity' in resolved.ssl, candidate).toBe(false)
    }
  })

  test.each(NEON_SPELLINGS)('%s refuses plain text however it is asked for', (url) => {
    const join = url.includes('?') ? '&' : '?'
    for (const candidate of [`${url}${join}sslmode=disable`, `${url}${join}ssl=0`]) {
      expect(() => resolveTls(candidate, undefined, NO_ENV), candidate).toThrow(ConfigError)
    }
    expect(() => resolveTls(url, false, NO_ENV)).toThrow(ConfigError)
    expect(() => resolveTls(url, undefined, { PGSSLMODE: 'disable' })).toThrow(/Neon.*PGSSLMODE=disable/)
  })

  test('a Neon host named only by PGHOST is found too', () => {
    expect(resolveTls('postgres:///db', undefined, { PGHOST: `${NEON.toUpperCase()}.` }).mode).toBe('verify-full')
    expect(() => resolveTls('postgres:///db?sslmode=disable', undefined, { PGHOST: NEON })).toThrow(ConfigError)
    // A host in the URL is what node-postgres connects to; PGHOST is then not used.
    expect(resolveTls('postgres://localhost/db', undefined, { PGHOST: NEON }).neon).toBe(false)
  })

  test('plain text to a Neon host is refused by createDatabase, for either driver', () => {
    for (const driver of ['pg', 'neon'] as const) {
      expect(() =>
        createDatabase({ driver, connectionString: `postgres://a:b@${NEON.toUpperCase()}./db?sslmode=disable` }),
      ).toThrow(ConfigError)
      expect(() => createDatabase({ driver, connectionString: `postgres:///db?host=${NEON}&ssl=0` })).toThrow(
        ConfigError,
      )
    }
  })

  test('sslmode values map to encryption with the right amount of verification', () => {
    const mode = (query: string) => resolveTls(`${OTHER}${query}`, undefined, NO_ENV)
    expect(mode('').ssl).toBe(false)
    expect(mode('?sslmode=disable').ssl).toBe(false)
    for (const weak of ['allow', 'prefer', 'require', 'no-verify']) {
      expect(mode(`?sslmode=${weak}`).ssl, weak).toMatchObject({ rejectUnauthorized: false })
    }
    const verifyCa = resolveTls(`${OTHER}?sslmode=verify-ca`, { ca: 'pem' }, NO_ENV).ssl
    expect(verifyCa).toMatchObject({ rejectUnauthorized: true, ca: 'pem' })
    expect(verifyCa && typeof verifyCa.checkServerIdentity).toBe('function')
    expect(mode('?sslmode=verify-full').ssl).toMatchObject({ rejectUnauthorized: true })
    expect(mode('?sslmode=verify-full').connectionString).not.toContain('sslmode')
    expect(() => mode('?sslmode=sometimes')).toThrow(ConfigError)
  })

  test('ssl=true and ssl=1 verify as node-postgres does, ssl=no-verify encrypts, ssl=0 is plain text', () => {
    const resolve = (query: string) => resolveTls(`${OTHER}?${query}`, undefined, NO_ENV)
    for (const flag of ['ssl=true', 'ssl=1']) {
      expect(resolve(flag).mode, flag).toBe('verify-full')
      expect(resolve(flag).ssl, flag).toMatchObject({ rejectUnauthorized: true })
    }
    expect(resolve('ssl=no-verify').ssl).toMatchObject({ rejectUnauthorized: false })
    expect(resolve('ssl=0').ssl).toBe(false)
    expect(resolve('ssl=true').connectionString).toBe(OTHER)
    // node-postgres reads ssl=false as a truthy string and encrypts; libpq refuses it: neither means plain text.
    for (const flag of ['ssl=false', 'ssl=yes', 'ssl=']) expect(() => resolve(flag), flag).toThrow(ConfigError)
    // sslmode is the more specific of the two
    expect(resolve('ssl=true&sslmode=disable').ssl).toBe(false)
  })

  test('PGSSLMODE applies when the URL says nothing, and sslmode or ssl in the URL wins over it', () => {
    const resolve = (query: string, PGSSLMODE: string) => resolveTls(`${OTHER}${query}`, undefined, { PGSSLMODE })
    expect(resolve('', 'require').ssl).toMatchObject({ rejectUnauthorized: false })
    expect(resolve('', 'no-verify').ssl).toMatchObject({ rejectUnauthorized: false })
    expect(resolve('', 'prefer').mode).toBe('prefer')
    expect(resolve('', 'verify-full').ssl).toMatchObject({ rejectUnauthorized: true })
    expect(resolve('', 'disable').ssl).toBe(false)
    expect(resolve('?sslmode=disable', 'verify-full').ssl).toBe(false)
    expect(resolve('?sslmode=require', 'disable').mode).toBe('require')
    expect(resolve('?ssl=0', 'require').ssl).toBe(false)
    expect(resolve('?ssl=true', 'disable').mode).toBe('verify-full')
    expect(() => resolve('', 'sometimes')).toThrow(/PGSSLMODE/)
    expect(resolve('?sslmode=require', 'sometimes').mode).toBe('require')
    expect(resolve('', '').ssl).toBe(false)
  })

  test('between PGSSLMODE and the ssl option the stronger applies', () => {
    const noVerify = { rejectUnauthorized: false }
    expect(resolveTls(OTHER, noVerify, { PGSSLMODE: 'verify-full' }).ssl).toMatchObject({ rejectUnauthorized: true })
    expect(resolveTls(OTHER, false, { PGSSLMODE: 'require' }).ssl).toMatchObject({ rejectUnauthorized: false })
    expect(resolveTls(OTHER, noVerify, { PGSSLMODE: 'disable' }).ssl).toMatchObject({ rejectUnauthorized: false })
    expect(resolveTls(OTHER, true, { PGSSLMODE: 'require' }).mode).toBe('verify-full')
    // node-postgres ignores PGSSLMODE when given an ssl option, and checks the host name with its CA
    expect(resolveTls(OTHER, { ca: 'pem' }, { PGSSLMODE: 'verify-ca' }).mode).toBe('verify-full')
    // verify-ca stays available through the URL
    expect(resolveTls(`${OTHER}?sslmode=verify-ca`, { ca: 'pem' }, { PGSSLMODE: 'verify-full' }).mode).toBe('verify-ca')
  })

  test('a TLS parameter given twice is refused: drivers disagree on which one wins', () => {
    expect(() => resolveTls(`${OTHER}?sslmode=require&sslmode=disable`, undefined, NO_ENV)).toThrow(/twice|2 times/)
    expect(() => resolveTls(`${OTHER}?ssl=true&ssl=0`, undefined, NO_ENV)).toThrow(ConfigError)
  })

  test('sslrootcert=system means verify-full and refuses weaker modes, as libpq 16 does', () => {
    expect(resolveTls(`${OTHER}?sslrootcert=system`, undefined, NO_ENV).mode).toBe('verify-full')
    expect(resolveTls(OTHER, undefined, { PGSSLROOTCERT: 'system' }).mode).toBe('verify-full')
    for (const weak of ['disable', 'require', 'verify-ca']) {
      expect(() => resolveTls(`${OTHER}?sslrootcert=system&sslmode=${weak}`, { ca: 'pem' }, NO_ENV)).toThrow(
        ConfigError,
      )
    }
    expect(() => resolveTls(OTHER, undefined, { PGSSLROOTCERT: 'system', PGSSLMODE: 'require' })).toThrow(ConfigError)
  })

  test('a root certificate file taskstore cannot read is refused rather than skipped', () => {
    expect(() => resolveTls(`${OTHER}?sslrootcert=/etc/ca.pem&sslmode=require`, undefined, NO_ENV)).toThrow(
      /sslrootcert/,
    )
    const fromEnv = { PGSSLROOTCERT: '/etc/ca.pem', PGSSLMODE: 'require' }
    expect(() => resolveTls(OTHER, undefined, fromEnv)).toThrow(/PGSSLROOTCERT/)
    // with the CA passed in code, require checks the chain as libpq would with the file
    const withCa = resolveTls(OTHER, { ca: 'pem' }, fromEnv).ssl
    expect(withCa).toMatchObject({ rejectUnauthorized: true, ca: 'pem' })
    // plain text reads no certificate at all
    expect(resolveTls(OTHER, undefined, { PGSSLROOTCERT: '/etc/ca.pem' }).ssl).toBe(false)
  })

  test('verify-ca without a CA to check against is refused (libpq refuses it too)', () => {
    expect(() => resolveTls(`${OTHER}?sslmode=verify-ca`, undefined, NO_ENV)).toThrow(/verify-ca.*ca/)
    expect(() => resolveTls(OTHER, undefined, { PGSSLMODE: 'verify-ca' })).toThrow(ConfigError)
  })

  test('a URL with credentials and a host= parameter but no host keeps its shape for the driver', () => {
    const resolved = resolveTls('postgres://u:p@/db?host=db.internal&sslmode=require', undefined, NO_ENV)
    expect(resolved.connectionString).toBe('postgres://u:p@/db?host=db.internal')
    expect(resolved.mode).toBe('require')
  })
})

describe('Neon driver TLS decisions', () => {
  test.each(NEON_SPELLINGS)('%s with useSecureWebSocket: false is a ConfigError', async (url) => {
    const db = createDatabase({ driver: 'neon', connectionString: url, neon: { useSecureWebSocket: false } })
    try {
      await expect(sql`select 1`.execute(db)).rejects.toBeInstanceOf(ConfigError)
    } finally {
      await db.destroy()
    }
  })

  test('Neon’s global neonConfig.useSecureWebSocket = false does not reach a Neon host in plain text', async () => {
    const before = neonConfig.useSecureWebSocket
    neonConfig.useSecureWebSocket = false
    const db = createDatabase({ driver: 'neon', connectionString: `postgres://a:b@${NEON}/db` })
    try {
      await expect(sql`select 1`.execute(db)).rejects.toThrow(/Neon host is never reached without TLS/)
    } finally {
      neonConfig.useSecureWebSocket = before
      await db.destroy()
    }
  })
})

const serverSkip = throwawayServerUnavailableReason()

describe.skipIf(serverSkip !== null)(
  `TLS against a server with ssl = on${serverSkip ? ` (${serverSkip})` : ''}`,
  () => {
    let server: ThrowawayServer
    let plainRelay: NeonRelay
    let secureRelay: NeonRelay
    let untrustedRelay: NeonRelay
    const witness = new SecretWitness()
    const opened: Kysely<any>[] = []
    const environmentBefore = { PGSSLMODE: process.env.PGSSLMODE, PGHOST: process.env.PGHOST }

    beforeAll(async () => {
      server = await startThrowawayServer({ tls: true, passwordRole: true })
      const { serverCert, serverKey, ca, serverName } = server.certificates!
      plainRelay = await startNeonRelay()
      secureRelay = await startNeonRelay({ tls: { cert: serverCert, key: serverKey, ca, serverName } })
      // Its clients trust another CA than the one that signed its certificate.
      const { otherCa } = server.certificates!
      untrustedRelay = await startNeonRelay({ tls: { cert: serverCert, key: serverKey, ca: otherCa, serverName } })
    })
    afterEach(() => {
      vi.unstubAllEnvs()
    })
    afterAll(async () => {
      await Promise.all(opened.map((db) => db.destroy()))
      await plainRelay?.close()
      await secureRelay?.close()
      await untrustedRelay?.close()
      await server?.dispose()
      expect({ PGSSLMODE: process.env.PGSSLMODE, PGHOST: process.env.PGHOST }).toEqual(environmentBefore)
    })

    interface OpenOptions {
      readonly ca?: string
      readonly env?: Record<string, string>
      readonly options?: Partial<DatabaseOptions>
    }

    /** Opens a database with PGSSLMODE and friends set as given (restored after each test). */
    function open(url: string, { ca, env = {}, options = {} }: OpenOptions = {}): Kysely<any> {
      for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value)
      const db = createDatabase({
        connectionString: url,
        ...(ca ? { ssl: { ca } } : {}),
        pool: { max: 1, connectionTimeoutMillis: 3_000 },
        retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 20 },
        log: witness.log,
        ...options,
      })
      opened.push(db)
      return db
    }

    async function sslOfOwnConnection(db: Kysely<any>) {
      const { rows } = await sql<{ ssl: boolean; version: string | null }>`
      select ssl, version from pg_stat_ssl where pid = pg_backend_pid()`.execute(db)
      return rows[0]
    }

    async function expectRejectedCertificate(db: Kysely<any>) {
      const error = await witness.failure(sql`select 1`.execute(db))
      expect(error).toBeInstanceOf(DatabaseUnavailableError)
      expect((error as Error).message).toMatch(/certificate was rejected/)
      return error as Error
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

    // Each spelling, with the host name and CA that let its verification pass.
    const encrypted: Array<[string, { host?: 'name'; query?: string; ca?: boolean; env?: Record<string, string> }]> = [
      ['ssl=1', { host: 'name', query: 'ssl=1', ca: true }],
      ['ssl=true', { host: 'name', query: 'ssl=true', ca: true }],
      ['ssl=no-verify', { query: 'ssl=no-verify' }],
      ['sslmode=no-verify', { query: 'sslmode=no-verify' }],
      ['sslmode=allow', { query: 'sslmode=allow' }],
      ['sslmode=prefer', { query: 'sslmode=prefer' }],
      ['PGSSLMODE=require', { env: { PGSSLMODE: 'require' } }],
      ['PGSSLMODE=prefer', { env: { PGSSLMODE: 'prefer' } }],
      ['PGSSLMODE=no-verify', { env: { PGSSLMODE: 'no-verify' } }],
      // with the ssl option's CA, node-postgres checks the host name too, and so does taskstore
      ['PGSSLMODE=verify-ca', { host: 'name', env: { PGSSLMODE: 'verify-ca' }, ca: true }],
      ['PGSSLMODE=verify-full', { host: 'name', env: { PGSSLMODE: 'verify-full' }, ca: true }],
    ]

    test.each(encrypted)('%s connects encrypted, as pg_stat_ssl reports', async (_, spec) => {
      const host = spec.host === 'name' ? server.certificates!.serverName : '127.0.0.1'
      const db = open(server.url({ host, query: spec.query }), {
        ca: spec.ca ? server.certificates!.ca : undefined,
        env: spec.env,
      })
      const ssl = await sslOfOwnConnection(db)
      expect(ssl?.ssl).toBe(true)
      expect(ssl?.version).toMatch(/^TLSv1\.[23]$/)
    })

    // Each would have been plain text once; now each is TLS whose verification fails, with an error saying so.
    const rejected: Array<
      [string, { host?: 'ip'; query?: string; ca?: 'right' | 'other'; env?: Record<string, string> }]
    > = [
      ['ssl=1 without the CA', { query: 'ssl=1' }],
      ['ssl=true without the CA', { query: 'ssl=true' }],
      ['PGSSLMODE=verify-full without the CA', { env: { PGSSLMODE: 'verify-full' } }],
      ['PGSSLMODE=verify-full with another CA', { env: { PGSSLMODE: 'verify-full' }, ca: 'other' }],
      ['PGSSLMODE=verify-full for another host name', { host: 'ip', env: { PGSSLMODE: 'verify-full' }, ca: 'right' }],
    ]

    test.each(rejected)('%s fails: the certificate was rejected', async (_, spec) => {
      const { serverName, ca, otherCa } = server.certificates!
      const host = spec.host === 'ip' ? '127.0.0.1' : serverName
      const db = open(server.url({ host, query: spec.query }), {
        ca: spec.ca === 'right' ? ca : spec.ca === 'other' ? otherCa : undefined,
        env: spec.env,
      })
      const error = await expectRejectedCertificate(db)
      if (spec.host === 'ip') expect(error.message).toMatch(/127\.0\.0\.1|altname|host/i)
    })

    test('sslmode=disable in the URL wins over PGSSLMODE=require, and PGSSLMODE=disable is plain text', async () => {
      const urlWins = open(server.url({ query: 'sslmode=disable' }), { env: { PGSSLMODE: 'require' } })
      expect((await sslOfOwnConnection(urlWins))?.ssl).toBe(false)
      const envDisable = open(server.url(), { env: { PGSSLMODE: 'disable' } })
      expect((await sslOfOwnConnection(envDisable))?.ssl).toBe(false)
    })

    test('a host= parameter is the host connected to and the one verify-full checks', async () => {
      const { serverName, ca } = server.certificates!
      const { user, password, database } = server.role!
      const credentials = `${user}:${encodeURIComponent(password)}`
      const viaParameter = `postgres://${credentials}@/${database}?host=${serverName}&port=${server.port}&sslmode=verify-full`
      expect((await sslOfOwnConnection(open(viaParameter, { ca })))?.ssl).toBe(true)
      // The URL's own host matches the certificate, but the driver connects to host=127.0.0.1.
      const overridden = `postgres://${credentials}@${serverName}:${server.port}/${database}?host=127.0.0.1&sslmode=verify-full`
      const error = await expectRejectedCertificate(open(overridden, { ca }))
      expect(error.message).toMatch(/127\.0\.0\.1/)
    })

    test('verify-full with the right CA and host name connects encrypted', async () => {
      const db = open(server.url({ host: server.certificates!.serverName, query: 'sslmode=verify-full' }), {
        ca: server.certificates!.ca,
      })
      expect((await sslOfOwnConnection(db))?.ssl).toBe(true)
    })

    test('verify-ca with the right CA accepts a certificate issued to another host name', async () => {
      const db = open(server.url({ host: '127.0.0.1', query: 'sslmode=verify-ca' }), { ca: server.certificates!.ca })
      expect((await sslOfOwnConnection(db))?.ssl).toBe(true)
    })

    test('verify-full with a CA that did not sign the certificate fails: the certificate was rejected', async () => {
      await expectRejectedCertificate(
        open(server.url({ host: server.certificates!.serverName, query: 'sslmode=verify-full' }), {
          ca: server.certificates!.otherCa,
        }),
      )
    })

    test('verify-full without any CA rejects the self-signed chain', async () => {
      await expectRejectedCertificate(
        open(server.url({ host: server.certificates!.serverName, query: 'sslmode=verify-full' })),
      )
    })

    test('verify-full with the right CA but another host name fails: the certificate was rejected', async () => {
      const started = performance.now()
      const db = open(server.url({ host: '127.0.0.1', query: 'sslmode=verify-full' }), {
        ca: server.certificates!.ca,
      })
      const error = await expectRejectedCertificate(db)
      expect(error.message).toMatch(/127\.0\.0\.1|altname|host/i)
      // a rejected certificate is never retried
      expect(performance.now() - started).toBeLessThan(2_000)
    })

    test('Neon driver: sslmode=require goes over a secure WebSocket', async () => {
      const before = secureRelay.secureConnections
      const db = open(server.url({ query: 'sslmode=require' }), {
        options: { driver: 'neon', neon: secureRelay.settings },
      })
      expect((await sql<{ one: number }>`select 1 as one`.execute(db)).rows).toEqual([{ one: 1 }])
      expect(secureRelay.secureConnections).toBe(before + 1)
    })

    test('Neon driver: a WebSocket certificate that fails verification is an error saying so', async () => {
      const started = performance.now()
      const db = open(server.url({ query: 'sslmode=require' }), {
        options: { driver: 'neon', neon: untrustedRelay.settings },
      })
      const error = await expectRejectedCertificate(db)
      expect(error.message).toMatch(/unable to verify/)
      // never retried, and never sent in plain text instead
      expect(performance.now() - started).toBeLessThan(2_000)
      expect(untrustedRelay.connections).toBe(0)
    })

    test.each([
      ['sslmode=require', { query: 'sslmode=require' }],
      ['ssl=true', { query: 'ssl=true' }],
      ['PGSSLMODE=require', { env: { PGSSLMODE: 'require' } }],
    ] as const)('Neon driver: %s over a plain WebSocket is a ConfigError, and nothing is sent', async (_, spec) => {
      const before = plainRelay.connections
      const env = 'env' in spec ? spec.env : undefined
      const query = 'query' in spec ? spec.query : undefined
      const db = open(server.url({ query }), { env, options: { driver: 'neon', neon: plainRelay.settings } })
      const error = await witness.failure(sql`select 1`.execute(db))
      expect(error).toBeInstanceOf(ConfigError)
      expect((error as Error).message).toMatch(/asks for TLS.*useSecureWebSocket/)
      expect(plainRelay.connections).toBe(before)
    })

    test('Neon driver: sslmode=disable over a plain WebSocket connects (so the checks above can fail)', async () => {
      const db = open(server.url({ query: 'sslmode=disable' }), {
        options: { driver: 'neon', neon: plainRelay.settings },
      })
      expect((await sslOfOwnConnection(db))?.ssl).toBe(false)
      expect(plainRelay.connections).toBeGreaterThan(0)
    })

    test('no error or log event of these connections carries the password', () => {
      expect(witness.errors.length).toBeGreaterThanOrEqual(8)
      expect(witness.leaks([server.role!.password])).toEqual([])
    })
  },
)
