import { openDrizzlePeer } from './drizzle-peer.js'
import { openKyselyPeer } from './kysely-peer.js'
import { PEER_NAMES, type PeerClient, type PeerName, type PeerOptions } from './peer-client.js'
import { openPostgresJsPeer } from './postgres-js-peer.js'
import { ensurePrismaClient } from './prisma-client.js'
import { openPrismaPeer } from './prisma-peer.js'

/** What the peers need before the first {@link openPeers}: the generated Prisma client. */
export function preparePeers(log: (message: string) => void): void {
  ensurePrismaClient(log)
}

const OPENERS: Record<PeerName, (options: PeerOptions) => PeerClient | Promise<PeerClient>> = {
  kysely: openKyselyPeer,
  drizzle: openDrizzlePeer,
  'postgres.js': openPostgresJsPeer,
  prisma: openPrismaPeer,
}

/** One peer on a pool of its own. */
export async function openPeer(name: PeerName, options: PeerOptions): Promise<PeerClient> {
  return OPENERS[name](options)
}

/** Every peer, each on a pool of its own, in the order the reports list them. */
export function openPeers(options: PeerOptions): Promise<PeerClient[]> {
  return Promise.all(PEER_NAMES.map((name) => openPeer(name, options)))
}

export async function closePeers(peers: readonly PeerClient[]): Promise<void> {
  await Promise.allSettled(peers.map((peer) => peer.close()))
}
