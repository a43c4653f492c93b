import { isTaskstoreError } from '../errors/index.js'
import { sqlStateOf } from './error-chain.js'
import { redact } from './redaction.js'

// Fields of a driver error that name things (constraint, table, SQLSTATE,
// address) and never hold a row's values. `detail` (`Key (email)=(…)`,
// `Failing row contains (…)`), `where`, `hint`, `internalQuery`, PGlite's
// `params` and pg-mem's `data` are left out.
const NAMING_FIELDS = [
  'code',
  'severity',
  'constraint',
  'table',
  'column',
  'schema',
  'dataType',
  'routine',
  'file',
  'line',
  'position',
  'errno',
  'syscall',
  'address',
  'port',
  'hostname',
]
const MAX_DEPTH = 8
const HIDDEN = '…'

// Server messages that quote the offending value itself. For data
// exceptions (class 22) and RAISE (P0001) every quoted part is masked; for
// errors without a SQLSTATE (pg-mem) only these known shapes are.
// Each shape keeps its two groups around the masked value.
const VALUE_IN_MESSAGE = [
  /(invalid input (?:syntax|value) for [^:]*: )"[^\n]*"()/gi,
  /(value )"[^"\n]*"( is out of range)/gi,
  /(field value out of range: )"[^\n]*"()/gi,
  /(invalid byte sequence for encoding "[^"]*": )[^\n]*()/gi,
]

/** How to copy an error for a host to see. */
export interface ErrorDisclosure {
  /** Keep every field, values from the server's error detail included (the host opted in). */
  readonly disclose: boolean
  /** Applied to every text kept when disclosing: removes password hashes. */
  readonly scrub?: (text: string) => string
  /** Applied to a bound parameter list found on the error (PGlite's `params`) when disclosing. */
  readonly scrubParameters?: (parameters: readonly unknown[]) => unknown[]
}

/** The first line of a message, with the values a server quotes in it masked. */
export function safeMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  // pg-mem appends the detail and the failed statement, values inlined, after the first line
  let line = message.split('\n', 1)[0]!
  const state = sqlStateOf(error)
  // 2200H (a sequence ran out) quotes the sequence's name, not a value
  if ((state?.startsWith('22') && state !== '2200H') || state === 'P0001') {
    line = line.replace(/"[^"]*"/g, `"${HIDDEN}"`)
  }
  for (const shape of VALUE_IN_MESSAGE)
    line = line.replace(shape, (_, before: string, after = '') => `${before}"${HIDDEN}"${after}`)
  return redact(line)
}

/**
 * A copy of an error (and of its `cause` chain and AggregateError members)
 * that a host may log: same prototype, no known password, and without any
 * value from the server's error detail — only the fields that name things
 * (SQLSTATE, constraint, table, column) and a masked first line of the
 * message. With `disclose`, every field is kept, scrubbed of password
 * hashes. The package's own errors keep their fields; their causes are
 * copied the same way.
 */
export function sanitizeError(error: unknown, disclosure: ErrorDisclosure, depth = 0): unknown {
  if (!(error instanceof Error) || depth > MAX_DEPTH) return error
  const scrub = (text: string) => (disclosure.scrub ? disclosure.scrub(redact(text)) : redact(text))
  const copy = Object.create(Object.getPrototypeOf(error)) as Error & Record<string, unknown>
  const source = error as Error & Record<string, unknown>
  // the package's own errors are built from sanitized text already
  const own = isTaskstoreError(error)
  // a transaction rollback's detail (class 40: "Reason code: Canceled on commit attempt…", the deadlock's
  // processes) says why, and holds no value of a row
  const keepsDetail = typeof source.code === 'string' && source.code.startsWith('40')
  for (const key of Object.keys(error)) {
    if (key === 'cause' || key === 'errors') continue
    if (!own && !disclosure.disclose && !NAMING_FIELDS.includes(key) && !(keepsDetail && key === 'detail')) continue
    copy[key] = disclosure.disclose ? scrubValue(source[key], key, disclosure, scrub, depth) : redactValue(source[key])
  }
  const message = own ? redact(error.message) : disclosure.disclose ? scrub(error.message) : safeMessage(error)
  define(copy, 'message', message)
  define(copy, 'stack', rebuildStack(error, message))
  if (error.cause !== undefined) define(copy, 'cause', sanitizeError(error.cause, disclosure, depth + 1))
  if (Array.isArray(source.errors)) {
    define(
      copy,
      'errors',
      source.errors.map((inner: unknown) => sanitizeError(inner, disclosure, depth + 1)),
    )
  }
  return copy
}

/** {@link sanitizeError} without disclosure: what every error the package throws carries as its cause. */
export function withoutErrorDetail(error: unknown): unknown {
  return sanitizeError(error, { disclose: false })
}

function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, configurable: true })
}

function redactValue(value: unknown): unknown {
  return typeof value === 'string' ? redact(value) : value
}

function scrubValue(
  value: unknown,
  key: string,
  disclosure: ErrorDisclosure,
  scrub: (text: string) => string,
  depth: number,
): unknown {
  if (typeof value === 'string') return scrub(value)
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return value
  if (value instanceof Error) return sanitizeError(value, disclosure, depth + 1)
  if (Array.isArray(value)) {
    const items = value.map((item) => scrubValue(item, '', disclosure, scrub, depth + 1))
    return (key === 'params' || key === 'parameters') && disclosure.scrubParameters
      ? disclosure.scrubParameters(items)
      : items
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return value
  return Object.fromEntries(
    Object.entries(value).map(([name, item]) => [name, scrubValue(item, name, disclosure, scrub, depth + 1)]),
  )
}

// The stack starts with the message, which may span lines (pg-mem's does);
// keep only the frames after it.
function rebuildStack(error: Error, message: string): string {
  const frames = (error.stack ?? '')
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .join('\n')
  const head = `${error.name}: ${message}`
  return redact(frames ? `${head}\n${frames}` : head)
}
