import { ConfigError } from '../errors/index.js'
import { discardBrokenClients, type GuardedPool } from './discard-broken-clients.js'
import { explainRejectedParameters, listenForClientErrors } from './pg-pool.js'
import { importPeer, type PoolSettings } from './pool-settings.js'
import { withFastTimestamps } from './timestamp-parser.js'
import { isNeonHost } from './tls-config.js'

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

/** Opens a Neon `Pool` over WebSockets; the driver is imported here, on first use. */
export async function createNeonPool(settings: PoolSettings & { neon: NeonSettings }): Promise<GuardedPool> {
  const { tls, pool, neon } = settings
  const host = new URL(tls.connectionString).hostname
  if (isNeonHost(host) && neon.useSecureWebSocket === false) {
    throw new ConfigError('A Neon host is never reached without TLS: remove useSecureWebSocket: false.')
  }
  const driver = await importPeer('@neondatabase/serverless', () => import('@neondatabase/serverless'))
  const webSocketConstructor = neon.webSocketConstructor ?? globalThis.WebSocket ?? (await loadWs())
  const instanceSettings = { ...neon, webSocketConstructor }

  class ConfiguredClient extends driver.Client {
    constructor(config: ConstructorParameters<typeof driver.Client>[0]) {
      super(config)
      Object.assign(this.neonConfig, instanceSettings)
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
    // Over Neon the WebSocket carries TLS; the Postgres-level TLS inside it follows sslmode.
    ssl: tls.ssl === false ? false : tls.ssl,
    types: withFastTimestamps(driver.types),
    max: pool.max,
    idleTimeoutMillis: pool.idleTimeoutMillis,
    connectionTimeoutMillis: pool.connectionTimeoutMillis,
    ...(settings.statementTimeoutMs === undefined ? {} : { statement_timeout: settings.statementTimeoutMs }),
  } as ConstructorParameters<typeof driver.Pool>[0])
  // Neon's Pool assigns its own Client class after pg-pool has read the
  // `Client` option, so the option is ignored: set the class afterwards.
  ;(instance as unknown as { Client: unknown }).Client = ConfiguredClient
  instance.on('error', () => {})
  listenForClientErrors(instance as unknown as Parameters<typeof listenForClientErrors>[0])
  explainRejectedParameters(instance as unknown as { connect(...args: unknown[]): unknown })
  // The Neon driver's types differ from node-postgres's; the protocol and API are the same.
  return discardBrokenClients(instance as unknown as Parameters<typeof discardBrokenClients>[0])
}

async function loadWs(): Promise<unknown> {
  const ws = await importPeer('ws', () => import('ws'))
  return (ws as { default?: unknown }).default ?? ws
}
