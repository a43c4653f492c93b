import { neonConfig } from '@neondatabase/serverless'
import { type Kysely, sql } from 'kysely'
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest'
import { resolveTls } from '../../src/db/tls-config.js'
import { ConfigError, createDatabase, type DatabaseOptions, DatabaseUnavailableError } from '../../src/index.js'
import {
  type ConnectionOutcome,
  plainPgOutcome,
  psqlOutcome,
  psqlUnavailableReason,
} from '../support/connection-outcome.js'
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

  /** True when the resolved TLS checks the chain and the host name (Node's default checkServerIdentity). */
  const verifiesFully = (ssl: ReturnType<typeof resolveTls>['ssl']) =>
    ssl !== false && ssl.rejectUnauthorized === true && !('checkServerIdentity' in ssl)

  test('sslmode=allow, prefer, require and verify-ca check the chain and the host name, as node-postgres 8 does', () => {
    const resolve = (query: string, ca?: string) => resolveTls(`${OTHER}${query}`, ca ? { ca } : undefined, NO_ENV)
    expect(resolve('').ssl).toBe(false)
    expect(resolve('?sslmode=disable').ssl).toBe(false)
    for (const mode of ['allow', 'prefer', 'require', 'verify-full']) {
      const resolved = resolve(`?sslmode=${mode}`)
      expect(resolved.mode, mode).toBe('verify-full')
      expect(verifiesFully(resolved.ssl), mode).toBe(true)
      expect(resolved.source, mode).toBe(`sslmode=${mode} in the connection string`)
    }
    // with the CA passed in code, verify-ca checks the host name too (node-postgres 8 does)
    const verifyCa = resolve('?sslmode=verify-ca', 'pem')
    expect(verifyCa.mode).toBe('verify-full')
    expect(verifyCa.ssl).toMatchObject({ rejectUnauthorized: true, ca: 'pem' })
    expect(verifiesFully(verifyCa.ssl)).toBe(true)
    expect(resolve('?sslmode=require', 'pem').ssl).toEqual({ ca: 'pem', rejectUnauthorized: true })
    // the explicit opt-out stays
    expect(resolve('?sslmode=no-verify').ssl).toEqual({ rejectUnauthorized: false })
    expect(resolve('?sslmode=verify-full').connectionString).not.toContain('sslmode')
    expect(() => resolve('?sslmode=sometimes')).toThrow(ConfigError)
  })

  test('uselibpqcompat=true gives sslmode libpq’s meaning, never weaker than node-postgres with the same flag', () => {
    const resolve = (query: string, ca?: string, env = NO_ENV) =>
      resolveTls(`${OTHER}?uselibpqcompat=true&${query}`, ca ? { ca } : undefined, env)
    for (const mode of ['prefer', 'require']) {
      expect(resolve(`sslmode=${mode}`).ssl, mode).toEqual({ rejectUnauthorized: false })
      expect(resolve(`sslmode=${mode}`).mode, mode).toBe('require')
      // libpq with a root certificate checks the chain (not the host name)
      const withCa = resolve(`sslmode=${mode}`, 'pem').ssl
      expect(withCa, mode).toMatchObject({ ca: 'pem', rejectUnauthorized: true })
      expect(withCa && typeof withCa.checkServerIdentity, mode).toBe('function')
    }
    const verifyCa = resolve('sslmode=verify-ca', 'pem')
    expect(verifyCa.mode).toBe('verify-ca')
    expect(verifyCa.ssl && typeof verifyCa.ssl.checkServerIdentity).toBe('function')
    expect(() => resolve('sslmode=verify-ca')).toThrow(/verify-ca.*ca/)
    expect(verifiesFully(resolve('sslmode=verify-full').ssl)).toBe(true)
    expect(resolve('sslmode=disable').ssl).toBe(false)
    // node-postgres's compatibility mode leaves allow fully verified, and libpq knows no no-verify
    expect(verifiesFully(resolve('sslmode=allow').ssl)).toBe(true)
    expect(() => resolve('sslmode=no-verify')).toThrow(/no-verify is not one of libpq/)
    // the flag is about the URL's sslmode only: node-postgres reads PGSSLMODE the same way with it
    expect(verifiesFully(resolveTls(`${OTHER}?uselibpqcompat=true`, undefined, { PGSSLMODE: 'require' }).ssl)).toBe(
      true,
    )
    // a Neon host is verified whatever the flag says
    const neon = resolveTls(`postgres://a:b@${NEON}/db?uselibpqcompat=true&sslmode=require`, undefined, NO_ENV)
    expect(verifiesFully(neon.ssl)).toBe(true)
    expect(resolve('sslmode=require').connectionString).toBe(OTHER)
    expect(verifiesFully(resolveTls(`${OTHER}?uselibpqcompat=false&sslmode=require`, undefined, NO_ENV).ssl)).toBe(true)
    for (const odd of ['uselibpqcompat=1', 'uselibpqcompat=yes', 'uselibpqcompat=true&uselibpqcompat=false']) {
      expect(() => resolveTls(`${OTHER}?${odd}&sslmode=require`, undefined, NO_ENV), odd).toThrow(ConfigError)
    }
  })

  test('a spelling libpq reads as unverified carries a hint saying what to write instead', () => {
    const hint = (query: string, env = NO_ENV) => resolveTls(`${OTHER}${query}`, undefined, env).rejectionHint
    expect(hint('?sslmode=require')).toMatch(
      /sslmode=require in the connection string verifies the certificate chain and the host name.*ssl: \{ ca \}.*sslmode=no-verify.*uselibpqcompat=true&sslmode=require/,
    )
    expect(hint('', { PGSSLMODE: 'prefer' })).toMatch(/^PGSSLMODE=prefer verifies.*PGSSLMODE=no-verify\.$/)
    expect(hint('?uselibpqcompat=true&sslmode=allow')).toMatch(/with uselibpqcompat=true&sslmode=require\.$/)
    for (const none of [
      '?sslmode=verify-full',
      '?ssl=true',
      '?sslmode=no-verify',
      '?uselibpqcompat=true&sslmode=require',
    ]) {
      expect(hint(none), none).toBeNull()
    }
    expect(resolveTls(`postgres://a:b@${NEON}/db?sslmode=require`, undefined, NO_ENV).rejectionHint).toBeNull()
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
    // as node-postgres 8 reads PGSSLMODE; allow too, which it leaves in plain text and libpq may
    for (const mode of ['allow', 'prefer', 'require', 'verify-full']) {
      expect(resolve('', mode).mode, mode).toBe('verify-full')
      expect(verifiesFully(resolve('', mode).ssl), mode).toBe(true)
    }
    expect(resolve('', 'no-verify').ssl).toEqual({ rejectUnauthorized: false })
    expect(resolve('', 'disable').ssl).toBe(false)
    expect(resolve('?sslmode=disable', 'verify-full').ssl).toBe(false)
    expect(resolve('?sslmode=no-verify', 'verify-full').ssl).toEqual({ rejectUnauthorized: false })
    expect(resolve('?sslmode=require', 'disable').mode).toBe('verify-full')
    expect(resolve('?ssl=0', 'require').ssl).toBe(false)
    expect(resolve('?ssl=true', 'disable').mode).toBe('verify-full')
    expect(() => resolve('', 'sometimes')).toThrow(/PGSSLMODE/)
    expect(resolve('?sslmode=require', 'sometimes').mode).toBe('verify-full')
    expect(resolve('', '').ssl).toBe(false)
  })

  test('between PGSSLMODE and the ssl option the stronger applies', () => {
    const noVerify = { rejectUnauthorized: false }
    expect(resolveTls(OTHER, noVerify, { PGSSLMODE: 'verify-full' }).ssl).toMatchObject({ rejectUnauthorized: true })
    expect(resolveTls(OTHER, noVerify, { PGSSLMODE: 'require' }).ssl).toMatchObject({ rejectUnauthorized: true })
    expect(resolveTls(OTHER, false, { PGSSLMODE: 'no-verify' }).ssl).toEqual({ rejectUnauthorized: false })
    expect(resolveTls(OTHER, noVerify, { PGSSLMODE: 'disable' }).ssl).toEqual({ rejectUnauthorized: false })
    expect(resolveTls(OTHER, noVerify, NO_ENV).ssl).toEqual({ rejectUnauthorized: false })
    // the URL's sslmode is not loosened by the option (node-postgres lets the URL's replace it)
    expect(verifiesFully(resolveTls(`${OTHER}?sslmode=require`, noVerify, NO_ENV).ssl)).toBe(true)
    expect(resolveTls(OTHER, true, { PGSSLMODE: 'require' }).mode).toBe('verify-full')
    // node-postgres ignores PGSSLMODE when given an ssl option, and checks the host name with its CA
    expect(resolveTls(OTHER, { ca: 'pem' }, { PGSSLMODE: 'verify-ca' }).mode).toBe('verify-full')
    expect(resolveTls(OTHER, true, { PGSSLMODE: 'verify-ca' }).mode).toBe('verify-full')
    // verify-ca (the chain only) is available through the URL with libpq's meanings
    const url = `${OTHER}?uselibpqcompat=true&sslmode=verify-ca`
    expect(resolveTls(url, { ca: 'pem' }, { PGSSLMODE: 'verify-full' }).mode).toBe('verify-ca')
  })

  test('a TLS parameter given twice is refused: drivers disagree on which one wins', () => {
    expect(() => resolveTls(`${OTHER}?sslmode=require&sslmode=disable`, undefined, NO_ENV)).toThrow(/twice|2 times/)
    expect(() => resolveTls(`${OTHER}?ssl=true&ssl=0`, undefined, NO_ENV)).toThrow(ConfigError)
  })

  test('sslrootcert=system means verify-full and refuses weaker modes, as libpq 16 does', () => {
    expect(resolveTls(`${OTHER}?sslrootcert=system`, undefined, NO_ENV).mode).toBe('verify-full')
    expect(resolveTls(OTHER, undefined, { PGSSLROOTCERT: 'system' }).mode).toBe('verify-full')
    for (const weak of ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'no-verify']) {
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
    // with the CA passed in code, PGSSLMODE=require checks the chain (as libpq would with the file) and the host name
    const withCa = resolveTls(OTHER, { ca: 'pem' }, fromEnv).ssl
    expect(withCa).toEqual({ rejectUnauthorized: true, ca: 'pem' })
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
    expect(resolved.mode).toBe('verify-full')
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
const psqlSkip = psqlUnavailableReason()

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

    // The attack case: whoever answers presents a certificate nobody vouched for. Plain node-postgres refuses it.
    test.each([
      ['sslmode=require', { query: 'sslmode=require' }],
      ['sslmode=prefer', { query: 'sslmode=prefer' }],
      ['sslmode=allow', { query: 'sslmode=allow' }],
      ['PGSSLMODE=require', { env: { PGSSLMODE: 'require' } }],
      ['PGSSLMODE=prefer', { env: { PGSSLMODE: 'prefer' } }],
      // node-postgres lets the URL's sslmode replace the ssl option, so the option does not loosen it
      ['sslmode=require with ssl: { rejectUnauthorized: false }', { query: 'sslmode=require', noVerify: true }],
    ] as const)(
      '%s without the CA is refused, as plain node-postgres refuses it: the certificate was rejected',
      async (_, spec) => {
        const env = 'env' in spec ? spec.env : {}
        const ssl = 'noVerify' in spec ? { rejectUnauthorized: false } : undefined
        const url = server.url({
          host: server.certificates!.serverName,
          query: 'query' in spec ? spec.query : undefined,
        })
        const error = await expectRejectedCertificate(open(url, { env, options: { ssl } }))
        expect(error.message).toMatch(/verifies the certificate chain and the host name.*ssl: \{ ca \}/)
        expect(await plainPgOutcome(url, env, ssl)).toBe('rejected')
      },
    )

    test('sslmode=require with the CA and the host name it was issued to connects encrypted, as pg_stat_ssl reports', async () => {
      const { serverName, ca } = server.certificates!
      const ssl = await sslOfOwnConnection(open(server.url({ host: serverName, query: 'sslmode=require' }), { ca }))
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
      ['sslmode=allow', { host: 'name', query: 'sslmode=allow', ca: true }],
      ['sslmode=prefer', { host: 'name', query: 'sslmode=prefer', ca: true }],
      ['sslmode=verify-ca', { host: 'name', query: 'sslmode=verify-ca', ca: true }],
      ['uselibpqcompat=true&sslmode=require without verification', { query: 'uselibpqcompat=true&sslmode=require' }],
      ['uselibpqcompat=true&sslmode=prefer without verification', { query: 'uselibpqcompat=true&sslmode=prefer' }],
      [
        'uselibpqcompat=true&sslmode=require with the CA, any host name',
        {
          query: 'uselibpqcompat=true&sslmode=require',
          ca: true,
        },
      ],
      ['PGSSLMODE=allow', { host: 'name', env: { PGSSLMODE: 'allow' }, ca: true }],
      ['PGSSLMODE=prefer', { host: 'name', env: { PGSSLMODE: 'prefer' }, ca: true }],
      ['PGSSLMODE=require', { host: 'name', env: { PGSSLMODE: 'require' }, ca: true }],
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
      ['sslmode=require with another CA', { query: 'sslmode=require', ca: 'other' }],
      ['sslmode=require for another host name', { host: 'ip', query: 'sslmode=require', ca: 'right' }],
      ['sslmode=verify-ca for another host name', { host: 'ip', query: 'sslmode=verify-ca', ca: 'right' }],
      ['PGSSLMODE=require for another host name', { host: 'ip', env: { PGSSLMODE: 'require' }, ca: 'right' }],
      ['PGSSLMODE=allow without the CA', { env: { PGSSLMODE: 'allow' } }],
      [
        'uselibpqcompat=true&sslmode=require with another CA',
        { query: 'uselibpqcompat=true&sslmode=require', ca: 'other' },
      ],
      ['uselibpqcompat=true&sslmode=allow without the CA', { query: 'uselibpqcompat=true&sslmode=allow' }],
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

    test('uselibpqcompat=true&sslmode=verify-ca with the right CA accepts a certificate issued to another host name', async () => {
      const url = server.url({ host: '127.0.0.1', query: 'uselibpqcompat=true&sslmode=verify-ca' })
      expect((await sslOfOwnConnection(open(url, { ca: server.certificates!.ca })))?.ssl).toBe(true)
      // the same without the flag checks the host name, as node-postgres 8 does
      const strict = server.url({ host: '127.0.0.1', query: 'sslmode=verify-ca' })
      expect((await expectRejectedCertificate(open(strict, { ca: server.certificates!.ca }))).message).toMatch(
        /127\.0\.0\.1/,
      )
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

    /** taskstore's outcome for the same URL and environment, and no CA. */
    async function taskstoreOutcome(url: string, env: Record<string, string>): Promise<ConnectionOutcome> {
      let db: Kysely<any>
      try {
        db = open(url, { env })
      } catch (error) {
        if (error instanceof ConfigError) return 'invalid'
        throw error
      } finally {
        // The environment is read when the database is created; the next spelling must not see this one's.
        vi.unstubAllEnvs()
      }
      try {
        return (await sslOfOwnConnection(db))?.ssl ? 'encrypted' : 'plain'
      } catch (error) {
        witness.capture(error)
        if (error instanceof ConfigError) return 'invalid'
        if (error instanceof DatabaseUnavailableError && /certificate was rejected/.test(error.message))
          return 'rejected'
        throw error
      } finally {
        // the server's max_connections is small: a spelling that connected gives its connection back at once
        await db.destroy()
      }
    }

    interface Spelling {
      readonly query?: string
      readonly env?: Record<string, string>
      /** What taskstore, plain node-postgres and psql do, given no CA. */
      readonly expected: readonly [taskstore: ConnectionOutcome, pg: ConnectionOutcome, psql: ConnectionOutcome]
    }

    // Every way to spell TLS in the URL or PGSSLMODE, against a certificate none of the clients can verify.
    const SPELLINGS: Record<string, Spelling> = {
      'sslmode=disable': { query: 'sslmode=disable', expected: ['plain', 'plain', 'plain'] },
      // libpq tries plain text first, and this server accepts it
      'sslmode=allow': { query: 'sslmode=allow', expected: ['rejected', 'rejected', 'plain'] },
      'sslmode=prefer': { query: 'sslmode=prefer', expected: ['rejected', 'rejected', 'encrypted'] },
      'sslmode=require': { query: 'sslmode=require', expected: ['rejected', 'rejected', 'encrypted'] },
      // libpq refuses verify-ca without a root certificate; so does taskstore, before connecting
      'sslmode=verify-ca': { query: 'sslmode=verify-ca', expected: ['invalid', 'rejected', 'rejected'] },
      'sslmode=verify-full': { query: 'sslmode=verify-full', expected: ['rejected', 'rejected', 'rejected'] },
      'sslmode=no-verify': { query: 'sslmode=no-verify', expected: ['encrypted', 'encrypted', 'invalid'] },
      // libpq reads ssl=true as sslmode=require
      'ssl=true': { query: 'ssl=true', expected: ['rejected', 'rejected', 'encrypted'] },
      'ssl=1': { query: 'ssl=1', expected: ['rejected', 'rejected', 'invalid'] },
      'ssl=no-verify': { query: 'ssl=no-verify', expected: ['encrypted', 'encrypted', 'invalid'] },
      'ssl=0': { query: 'ssl=0', expected: ['plain', 'plain', 'invalid'] },
      'uselibpqcompat=true&sslmode=disable': {
        query: 'uselibpqcompat=true&sslmode=disable',
        expected: ['plain', 'plain', 'plain'],
      },
      'uselibpqcompat=true&sslmode=allow': {
        query: 'uselibpqcompat=true&sslmode=allow',
        expected: ['rejected', 'rejected', 'plain'],
      },
      'uselibpqcompat=true&sslmode=prefer': {
        query: 'uselibpqcompat=true&sslmode=prefer',
        expected: ['encrypted', 'encrypted', 'encrypted'],
      },
      'uselibpqcompat=true&sslmode=require': {
        query: 'uselibpqcompat=true&sslmode=require',
        expected: ['encrypted', 'encrypted', 'encrypted'],
      },
      'uselibpqcompat=true&sslmode=verify-ca': {
        query: 'uselibpqcompat=true&sslmode=verify-ca',
        expected: ['invalid', 'invalid', 'rejected'],
      },
      'uselibpqcompat=true&sslmode=verify-full': {
        query: 'uselibpqcompat=true&sslmode=verify-full',
        expected: ['rejected', 'rejected', 'rejected'],
      },
      'uselibpqcompat=true&sslmode=no-verify': {
        query: 'uselibpqcompat=true&sslmode=no-verify',
        expected: ['invalid', 'rejected', 'invalid'],
      },
      'PGSSLMODE=disable': { env: { PGSSLMODE: 'disable' }, expected: ['plain', 'plain', 'plain'] },
      // node-postgres ignores PGSSLMODE=allow and libpq tries plain text first: taskstore verifies
      'PGSSLMODE=allow': { env: { PGSSLMODE: 'allow' }, expected: ['rejected', 'plain', 'plain'] },
      'PGSSLMODE=prefer': { env: { PGSSLMODE: 'prefer' }, expected: ['rejected', 'rejected', 'encrypted'] },
      'PGSSLMODE=require': { env: { PGSSLMODE: 'require' }, expected: ['rejected', 'rejected', 'encrypted'] },
      'PGSSLMODE=verify-ca': { env: { PGSSLMODE: 'verify-ca' }, expected: ['invalid', 'rejected', 'rejected'] },
      'PGSSLMODE=verify-full': { env: { PGSSLMODE: 'verify-full' }, expected: ['rejected', 'rejected', 'rejected'] },
      'PGSSLMODE=no-verify': { env: { PGSSLMODE: 'no-verify' }, expected: ['encrypted', 'encrypted', 'invalid'] },
      'sslmode=disable with PGSSLMODE=require': {
        query: 'sslmode=disable',
        env: { PGSSLMODE: 'require' },
        expected: ['plain', 'plain', 'plain'],
      },
      'sslmode=require with PGSSLMODE=disable': {
        query: 'sslmode=require',
        env: { PGSSLMODE: 'disable' },
        expected: ['rejected', 'rejected', 'encrypted'],
      },
      'uselibpqcompat=true with PGSSLMODE=require': {
        query: 'uselibpqcompat=true',
        env: { PGSSLMODE: 'require' },
        expected: ['rejected', 'rejected', 'encrypted'],
      },
    }

    test.skipIf(psqlSkip !== null)(
      `no spelling connects where node-postgres or psql refuses the certificate, or in plain text where either encrypts${psqlSkip ? ` (${psqlSkip})` : ''}`,
      async () => {
        const rows = []
        // One spelling at a time: together they would pass the server's max_connections.
        for (const [name, { query, env = {}, expected }] of Object.entries(SPELLINGS)) {
          const url = server.url({ host: server.certificates!.serverName, query })
          // uselibpqcompat asks for libpq's own meanings; libpq itself does not know the parameter
          const libpqUrl = url.replace(/uselibpqcompat=true&?/, '').replace(/[?&]$/, '')
          const actual = await Promise.all([
            taskstoreOutcome(url, env),
            plainPgOutcome(url, env),
            psqlOutcome(libpqUrl, env),
          ])
          rows.push({ name, expected, actual })
        }
        for (const { name, expected, actual } of rows) expect(actual, name).toEqual(expected)
        for (const { name, actual } of rows) {
          const [taskstore, ...others] = actual
          if (others.includes('rejected')) expect(['rejected', 'invalid'], name).toContain(taskstore)
          if (taskstore === 'plain') expect(others, name).not.toContain('encrypted')
          if (taskstore === 'plain') expect(others, name).not.toContain('rejected')
        }
      },
    )

    test.skipIf(psqlSkip !== null)(
      'with nothing asked, taskstore is plain text as node-postgres is, while psql’s default sslmode=prefer encrypts',
      async () => {
        const url = server.url({ host: server.certificates!.serverName })
        expect([await taskstoreOutcome(url, {}), await plainPgOutcome(url), await psqlOutcome(url)]).toEqual([
          'plain',
          'plain',
          'encrypted',
        ])
      },
    )

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
