import type { ConnectionOptions } from 'node:tls'
import { ConfigError } from '../errors/index.js'
import { connectionHosts, type Environment, isNeonHost } from './connection-hosts.js'
import { redactError } from './redaction.js'

/** libpq's TLS modes, weakest first. */
const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const

/**
 * How much TLS a connection gets: `disable` plain text, `require` encryption
 * without verification (the chain is checked when a CA is given), `verify-ca`
 * the chain only, `verify-full` the chain and the host name.
 */
export type SslMode = (typeof SSL_MODES)[number]

/** A mode as the URL or `PGSSLMODE` spells it: libpq's, or node-postgres's `no-verify`. */
type SpelledMode = SslMode | 'no-verify'

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
  /**
   * What to change when the server's certificate is rejected under a mode
   * libpq would not have verified (`sslmode=require`, say), or null.
   */
  readonly rejectionHint: string | null
}

interface ModeChoice {
  /** The mode as spelled, for the checks that follow libpq's words (sslrootcert=system, verify-ca). */
  readonly spelled: SpelledMode
  /** What the spelling means here. */
  readonly mode: SslMode
  readonly source: string
}

/**
 * Decides a connection's TLS so it is at least as strict as both libpq and
 * node-postgres 8 for the same URL and environment: never a certificate
 * accepted that either would refuse, and never plain text where the URL or
 * `PGSSLMODE` asks either of them for TLS.
 *
 * - `sslmode` in the URL has node-postgres 8's meaning: `allow`, `prefer`,
 *   `require` and `verify-ca` verify the chain and the host name, as
 *   `verify-full` does; `no-verify` encrypts without verifying; `disable` is
 *   plain text. With `uselibpqcompat=true` in the URL, as in node-postgres,
 *   `sslmode` has libpq's meaning instead: `prefer` and `require` encrypt
 *   without verifying (the chain is checked when a CA is given), `verify-ca`
 *   checks the chain only; `allow` still verifies fully, as node-postgres
 *   does with that flag, and `no-verify` (no libpq mode) is refused.
 * - Without `sslmode`: `ssl=true|1` (verified TLS, as node-postgres does),
 *   `ssl=no-verify` or `ssl=0`; else the stronger of `PGSSLMODE` (read as
 *   node-postgres reads it, whatever `uselibpqcompat` says, and `allow` too
 *   verified) and the `ssl` option (`rejectUnauthorized: false` means no
 *   verification); else plain text. Nothing ever falls back to plain text.
 * - `verify-ca` needs the CA in the `ssl` option, as libpq needs its root
 *   certificate file.
 * - `sslrootcert=system` (or `PGSSLROOTCERT=system`) means verify-full and
 *   refuses a weaker spelling, as libpq 16 does; other certificate files are
 *   not read (no file system on edge runtimes), so naming one is refused:
 *   pass the contents in the `ssl` option.
 * - A Neon host (`*.neon.tech`, in any spelling and wherever the URL or
 *   `PGHOST` names it) always gets verified TLS; plain text to it is refused.
 *
 * @throws {ConfigError} when the string is not a URL, names certificate files, gives an unknown or repeated mode, or asks for plain text to a Neon host.
 * @example
 * ```ts
 * resolveTls('postgres://app@db.internal/tasks?sslmode=require', { ca: caPem }).ssl // { ca, rejectUnauthorized: true }
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
  const chosen =
    urlMode(url) ??
    stronger(envMode(env), optionMode(ssl)) ??
    // nothing asked: plain text as node-postgres does, but never to a Neon host
    fixedMode(
      neon || rootCert === 'system' ? 'verify-full' : 'disable',
      rootCert === 'system' ? 'sslrootcert=system' : 'the default (no sslmode, ssl or PGSSLMODE)',
    )
  if (rootCert === 'system' && chosen.spelled !== 'verify-full') {
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
  if (chosen.spelled === 'verify-ca' && !extra.ca) {
    throw new ConfigError(
      `${chosen.source} asks for verify-ca, which needs the certificate authority to check against: pass it as createDatabase({ ssl: { ca } }), or use verify-full.`,
    )
  }

  for (const param of TLS_PARAMS) url.searchParams.delete(param)
  const stripped = emptyHost ? url.toString().replace(`@${DUMMY_HOST}`, '@') : url.toString()
  return {
    connectionString: stripped,
    ssl: tlsOptions(mode, extra),
    mode,
    source: chosen.source,
    neon,
    rejectionHint: neon ? null : rejectionHint(chosen),
  }
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
  const libpq = libpqMeanings(url)
  const sslmode = single(url, 'sslmode')
  if (sslmode !== null) {
    const source = `${libpq ? 'uselibpqcompat=true&' : ''}sslmode=${sslmode} in the connection string`
    const spelled = parseMode(sslmode, 'sslmode')
    if (!libpq) return { spelled, mode: pgMeaning(spelled), source }
    if (spelled === 'no-verify') {
      // libpq refuses it; node-postgres with this flag verifies fully
      throw new ConfigError(
        `${source}: no-verify is not one of libpq's modes. Use sslmode=require with uselibpqcompat=true, or sslmode=no-verify without it.`,
      )
    }
    return { spelled, mode: libpqMeaning(spelled), source }
  }
  const flag = single(url, 'ssl')
  if (flag === null) return null
  const source = `ssl=${flag} in the connection string`
  switch (flag) {
    // node-postgres reads ssl=true as Node's default TLS: the chain and the host name are checked.
    case 'true':
    case '1':
      return { spelled: 'verify-full', mode: 'verify-full', source }
    case 'no-verify':
      return { spelled: 'no-verify', mode: 'require', source }
    case '0':
      return fixedMode('disable', source)
    default:
      throw new ConfigError(
        `Unknown ${source}: use ssl=true (verified TLS), ssl=no-verify (TLS without verification), ssl=0 (plain text) or sslmode=….`,
      )
  }
}

/** True when the URL asks for libpq's meaning of `sslmode`, as node-postgres's `uselibpqcompat=true` does. */
function libpqMeanings(url: URL): boolean {
  const flag = single(url, 'uselibpqcompat')
  if (flag === null || flag === 'false') return false
  if (flag === 'true') return true
  throw new ConfigError(
    `Unknown uselibpqcompat=${flag} in the connection string: use uselibpqcompat=true or leave it out.`,
  )
}

