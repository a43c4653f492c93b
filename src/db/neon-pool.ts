import { ConfigError } from '../errors/index.js'
import { type DriverPool, discardBrokenClients, type GuardedPool } from './discard-broken-clients.js'
import { errorCode } from './error-chain.js'
import { requireIsoDateStyle, watchDateStyle } from './iso-date-style.js'
import { explainRejectedParameters, listenForClientErrors } from './pg-pool.js'
import { importPeer, type PoolSettings } from './pool-settings.js'
import { withFastTimestamps } from './timestamp-parser.js'

/**
 * Settings of the Neon serverless driver, applied to this database's
 * connections only (Neon's global `neonConfig` is left alone).
 */
export interface NeonSettings {
  /** A WebSocket implementation; defaults to the `ws` package on Node without a global WebSocket. */
  readonly webSocketConstructor?: unknown
  /** A proxy address, or a function of host and port returning one. */
  readonly wsProxy?: string | ((host: string, port: number | string) => string)
  /** `wss:` (default) or `ws:`; must stay true for a `*.neon.tech` host. */
  readonly useSecureWebSocket?: boolean
  readonly pipelineConnect?: 'password' | false
  readonly pipelineTLS?: boolean
  readonly forceDisablePgSSL?: boolean
  readonly coalesceWrites?: boolean
}

/**
 * Opens a Neon `Pool` over WebSockets; the driver is imported here, on first
 * use. Whenever the connection's TLS decision asks for encryption, the
 * WebSocket must be a secure one (`wss:`), or the driver must run Postgres's
 * own TLS inside it (`forceDisablePgSSL: false`); a `*.neon.tech` host
 * always needs `wss:`. Anything else would send plain text, so it is a
 * `ConfigError`.
 */
export async function createNeonPool(settings: PoolSettings & { neon: NeonSettings }): Promise<GuardedPool> {
  const { tls, pool, neon } = settings
  const driver = await importPeer('@neondatabase/serverless', () => import('@neondatabase/serverless'))
  // Unset settings fall back to Neon's global neonConfig, which the host may have changed.
  const useSecureWebSocket = neon.useSecureWebSocket ?? driver.neonConfig.useSecureWebSocket
  const postgresTls = (neon.forceDisablePgSSL ?? driver.neonConfig.forceDisablePgSSL) === false
  if (tls.neon && !useSecureWebSocket) {
    throw new ConfigError(
      'A Neon host is never reached without TLS, but useSecureWebSocket is false (in the neon option or Neon’s global neonConfig): keep secure WebSockets.',
    )
  }
  if (tls.ssl !== false && !useSecureWebSocket && !postgresTls) {
    throw new ConfigError(
      `${tls.source} asks for TLS, but useSecureWebSocket: false would send plain text over the WebSocket: ` +
        'keep secure WebSockets (wss:), or ask for plain text with sslmode=disable.',
    )
  }
  const webSocketConstructor = neon.webSocketConstructor ?? globalThis.WebSocket ?? (await loadWs())
  const instanceSettings = { ...neon, useSecureWebSocket, webSocketConstructor }

  class ConfiguredClient extends driver.Client {
    constructor(config: ConstructorParameters<typeof driver.Client>[0]) {
      super(config)
      Object.assign(this.neonConfig, instanceSettings)
      watchDateStyle(this)
    }

    // The driver's SCRAM step is async and throws when the URL has no
    // password: the rejection went unhandled (which ends a Node process) and
    // the connection hung until its timeout. Fail the connection instead, as
    // node-postgres does, with node-postgres's words for the missing password.
    override async _handleAuthSASLContinue(message: unknown): Promise<void> {
      try {
        await super._handleAuthSASLContinue(message)
      } catch (error) {
        const password = (this as { password?: unknown }).password
        this.connection.emit(
          'error',
          typeof password === 'string' && password !== ''
            ? error
            : new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string'),
        )
      }
    }
  }

  const instance = new driver.Pool({
    connectionString: tls.connectionString,
    // Used only with forceDisablePgSSL: false; otherwise the secure WebSocket carries the TLS.
    ssl: tls.ssl,
    types: withFastTimestamps(driver.types),
    onConnect: requireIsoDateStyle,
    max: pool.max,
    idleTimeoutMillis: pool.idleTimeoutMillis,
    connectionTimeoutMillis: pool.connectionTimeoutMillis,
    ...(settings.statementTimeoutMs === undefined ? {} : { statement_timeout: settings.statementTimeoutMs }),
  } as ConstructorParameters<typeof driver.Pool>[0])
  // Neon's Pool assigns its own Client class after pg-pool has read the
  // `Client` option, so the option is ignored: set the class afterwards.
  instance.Client = ConfiguredClient
  instance.on('error', () => {})
  listenForClientErrors(instance)
  unwrapWebSocketErrors(instance)
  explainRejectedParameters(instance)
  // Neon's Client type says connect() resolves to nothing, Kysely's PostgresClient
  // that it resolves to the client; otherwise the driver is node-postgres's, API and all.
  return discardBrokenClients(instance as unknown as DriverPool)
}

async function loadWs(): Promise<unknown> {
  const ws = await importPeer('ws', () => import('ws'))
  return (ws as { default?: unknown }).default ?? ws
}

/**
 * The Neon driver rejects a WebSocket that failed to open with the DOM
 * `ErrorEvent` itself, which is no `Error` and hides its reason (a refused
 * connection, a rejected certificate) in `.error`. Turns it into an `Error`
 * with that reason as its cause and code, so it is classified and reported
 * like the same failure over TCP.
 */
function unwrapWebSocketErrors(pool: { connect(...args: unknown[]): unknown }): void {
  const connect = pool.connect.bind(pool)
  pool.connect = (...args: unknown[]) => {
    // The callback form (pool.query uses it) passes through untouched.
    if (args.length > 0) return connect(...args)
    return (connect() as Promise<unknown>).catch((error: unknown) => {
      throw asError(error)
    })
  }
}

function asError(error: unknown): unknown {
  const inner = (error as { error?: unknown } | null)?.error
  if (error instanceof Error || !(inner instanceof Error)) return error
  const message = (error as { message?: unknown }).message
  const wrapped = new Error(typeof message === 'string' && message ? message : inner.message, { cause: inner })
  const code = errorCode(inner)
  return code === undefined ? wrapped : Object.assign(wrapped, { code })
}
