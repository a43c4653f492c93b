import type { PoolOptions } from './connection-options.js'
import type { ResolvedTls } from './tls-config.js'

/** What both drivers need to open a pool. */
export interface PoolSettings {
  readonly tls: ResolvedTls
  readonly pool: Required<PoolOptions>
  readonly statementTimeoutMs: number | undefined
}

/** Imports an optional peer dependency, or explains how to install it. */
export async function importPeer<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load()
  } catch (cause) {
    const { ConfigError } = await import('../errors/index.js')
    throw new ConfigError(`The "${name}" package is needed for this driver: npm install ${name}`, { cause })
  }
}
