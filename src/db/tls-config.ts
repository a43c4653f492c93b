import type { ConnectionOptions } from 'node:tls'
import { ConfigError } from '../errors/index.js'
import { redactError } from './redaction.js'

const SSL_PARAMS = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'uselibpqcompat', 'ssl']

/** The connection string with its TLS parameters removed, and the TLS settings they meant. */
export interface ResolvedTls {
  readonly connectionString: string
  /** `false` for plain text, otherwise Node TLS options. */
  readonly ssl: false | ConnectionOptions
}

/** True for a host of Neon's hosted service, which must never be reached without TLS. */
export function isNeonHost(host: string): boolean {
  return host === 'neon.tech' || host.endsWith('.neon.tech')
}

/** Without `sslmode`: verified TLS when TLS options are given, unless they turn verification off. */
function defaultMode(ssl: boolean | ConnectionOptions | undefined): string {
  if (ssl === undefined || ssl === false) return 'disable'
  return typeof ssl === 'object' && ssl.rejectUnauthorized === false ? 'require' : 'verify-full'
}

/**
 * Reads `sslmode` as libpq does (`disable`, `allow`, `prefer`, `require`,
 * `verify-ca`, `verify-full`) and merges the `ssl` option's Node TLS
 * settings. `require` encrypts without verifying unless a CA is given;
 * `verify-ca` checks the chain; `verify-full` also checks the host name.
 * A `*.neon.tech` host always gets verified TLS. Certificate files named
 * in the URL (`sslrootcert`, `sslcert`, `sslkey`) are refused, not ignored:
 * pass their contents in `ssl`.
 *
 * @throws {ConfigError} when the string is not a URL, names certificate files, or asks for plain text to a Neon host.
 * @example
 * ```ts
 * resolveTls('postgres://app@db.internal/tasks?sslmode=verify-full', { ca: caPem }).ssl // { ca, rejectUnauthorized: true }
 * ```
 */
export function resolveTls(connectionString: string, ssl?: boolean | ConnectionOptions): ResolvedTls {
  let url: URL
  try {
    url = new URL(connectionString)
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
  const sslmode = url.searchParams.get('sslmode') ?? (url.searchParams.get('ssl') === 'true' ? 'require' : null)
  // Certificate files named in the URL are not read (no file system access on
  // edge runtimes); ignoring them could quietly skip a verification libpq would do.
  for (const param of ['sslrootcert', 'sslcert', 'sslkey']) {
    const value = url.searchParams.get(param)
    if (value !== null && !(param === 'sslrootcert' && value === 'system')) {
      throw new ConfigError(
        `The connection string names ${param}=${value}, which taskstore does not read. ` +
          'Pass the certificate contents instead: createDatabase({ ssl: { ca, cert, key } }).',
      )
    }
  }
  for (const param of SSL_PARAMS) url.searchParams.delete(param)
  const stripped = url.toString()

  const neon = isNeonHost(url.hostname)
  if (neon && (sslmode === 'disable' || ssl === false)) {
    throw new ConfigError('A Neon host is never reached without TLS: remove sslmode=disable / ssl: false.')
  }
  const extra: ConnectionOptions = typeof ssl === 'object' ? ssl : {}
  // Neon's certificates are publicly trusted, so its hosts are always verified,
  // even with the sslmode=require its console puts in connection strings.
  const mode =
    neon && (sslmode === null || ['allow', 'prefer', 'require'].includes(sslmode))
      ? 'verify-full'
      : (sslmode ?? defaultMode(ssl))

  switch (mode) {
    case 'disable':
      return { connectionString: stripped, ssl: false }
    // libpq's allow/prefer may fall back to plain text; taskstore never falls back silently.
    case 'allow':
    case 'prefer':
    case 'require':
      // libpq: with a root certificate, require behaves like verify-ca
      return extra.ca
        ? {
            connectionString: stripped,
            ssl: { ...extra, rejectUnauthorized: true, checkServerIdentity: () => undefined },
          }
        : { connectionString: stripped, ssl: { ...extra, rejectUnauthorized: false } }
    case 'verify-ca':
      return {
        connectionString: stripped,
        ssl: { ...extra, rejectUnauthorized: true, checkServerIdentity: () => undefined },
      }
    case 'verify-full':
      return { connectionString: stripped, ssl: { ...extra, rejectUnauthorized: true } }
    default:
      throw new ConfigError(`Unknown sslmode "${mode}": use disable, require, verify-ca or verify-full.`)
  }
}
