import { ConfigError } from '../errors/index.js'

/** A driver client as node-postgres and Neon make them, before it connects. */
export interface ReportingClient {
  readonly connection?: {
    on(
      event: 'parameterStatus',
      listener: (message: { parameterName: string; parameterValue: string }) => void,
    ): unknown
  }
  readonly user?: string
  readonly database?: string
}

/** A watched client and the `DateStyle` its server last reported. */
interface Watched {
  readonly client: ReportingClient
  dateStyle?: string
}

// By client: the pool's onConnect hands the client back typed as a bare driver client.
const WATCHED = new WeakMap<object, Watched>()

/**
 * Remembers the `DateStyle` the server reports on a client's connection:
 * Postgres sends it at start-up and again whenever it changes, and a
 * PgBouncer sends the value it keeps for that client (it tracks
 * `DateStyle` and sets it on every server connection it lends the
 * client). Call it from the client's constructor, before it connects.
 *
 * @example
 * ```ts
 * class Client extends pg.Client {
 *   constructor(config?: pg.ClientConfig) {
 *     super(config)
 *     watchDateStyle(this)
 *   }
 * }
 * ```
 */
export function watchDateStyle(client: ReportingClient): void {
  const watched: Watched = { client }
  WATCHED.set(client, watched)
  client.connection?.on('parameterStatus', (message) => {
    if (message.parameterName === 'DateStyle') watched.dateStyle = message.parameterValue
  })
}

/**
 * The pool's `onConnect` check: refuses a new connection whose `DateStyle`
 * prints timestamps in any style but ISO, with a `ConfigError` that names
 * the setting and the statement that fixes it. The other styles print a
 * time zone abbreviation (`MMT`, `IST`, `LMT`) instead of an offset, which
 * no client can turn back into the exact instant.
 *
 * Checking is chosen over setting `DateStyle` on each connection: a `SET`
 * at connect changes session state a host's own queries see, and through a
 * transaction-pooling proxy that does not track the setting it would hold
 * on one server connection and not on the next. The reported value is what
 * the connection will use, directly and through PgBouncer alike. A client
 * never given to {@link watchDateStyle} passes unchecked.
 *
 * @throws {ConfigError} when the connection's `DateStyle` is not ISO.
 * @example
 * ```ts
 * class DateStyleWatchingClient extends pg.Client {
 *   constructor(config?: pg.ClientConfig) {
 *     super(config)
 *     watchDateStyle(this)
 *   }
 * }
 * new pg.Pool({ connectionString, Client: DateStyleWatchingClient, onConnect: requireIsoDateStyle })
 * ```
 */
export function requireIsoDateStyle(client: object): void {
  const watched = WATCHED.get(client)
  const dateStyle = watched?.dateStyle
  if (watched === undefined || dateStyle === undefined || /^\s*ISO\b/i.test(dateStyle)) return
  throw dateStyleError(dateStyle, watched.client)
}

const quoteIdentifier = (name: string) => `"${name.replaceAll('"', '""')}"`

function dateStyleError(dateStyle: string, { user, database }: ReportingClient): ConfigError {
  // keep the host's order for reading ambiguous dates (DMY, MDY, YMD); only the output style must change
  const order = /\b(DMY|MDY|YMD)\b/i.exec(dateStyle)?.[1]?.toUpperCase() ?? 'MDY'
  const wanted = `'ISO, ${order}'`
  const role = user ? quoteIdentifier(user) : 'your_role'
  const inDatabase = database ? ` IN DATABASE ${quoteIdentifier(database)}` : ''
  const onDatabase = database ? quoteIdentifier(database) : 'your_database'
  return new ConfigError(
    `The connection's DateStyle is "${dateStyle}", but taskstore reads timestamps only in the ISO output style (the others print a zone abbreviation that cannot be read back exactly). ` +
      `Set it for the role the store connects as: ALTER ROLE ${role}${inDatabase} SET DateStyle = ${wanted}; ` +
      `(or for every role: ALTER DATABASE ${onDatabase} SET DateStyle = ${wanted};), ` +
      "remove any DateStyle from the connection string's options and PGOPTIONS, and reconnect " +
      '(through PgBouncer, run RECONNECT on its admin console: it keeps the settings its first server connection reported).',
  )
}

/**
 * The error for a `timestamptz` value whose text no parser could read: the
 * session's `DateStyle` was changed to a non-ISO style after it connected
 * (a `SET DateStyle` on the store's connection). Raised instead of letting
 * a timestamp turn into `null`.
 *
 * @example
 * ```ts
 * throw unreadableTimestampError()
 * ```
 */
export function unreadableTimestampError(): ConfigError {
  return new ConfigError(
    "A timestamp came back in a form taskstore cannot read: the session's DateStyle is not ISO. Do not SET DateStyle on the store's connections; keep it ISO (ALTER ROLE … SET DateStyle = 'ISO, MDY').",
  )
}
