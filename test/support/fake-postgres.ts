import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TLSSocket } from 'node:tls'
import { promisify } from 'node:util'

const SSL_REQUEST_CODE = 80877103

/** How the fake server answers each connection. */
export type FakeBehaviour =
  /** Closes the socket as soon as it opens. */
  | { readonly kind: 'drop' }
  /** Reads the startup packet, then answers with a FATAL ErrorResponse and closes. */
  | { readonly kind: 'fail'; readonly code: string; readonly message: string }
  /** Says "no" to TLS (`N`), like a server without SSL. */
  | { readonly kind: 'no-tls' }
  /** Accepts the startup, then ends the session on the first query with FATAL 57P01, as pg_terminate_backend does. */
  | { readonly kind: 'terminate-on-query' }
  /** Says "yes" to TLS with a self-signed certificate, then fails the startup with 28P01. */
  | { readonly kind: 'self-signed-tls'; readonly key: string; readonly cert: string }

/** A TCP server that speaks just enough of the Postgres protocol to fail in chosen ways. */
export interface FakePostgres {
  readonly url: (password: string) => string
  /** Connections accepted so far. */
  readonly connections: () => number
  /** Startup packets received over TLS so far. */
  readonly encryptedStartups: () => number
  close(): Promise<void>
}

/** One ErrorResponse message: severity FATAL, the SQLSTATE and the text. */
function errorResponse(code: string, message: string): Buffer {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`)
  const header = Buffer.alloc(5)
  header.write('E', 0)
  header.writeInt32BE(fields.length + 4, 1)
  return Buffer.concat([header, fields])
}

/** AuthenticationOk then ReadyForQuery (idle): the server side of a successful startup. */
const STARTUP_OK = Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 0, 0x5a, 0, 0, 0, 5, 0x49])

/** Calls `onPacket` with each length-prefixed startup-phase packet. */
function readStartupPackets(socket: Socket | TLSSocket, onPacket: (packet: Buffer) => void): void {
  let buffered = Buffer.alloc(0)
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk])
    while (buffered.length >= 4 && buffered.length >= buffered.readInt32BE(0)) {
      const length = buffered.readInt32BE(0)
      onPacket(buffered.subarray(0, length))
      buffered = buffered.subarray(length)
    }
  })
}

/** Starts a fake server on a free loopback port. */
export async function startFakePostgres(behaviour: FakeBehaviour): Promise<FakePostgres> {
  let connections = 0
  let encryptedStartups = 0
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    connections++
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    if (behaviour.kind === 'drop') {
      socket.destroy()
      return
    }
    if (behaviour.kind === 'terminate-on-query') {
      let started = false
      socket.on('data', () => {
        if (!started) {
          started = true
          socket.write(STARTUP_OK)
        } else {
          socket.end(errorResponse('57P01', 'terminating connection due to administrator command'))
        }
      })
      return
    }
    readStartupPackets(socket, (packet) => {
      const isSslRequest = packet.length === 8 && packet.readInt32BE(4) === SSL_REQUEST_CODE
      if (behaviour.kind === 'fail') {
        if (isSslRequest) socket.write('N')
        else socket.end(errorResponse(behaviour.code, behaviour.message))
      } else if (behaviour.kind === 'no-tls') {
        socket.write(isSslRequest ? 'N' : errorResponse('28000', 'plain text is not expected here'))
      } else if (isSslRequest) {
        socket.removeAllListeners('data')
        socket.write('S', () => {
          const secure = new TLSSocket(socket, { isServer: true, key: behaviour.key, cert: behaviour.cert })
          secure.on('error', () => {})
          readStartupPackets(secure, () => {
            encryptedStartups++
            secure.end(errorResponse('28P01', 'password authentication failed'))
          })
        })
      } else {
        socket.end(errorResponse('28000', 'no TLS requested'))
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    url: (password) => `postgres://root:${encodeURIComponent(password)}@127.0.0.1:${port}/test`,
    connections: () => connections,
    encryptedStartups: () => encryptedStartups,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

/** A loopback port nothing listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  return typeof address === 'object' && address ? address.port : 0
}

/** A self-signed certificate for 127.0.0.1 made with the openssl CLI, or null when it is not installed. */
export async function selfSignedCertificate(): Promise<{ key: string; cert: string } | null> {
  const dir = await mkdtemp(join(tmpdir(), 'taskstore-cert-'))
  try {
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      // Node checks an IP host against the certificate's IP SANs, not its CN.
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ])
    return { key: await readFile(join(dir, 'key.pem'), 'utf8'), cert: await readFile(join(dir, 'cert.pem'), 'utf8') }
  } catch {
    return null
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
