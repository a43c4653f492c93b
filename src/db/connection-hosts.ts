/** Environment variables, as `process.env` holds them. */
export type Environment = Readonly<Record<string, string | undefined>>

/**
 * Every host a driver may connect to for a connection string: its `host`
 * query parameters (node-postgres and libpq prefer them to the URL's own
 * host), the URL's host, the host the Neon driver reads (it parses the URL
 * as `http:`, where `postgres:///name` names the host `name`), and `PGHOST`
 * when the URL names no host (`hostname` is the URL's host as node-postgres
 * reads it). Comma-separated lists are split. Checking all
 * of them means a Neon host cannot slip past by being spelled elsewhere.
 *
 * @example
 * ```ts
 * connectionHosts('postgres:///db?host=EP-X.NEON.TECH.', new URL('postgres:///db?host=EP-X.NEON.TECH.'), {})
 * // ['EP-X.NEON.TECH.', 'db']
 * ```
 */
export function connectionHosts(
  connectionString: string,
  url: URL,
  env: Environment,
  hostname = url.hostname,
): string[] {
  const hosts = [...url.searchParams.getAll('host'), hostname]
  try {
    hosts.push(new URL(`http${connectionString.slice(connectionString.indexOf(':'))}`).hostname)
  } catch {
    // not readable as http: either, so the Neon driver cannot connect with it
  }
  if (!hostname && !url.searchParams.get('host')) hosts.push(env.PGHOST ?? '')
  return hosts.flatMap((host) => host.split(',')).filter((host) => host.trim() !== '')
}

/**
 * True for a host of Neon's hosted service (`neon.tech` and its subdomains),
 * however it is spelled: any case, trailing dots, IPv6-style brackets,
 * percent-escapes or full-width characters that a URL parser folds to ASCII.
 *
 * @example
 * ```ts
 * isNeonHost('EP-X.US-EAST-2.AWS.NEON.TECH.') // true
 * isNeonHost('db.example.com') // false
 * ```
 */
export function isNeonHost(host: string): boolean {
  return spellingsOf(host).some((name) => name === 'neon.tech' || name.endsWith('.neon.tech'))
}

/** The forms a resolver may turn a host into; a match on any of them counts. */
function spellingsOf(host: string): string[] {
  const forms = [host]
  try {
    forms.push(decodeURIComponent(host))
  } catch {
    // a malformed escape: the raw form stays
  }
  for (const form of [...forms]) {
    try {
      // the WHATWG host parser lower-cases, decodes escapes and maps Unicode to ASCII (IDNA)
      forms.push(new URL(`http://${form}`).hostname)
    } catch {
      // not a valid host for http:, the other forms stay
    }
  }
  return forms.map((form) =>
    form
      .trim()
      .toLowerCase()
      .replace(/^\[|\]$/g, '')
      .replace(/\.+$/, ''),
  )
}
