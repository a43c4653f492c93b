import type { ConnectionOptions } from 'node:tls'
import { ConfigError } from '../errors/index.js'
import { connectionHosts, type Environment, isNeonHost } from './connection-hosts.js'
import { redactError } from './redaction.js'

/** libpq's TLS modes, weakest first. */
const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const

/** How much TLS a connection gets, in libpq's terms. */
export type SslMode = (typeof SSL_MODES)[number]

// Read here and removed, so the driver sees only the decision made from them.
const TLS_PARAMS = ['sslmode', 'ssl', 'sslrootcert', 'sslcert', 'sslkey', 'uselibpqcompat']
// pg-connection-string's stand-in for the empty host of `postgres://user@/db?host=…`.
const DUMMY_HOST = '___DUMMY___'
const MODES_HINT = 'use disable, allow, prefer, require, verify-ca, verify-full or no-verify'

/** The connection string with its TLS parameters removed, and the TLS settings they meant. */
export interface ResolvedTls {
  readonly connectionString: string
  /** `false` for plain text, otherwise Node TLS options. */
  readonly ssl: false | ConnectionOptions
  /** The mode in force once the URL, `PGSSLMODE`, the `ssl` option and the Neon rule are applied. */
  readonly mode: SslMode
  /** Where the mode came from, for messages ("sslmode=require in the connection string"). */
  readonly source: string
  /** True when some host the driver may connect to is a Neon host. */
  readonly neon: boolean
}

interface ModeChoice {
  readonly mode: SslMode
  readonly source: string
}

/**
 * Decides a connection's TLS so it is never plain text where libpq or
 * node-postgres would encrypt, and never verifies less than libpq does for
 * the same URL and environment (`sslmode` keeps libpq's meaning; pg 8
 * itself announces that meaning for its next major version):
 *
 * - `sslmode` in the URL (libpq's modes, plus node-postgres's `no-verify`),
 *   else `ssl=true|1` (verified TLS, as node-postgres does), `ssl=no-verify`
 *   or `ssl=0`, else the stronger of `PGSSLMODE` and the `ssl` option, else
 *   plain text. `allow` and `prefer` encrypt like `require`: never a
 *   fallback to plain text. `require` with a CA checks the chain, as libpq
 *   does with a root certificate.
 * - `sslrootcert=system` (or `PGSSLROOTCERT=system`) means verify-full and
 *   refuses weaker modes, as libpq 16 does; other certificate files are not
 *   read (no file system on edge runtimes), so naming one is refused: pass
 *   the contents in the `ssl` option.
 * - A Neon host (`*.neon.tech`, in any spelling and wherever the URL or
 *   `PGHOST` names it) always gets verified TLS; plain text to it is refused.
 *
 * @throws {ConfigError} when the string is not a URL, names certificate files, gives an unknown or repeated mode, or asks for plain text to a Neon host.
 * @example
 * ```ts
 * resolveTls('postgres://app@db.internal/tasks?sslmode=verify-full', { ca: caPem }).ssl // { ca, rejectUnauthorized: true }
 * ```
 */
export function resolveTls(
  connectionString: string,
  ssl?: boolean | ConnectionOptions,
  env: Environment = globalThis.process?.env ?? {},
): ResolvedTls {
  const { url, emptyHost } = parseUrl(connectionString)
  const extra: ConnectionOptions = typeof ssl === 'object' ? ssl : {}
  const rootCert = checkRootCertificate(url, env, extra)

  const neon = connectionHosts(connectionString, url, env, emptyHost ? '' : url.hostname).some(isNeonHost)
  const chosen = urlMode(url) ??
    stronger(envMode(env), optionMode(ssl)) ?? {
      // nothing asked: plain text as node-postgres does, but never to a Neon host
      mode: neon || rootCert === 'system' ? 'verify-full' : 'disable',
      source: rootCert === 'system' ? 'sslrootcert=system' : 'the default (no sslmode, ssl or PGSSLMODE)',
    }
  if (rootCert === 'system' && chosen.mode !== 'verify-full') {
    throw new ConfigError(
      `${chosen.source} is too weak for sslrootcert=system, which trusts every public certificate authority: use sslmode=verify-full.`,
    )
  }
  if (neon && chosen.mode === 'disable') {
    throw new ConfigError(
      `A Neon host is never reached without TLS, but ${chosen.source} asks for plain text: remove it (Neon's hosts are always verified).`,
    )
  }
  // Neon's certificates are publicly trusted, so its hosts are always verified,
  // even with the sslmode=require its console puts in connection strings.
  const mode = neon && rank(chosen.mode) < rank('verify-ca') ? 'verify-full' : chosen.mode
  if (rootCert !== null && rootCert !== 'system' && mode !== 'disable' && !extra.ca) {
    throw new ConfigError(
      `PGSSLROOTCERT=${rootCert} names a file, which taskstore does not read: pass its contents instead, createDatabase({ ssl: { ca } }).`,
    )
  }
  if (mode === 'verify-ca' && !extra.ca) {
    throw new ConfigError(
      `${chosen.source} asks for verify-ca, which needs the certificate authority to check against: pass it as createDatabase({ ssl: { ca } }), or use verify-full.`,
    )
  }

  for (const param of TLS_PARAMS) url.searchParams.delete(param)
  const stripped = emptyHost ? url.toString().replace(`@${DUMMY_HOST}`, '@') : url.toString()
  return { connectionString: stripped, ssl: tlsOptions(mode, extra), mode, source: chosen.source, neon }
}

