import net from 'node:net'

/** A TCP proxy to a real server that can be told to hang up on the next connections. */
export interface FlakyProxy {
  /** `target` with the proxy's host and port. */
  readonly url: string
  /** Connections accepted so far, dropped or forwarded. */
  readonly connections: () => number
  /** Resolves once no forwarded connection is open (the client's pool has closed them all). */
  allClosed(): Promise<void>
  /** Hangs up on the next `count` connections as soon as they open. */
  dropNext(count: number): void
  close(): Promise<void>
}

/** Starts a proxy on a free loopback port in front of the server in `target` (a postgres:// URL). */
export async function startFlakyProxy(target: string): Promise<FlakyProxy> {
  const upstream = new URL(target)
  const sockets = new Set<net.Socket>()
  let connections = 0
  let toDrop = 0
  const server = net.createServer((client) => {
    connections++
    if (toDrop > 0) {
      toDrop--
      client.destroy()
      return
    }
    const server = net.connect(Number(upstream.port || 5432), upstream.hostname)
    for (const socket of [client, server]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => {
        client.destroy()
        server.destroy()
      })
    }
    client.pipe(server).pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = new URL(target)
  url.hostname = '127.0.0.1'
  url.port = String((server.address() as net.AddressInfo).port)
  return {
    url: url.toString(),
    connections: () => connections,
    async allClosed() {
      for (let waited = 0; sockets.size > 0; waited += 10) {
        if (waited > 10_000) throw new Error(`${sockets.size} sockets still open through the proxy after 10 s`)
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
    },
    dropNext(count) {
      toDrop = count
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
