// Every password seen in a connection string, so that any error or log line
// the package produces can be scrubbed of it, whichever database it came from.
const KNOWN_SECRETS = new Set<string>()
const REDACTED = '[redacted]'

/** Remembers the password of a connection string (raw and URL-decoded forms). */
export function rememberSecretsOf(connectionString: string): void {
  const password = passwordOf(connectionString)
  if (!password) return
  KNOWN_SECRETS.add(password)
  KNOWN_SECRETS.add(encodeURIComponent(password))
  try {
    KNOWN_SECRETS.add(decodeURIComponent(password))
  } catch {
    // a malformed escape: the raw form is already remembered
  }
}

function passwordOf(connectionString: string): string | null {
  try {
    const url = new URL(connectionString)
    return url.password || null
  } catch {
    const match = /:\/\/[^:/@]*:([^@]*)@/.exec(connectionString)
    return match?.[1] || null
  }
}

// A password this long is replaced wherever it occurs. A shorter one only
// where it stands on its own: replacing "x" or "test" inside every word
// would mangle every message ("te[redacted]t") and hide nothing.
const ANYWHERE_MIN_LENGTH = 8

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** Replaces every known password in a text, and the password part of any URL in it. */
export function redact(text: string): string {
  let result = text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/gi, `$1${REDACTED}@`)
  for (const secret of KNOWN_SECRETS) {
    if (secret.length >= ANYWHERE_MIN_LENGTH) {
      result = result.split(secret).join(REDACTED)
    } else if (secret.length > 0) {
      result = result.replace(
        new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(secret)}(?![\\p{L}\\p{N}])`, 'gu'),
        REDACTED,
      )
    }
  }
  return result
}

/**
 * Returns a copy of an error (and of its `cause` chain) whose message and
 * stack carry no known password. Own enumerable properties such as `code`
 * are kept so callers can still classify it.
 */
export function redactError(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error) || depth > 8) return error
  const copy = Object.create(Object.getPrototypeOf(error)) as Error
  const fields = Object.entries(error).map(([key, value]) => [key, typeof value === 'string' ? redact(value) : value])
  Object.assign(copy, Object.fromEntries(fields))
  Object.defineProperty(copy, 'message', { value: redact(error.message), writable: true, configurable: true })
  Object.defineProperty(copy, 'stack', { value: redact(error.stack ?? ''), writable: true, configurable: true })
  if (error.cause !== undefined) {
    Object.defineProperty(copy, 'cause', {
      value: redactError(error.cause, depth + 1),
      writable: true,
      configurable: true,
    })
  }
  return copy
}
