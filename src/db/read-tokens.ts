/** A WAL position (`pg_lsn`) as a number of bytes. */
export type WalPosition = bigint

/** Reads `16/B374D848` as a byte position; null for anything else. */
export function parseWalPosition(text: unknown): WalPosition | null {
  if (typeof text !== 'string') return null
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text)
  if (!match) return null
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`)
}

/** The token of a user whose last write's position is unknown (it failed, or its position could not be read): the primary serves their reads until a later write sets a position. */
export const UNKNOWN_POSITION: WalPosition = 2n ** 64n

/** The key of reads that may show any user's data (`findUserByEmail`, `listAllTasks`). */
export const ANY_USER = Symbol('any user')
export type ReadKey = string | typeof ANY_USER

// Recent writes kept to estimate how far behind a replica is in time.
const RECENT_WRITES = 256
// Writes closer together than this share one entry (the first one's time: an overestimate of lag).
const COALESCE_MS = 5
// Once this many users hold tokens, tokens every replica has passed are dropped.
const PRUNE_AFTER = 10_000

/**
 * What each user's reads must see: the primary's WAL position after that
 * user's last write through this database (and after anything a read of
 * theirs has already seen), so that a replica is used for them only once it
 * has replayed that far. Also keeps the positions of recent writes with
 * their times, to tell how long ago a replica's position was the primary's.
 */
export class ReadTokens {
  readonly #tokens = new Map<string, WalPosition>()
  #latest: WalPosition = 0n
  // What a read of any user's data must see: the newest write known here, or newer, if such a read saw it.
  #anySeen: WalPosition = 0n
  readonly #recent: Array<{ position: WalPosition; at: number }> = []

  /** The newest position any write through this database is known to have reached. */
  get latest(): WalPosition {
    return this.#latest
  }

  /** The position a read for `key` must see. */
  required(key: ReadKey): WalPosition {
    if (key === ANY_USER) return this.#anySeen
    return this.#tokens.get(key) ?? 0n
  }

  /** Raises `key`'s token to `position` (it never goes down). */
  raise(key: ReadKey, position: WalPosition): void {
    if (key === ANY_USER) {
      if (position > this.#anySeen) this.#anySeen = position
      return
    }
    const current = this.#tokens.get(key)
    if (current === undefined || current < position) this.#tokens.set(key, position)
  }

  /**
   * Records a write for each of `keys` that reached `position` on the
   * primary; it replaces an unknown position, since this write came after.
   */
  wrote(keys: Iterable<string>, position: WalPosition, now = Date.now()): void {
    for (const key of keys) {
      if (this.#tokens.get(key) === UNKNOWN_POSITION) this.#tokens.set(key, position)
      else this.raise(key, position)
    }
    if (position > this.#latest) this.#latest = position
    if (position > this.#anySeen) this.#anySeen = position
    const last = this.#recent.at(-1)
    if (last && now - last.at < COALESCE_MS) {
      if (position > last.position) last.position = position
    } else {
      this.#recent.push({ position, at: now })
      if (this.#recent.length > RECENT_WRITES) this.#recent.shift()
    }
  }

  /**
   * How long ago the oldest write a replica at `replayed` has not applied
   * was acknowledged, in ms: 0 when it has applied every write known here.
   */
  lagMs(replayed: WalPosition, now = Date.now()): number {
    const missing = this.#recent.find((write) => write.position > replayed)
    return missing ? Math.max(0, now - missing.at) : 0
  }

  /** Marks the keys' last write as of unknown position: their reads go to the primary until a later write. */
  unknown(keys: Iterable<string>): void {
    for (const key of keys) this.#tokens.set(key, UNKNOWN_POSITION)
  }

  /** Drops the tokens that a replica at `everywhere` (the least replayed of all) already satisfies. */
  prune(everywhere: WalPosition): void {
    if (this.#tokens.size < PRUNE_AFTER) return
    for (const [key, position] of this.#tokens) if (position <= everywhere) this.#tokens.delete(key)
  }
}
