import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { connect, type Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import type { NeonSettings } from '../../src/index.js'

/** A WebSocket-to-TCP relay that lets the Neon driver reach a local server. */
export interface NeonRelay {
  readonly port: number
  /** How many WebSocket connections the relay has accepted so far. */
  readonly connections: number
  /** How many of them came over TLS (`wss:`). */
  readonly secureConnections: number
  /** Settings for `createDatabase({ driver: 'neon', neon })` that route through this relay. */
  readonly settings: NeonSettings
  /** Cuts every relayed connection at once, as a network failure would. */
  dropConnections(): void
  close(): Promise<void>
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1'])

/** Settings for `createDatabase({ driver: 'neon', neon })` that route through a plain relay on `port`, in any process. */
export async function relaySettings(port: number): Promise<NeonSettings> {
  const { default: ws } = await import('ws')
  return {
    webSocketConstructor: ws,
    wsProxy: (host: string, targetPort: number | string) => `127.0.0.1:${port}/v1?address=${host}:${targetPort}`,
    useSecureWebSocket: false,
    pipelineConnect: false,
    pipelineTLS: false,
  }
}

/** A certificate for the relay to present, and the CA its clients should trust. */
export interface RelayTls {
  readonly cert: string
  readonly key: string
  readonly ca: string
  /** The host name the certificate is issued to; clients connect by this name. */
  readonly serverName: string
}

/**
 * Starts a relay on a free loopback port: each WebSocket connection at
 * `/v1?address=host:port` is piped to a TCP connection to that address, as
 * Neon's own proxy does. Only loopback addresses are relayed. With `tls` it
 * serves secure WebSockets (`wss:`) with that certificate.
 *
 * @example
 * ```ts
 * const relay = await startNeonRelay()
 * const db = createDatabase({ driver: 'neon', connectionString: url, neon: relay.settings })
 * ```
 */
export async function startNeonRelay(options: { tls?: RelayTls } = {}): Promise<NeonRelay> {
  const { WebSocketServer } = await import('ws')
  const { tls } = options
  const https = tls ? createServer({ cert: tls.cert, key: tls.key }) : undefined
  const server = https ? new WebSocketServer({ server: https }) : new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve, reject) => {
    const listening = https ?? server
    listening.once('listening', resolve)
    listening.once('error', reject)
    https?.listen(0, '127.0.0.1')
  })
  const sockets = new Set<Socket>()
  let connections = 0
  let secureConnections = 0

  server.on('connection', (ws, request) => {
    connections++
    if ((request.socket as TLSSocket).encrypted) secureConnections++
    const address = new URL(request.url ?? '/', 'http://relay').searchParams.get('address') ?? ''
    const separator = address.lastIndexOf(':')
    const host = address.slice(0, separator)
    const port = Number(address.slice(separator + 1))
    if (!LOOPBACK.has(host) || !Number.isInteger(port)) {
      ws.close(1008, 'only loopback addresses are relayed')
      return
    }
    const tcp = connect({ host, port })
    sockets.add(tcp)
    const pending: Buffer[] = []
    tcp.on('connect', () => {
      for (const chunk of pending.splice(0)) tcp.write(chunk)
    })
    ws.on('message', (data: Buffer) => {
      if (tcp.connecting) pending.push(data)
      else tcp.write(data)
    })
    tcp.on('data', (chunk) => {
      if (ws.readyState === ws.OPEN) ws.send(chunk)
    })
    const closeBoth = () => {
      sockets.delete(tcp)
      tcp.destroy()
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close()
    }
    tcp.on('close', closeBoth)
    tcp.on('error', closeBoth)
    ws.on('close', closeBoth)
    ws.on('error', closeBoth)
  })

  const port = ((https ?? server).address() as AddressInfo).port
  const { default: ws } = await import('ws')
  // Trusts the relay's CA, as a browser trusts Neon's publicly issued certificate.
  const ca = tls?.ca
  const webSocketConstructor = ca
    ? class extends ws {
        constructor(address: string) {
          super(address, { ca })
        }
      }
    : ws
  const relayHost = tls ? tls.serverName : '127.0.0.1'
  return {
    port,
    get connections() {
      return connections
    },
    get secureConnections() {
      return secureConnections
    },
    settings: {
      webSocketConstructor,
      wsProxy: (host: string, targetPort: number | string) => `${relayHost}:${port}/v1?address=${host}:${targetPort}`,
      useSecureWebSocket: tls !== undefined,
      pipelineConnect: false,
      pipelineTLS: false,
    },
    dropConnections() {
      for (const socket of sockets) socket.destroy()
      for (const client of server.clients) client.terminate()
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      for (const client of server.clients) client.terminate()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await new Promise<void>((resolve) => (https ? https.close(() => resolve()) : resolve()))
    },
  }
}
