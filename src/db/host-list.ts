import { ConfigError } from '../errors/index.js'
import { redact } from './redaction.js'

/** Which server a connection may use, as libpq's `target_session_attrs` says. */
export type TargetSessionAttrs = 'any' | 'read-write' | 'read-only' | 'primary' | 'standby' | 'prefer-standby'

const TARGETS: readonly TargetSessionAttrs[] = [
  'any',
  'read-write',
  'read-only',
  'primary',
  'standby',
  'prefer-standby',
]
const PARAMETER = 'target_session_attrs'
// scheme, user information, the host list, then path, query and fragment
const AUTHORITY = /^(postgres(?:ql)?:\/\/)([^@/?#]*@)?([^/?#]*)(.*)$/is

/** One server named by a connection string, with a connection string for it alone. */
export interface NamedHost {
  /** `host:port` as written (no credentials), for messages and health reports. */
  readonly label: string
  readonly connectionString: string
}

/** The servers a multi-host connection string names, and how to choose among them. */
export interface HostList {
  readonly hosts: readonly NamedHost[]
  readonly target: TargetSessionAttrs
}

/**
 * Reads a connection string the way libpq reads a host list:
 * `postgres://u@h1:5432,h2:5433/db?target_session_attrs=read-write`. Returns
 * null for a string naming one host without `target_session_attrs`, which
 * needs no choosing. Several hosts default to `read-write`, as in libpq.
 *
 * @throws {ConfigError} for an unknown or repeated `target_session_attrs`, or an empty host in the list.
 * @example
 * ```ts
 * const list = parseHostList('postgres://app@db1:5432,db2:5433/tasks')
 * // { target: 'read-write', hosts: [{ label: 'db1:5432', … }, { label: 'db2:5433', … }] }
 * ```
 */
export function parseHostList(connectionString: string): HostList | null {
  const match = AUTHORITY.exec(connectionString)
  if (!match) return null
  const [, scheme, userInfo = '', hostPart = '', rest = ''] = match
  const { rest: withoutTarget, target } = takeTarget(rest!)
  const hosts = splitHosts(hostPart!)
  if (hosts.length <= 1 && target === undefined) return null
  if (hosts.some((host) => host === '')) {
    throw new ConfigError(
      `The connection string names an empty host in its host list (${redact(connectionString)}): write host:port pairs separated by commas.`,
    )
  }
  return {
    target: target ?? (hosts.length > 1 ? 'read-write' : 'any'),
    hosts: hosts.map((label) => ({ label, connectionString: `${scheme}${userInfo}${label}${withoutTarget}` })),
  }
}

/** Splits `h1:1,[::1]:2` at the commas that separate hosts (none sits inside brackets). */
function splitHosts(hostPart: string): string[] {
  if (hostPart === '') return ['']
  return hostPart.split(/,(?![^[]*\])/)
}

/** The query without `target_session_attrs`, and its value. */
function takeTarget(rest: string): { rest: string; target: TargetSessionAttrs | undefined } {
  const queryStart = rest.indexOf('?')
  if (queryStart < 0) return { rest, target: undefined }
  const fragmentStart = rest.indexOf('#', queryStart)
  const query = rest.slice(queryStart + 1, fragmentStart < 0 ? undefined : fragmentStart)
  const fragment = fragmentStart < 0 ? '' : rest.slice(fragmentStart)
  const kept: string[] = []
  const values: string[] = []
  for (const pair of query.split('&')) {
    const [key = '', value = ''] = pair.split('=', 2)
    if (decodeURIComponent(key) === PARAMETER) values.push(decodeURIComponent(value))
    else if (pair !== '') kept.push(pair)
  }
  if (values.length === 0) return { rest, target: undefined }
  if (values.length > 1) {
    throw new ConfigError(`The connection string gives ${PARAMETER} ${values.length} times: give it once.`)
  }
  const target = values[0] as TargetSessionAttrs
  if (!TARGETS.includes(target)) {
    throw new ConfigError(
      `Unknown ${PARAMETER} "${redact(values[0]!)}" in the connection string: use ${TARGETS.join(', ')}.`,
    )
  }
  const path = rest.slice(0, queryStart)
  return { rest: `${path}${kept.length > 0 ? `?${kept.join('&')}` : ''}${fragment}`, target }
}

/**
 * The host part of a connection string (`db1:5432,db2:5433`), without
 * credentials, for health reports; `(default)` when it names none.
 *
 * @example
 * ```ts
 * hostLabelOf('postgres://app:secret@db1:5432/tasks') // 'db1:5432'
 * ```
 */
export function hostLabelOf(connectionString: string): string {
  const match = AUTHORITY.exec(connectionString)
  return match?.[3] || '(default)'
}