function parseUrl(connectionString: string): { url: URL; emptyHost: boolean } {
  let url: URL
  let emptyHost = false
  try {
    try {
      url = new URL(connectionString)
    } catch (cause) {
      // `postgres://user:pw@/db?host=…` has credentials but no host; node-postgres reads it this way.
      if (!connectionString.includes('@/')) throw cause
      url = new URL(connectionString.replace('@/', `@${DUMMY_HOST}/`))
      emptyHost = true
    }
  } catch (cause) {
    // Node's URL error carries the whole input, password included, as `input`.
    throw new ConfigError(
      'The connection string is not a valid postgres:// URL. Set DATABASE_URL to postgres://user:password@host:port/database.',
      { cause: redactError(cause) },
    )
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`The connection string must start with postgres:// or postgresql://, not ${url.protocol}//.`)
  }
  return { url, emptyHost }
}

/** The one value of a TLS parameter; a repeated one is refused, since drivers disagree on which wins. */
function single(url: URL, name: string): string | null {
  const values = url.searchParams.getAll(name)
  if (values.length > 1) {
    throw new ConfigError(`The connection string gives ${name} ${values.length} times: give it once.`)
  }
  return values[0] ?? null
}

function urlMode(url: URL): ModeChoice | null {
  const sslmode = single(url, 'sslmode')
  if (sslmode !== null) {
    return { mode: parseMode(sslmode, 'sslmode'), source: `sslmode=${sslmode} in the connection string` }
  }
  const flag = single(url, 'ssl')
  if (flag === null) return null
  const source = `ssl=${flag} in the connection string`
  switch (flag) {
    // node-postgres reads ssl=true as Node's default TLS: the chain and the host name are checked.
    case 'true':
    case '1':
      return { mode: 'verify-full', source }
    case 'no-verify':
      return { mode: 'require', source }
    case '0':
      return { mode: 'disable', source }
    default:
      throw new ConfigError(
        `Unknown ${source}: use ssl=true (verified TLS), ssl=no-verify (TLS without verification), ssl=0 (plain text) or sslmode=….`,
      )
  }
}

function envMode(env: Environment): ModeChoice | null {
  const value = env.PGSSLMODE
  if (value === undefined || value === '') return null
  return { mode: parseMode(value, 'PGSSLMODE'), source: `PGSSLMODE=${value}` }
}

/** What the `ssl` option asks for on its own: `false` plain text, `rejectUnauthorized: false` no verification. */
function optionMode(ssl: boolean | ConnectionOptions | undefined): ModeChoice | null {
  if (ssl === undefined) return null
  if (ssl === false) return { mode: 'disable', source: 'ssl: false' }
  if (ssl !== true && ssl.rejectUnauthorized === false) return { mode: 'require', source: 'the ssl option' }
  return { mode: 'verify-full', source: 'the ssl option' }
}

function parseMode(value: string, name: string): SslMode {
  // node-postgres's name for TLS without verification
  if (value === 'no-verify') return 'require'
  if ((SSL_MODES as readonly string[]).includes(value)) return value as SslMode
  throw new ConfigError(`Unknown ${name} "${value}": ${MODES_HINT}.`)
}

function rank(mode: SslMode): number {
  // allow and prefer encrypt exactly as require does here
  return mode === 'allow' || mode === 'prefer' ? rank('require') : SSL_MODES.indexOf(mode)
}

function stronger(a: ModeChoice | null, b: ModeChoice | null): ModeChoice | null {
  if (!a || !b) return a ?? b
  return rank(b.mode) > rank(a.mode) ? b : a
}

/**
 * The root certificate named in the URL (`sslrootcert`) or the environment
 * (`PGSSLROOTCERT`): `'system'`, a file name from the environment, or null.
 * A file named in the URL is refused at once; ignoring it could quietly skip
 * a verification libpq would do.
 */
function checkRootCertificate(url: URL, env: Environment, extra: ConnectionOptions): string | null {
  for (const param of ['sslrootcert', 'sslcert', 'sslkey']) {
    const value = single(url, param)
    if (value !== null && !(param === 'sslrootcert' && value === 'system')) {
      throw new ConfigError(
        `The connection string names ${param}=${value}, which taskstore does not read. ` +
          'Pass the certificate contents instead: createDatabase({ ssl: { ca, cert, key } }).',
      )
    }
  }
  if (url.searchParams.has('sslrootcert')) return 'system'
  const fromEnv = env.PGSSLROOTCERT
  if (fromEnv === undefined || fromEnv === '') return null
  // a CA passed in code is what libpq would have read from the file
  return fromEnv === 'system' || !extra.ca ? fromEnv : null
}

function tlsOptions(mode: SslMode, extra: ConnectionOptions): false | ConnectionOptions {
  switch (mode) {
    case 'disable':
      return false
    // libpq's allow/prefer may fall back to plain text; taskstore never does.
    case 'allow':
    case 'prefer':
    case 'require':
      // libpq: with a root certificate, require behaves like verify-ca
      return extra.ca
        ? { ...extra, rejectUnauthorized: true, checkServerIdentity: () => undefined }
        : { ...extra, rejectUnauthorized: false }
    case 'verify-ca':
      return { ...extra, rejectUnauthorized: true, checkServerIdentity: () => undefined }
    case 'verify-full':
      return { ...extra, rejectUnauthorized: true }
  }
}