/**
 * node-postgres 8's reading: every mode but disable and no-verify checks the
 * chain and the host name (its own deprecation warning says so).
 */
function pgMeaning(spelled: SpelledMode): SslMode {
  if (spelled === 'disable') return 'disable'
  if (spelled === 'no-verify') return 'require'
  return 'verify-full'
}

/** libpq's reading, never weaker than node-postgres's with uselibpqcompat=true. */
function libpqMeaning(spelled: SslMode): SslMode {
  // libpq's allow may stay in plain text, which node-postgres never does; with this flag it verifies fully.
  if (spelled === 'allow') return 'verify-full'
  // prefer may fall back to plain text in libpq; taskstore never does.
  return spelled === 'prefer' ? 'require' : spelled
}

function envMode(env: Environment): ModeChoice | null {
  const value = env.PGSSLMODE
  if (value === undefined || value === '') return null
  const spelled = parseMode(value, 'PGSSLMODE')
  // node-postgres leaves PGSSLMODE=allow in plain text and libpq prefers plain text for it: verifying is the stricter.
  return { spelled, mode: pgMeaning(spelled), source: `PGSSLMODE=${value}` }
}

/** What the `ssl` option asks for on its own: `false` plain text, `rejectUnauthorized: false` no verification. */
function optionMode(ssl: boolean | ConnectionOptions | undefined): ModeChoice | null {
  if (ssl === undefined) return null
  if (ssl === false) return fixedMode('disable', 'ssl: false')
  if (ssl !== true && ssl.rejectUnauthorized === false) {
    return { spelled: 'no-verify', mode: 'require', source: 'the ssl option' }
  }
  return fixedMode('verify-full', 'the ssl option')
}

function fixedMode(mode: 'disable' | 'verify-full', source: string): ModeChoice {
  return { spelled: mode, mode, source }
}

function parseMode(value: string, name: string): SpelledMode {
  if (value === 'no-verify' || (SSL_MODES as readonly string[]).includes(value)) return value as SpelledMode
  throw new ConfigError(`Unknown ${name} "${value}": ${MODES_HINT}.`)
}

function rank(mode: SpelledMode): number {
  // no-verify encrypts exactly as require does here
  return mode === 'no-verify' ? rank('require') : SSL_MODES.indexOf(mode)
}

/** The choice that verifies more; between equals, the stronger spelling (verify-full needs no CA, verify-ca does). */
function stronger(a: ModeChoice | null, b: ModeChoice | null): ModeChoice | null {
  if (!a || !b) return a ?? b
  const byMode = rank(b.mode) - rank(a.mode)
  return byMode > 0 || (byMode === 0 && rank(b.spelled) > rank(a.spelled)) ? b : a
}

/** Says what to write instead when a spelling libpq reads as unverified (require, say) verifies fully. */
function rejectionHint(chosen: ModeChoice): string | null {
  if (chosen.mode !== 'verify-full' || chosen.spelled === 'verify-full') return null
  const optOut = chosen.source.startsWith('PGSSLMODE')
    ? 'PGSSLMODE=no-verify'
    : chosen.source.startsWith('uselibpqcompat')
      ? 'uselibpqcompat=true&sslmode=require'
      : 'sslmode=no-verify (or uselibpqcompat=true&sslmode=require)'
  return (
    `${chosen.source} verifies the certificate chain and the host name, as node-postgres 8 does. ` +
    'Pass the certificate authority that signed the server certificate as createDatabase({ ssl: { ca } }) and connect by the name it was issued to; ' +
    `only on a network you trust, encrypt without verification with ${optOut}.`
  )
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
    // never chosen by resolveTls (allow and prefer are read as verify-full or require), but never plain text
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
