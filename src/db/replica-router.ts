import type { QueryResult } from 'kysely'
import type { DatabaseTarget } from '../tracing/database-target.js'
import type { DirectQuery, StatementKind } from './direct-query.js'
import {
  ANY_USER,
  parseWalPosition,
  type ReadKey,
  ReadTokens,
  UNKNOWN_POSITION,
  type WalPosition,
} from './read-tokens.js'
import type { CommitListener } from './write-marks.js'

/** Where store reads may go: see `DatabaseOptions.readConsistency`. */
export type ReadConsistency = 'read-your-writes' | 'primary' | 'eventual'

/** One read replica, reached through its own pool. */
export interface ReplicaEndpoint {
  /** `host:port`, for health reports (never the credentials). */
  readonly label: string
  /** Where it connects, for the spans of the reads it serves. */
  readonly target?: DatabaseTarget
  readonly query: DirectQuery
}

export interface ReplicaRouterSettings {
  readonly primary: DirectQuery
  readonly primaryLabel: string
  readonly replicas: readonly ReplicaEndpoint[]
  readonly consistency: ReadConsistency
  readonly replicaWaitMs: number
  readonly maxReplicaLagMs: number
}

/** One node as `checkHealth` reports it. */
export interface NodeHealth {
  readonly role: 'primary' | 'replica'
  readonly host: string
  readonly ok: boolean
  /** How far behind the primary a replica is, in ms (as far as writes through this database show). */
  readonly lagMs?: number
}

// What a write reads after it commits, on the same connection.
export const WAL_POSITION_QUERY = 'select pg_current_wal_insert_lsn()::text as lsn'
// Where the replica's replay stands, and, when it has received WAL it has not applied yet, how old its last applied commit is.
const REPLAY_POSITION_QUERY = `select pg_last_wal_replay_lsn()::text as lsn,
  case when pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()
    then (extract(epoch from now() - pg_last_xact_replay_timestamp()) * 1000)::float8 else 0 end as lag_ms`
// A replica that failed or lagged is passed over for this long, then tried again.
const RETRY_AFTER_MS = 1_000
// A replica's position older than this is read again before the replica is trusted with a read.
const REFRESH_MS = 100
const POLL_MS = 5
// How long the first write waiting for a WAL position waits before the reading starts; writes meanwhile share it.
// At 2 ms the readings competed with the writes themselves (+16 % write p50 in the bench); at 10 ms, +1–2 %.
const SAMPLE_DELAY_MS = 10
const UNKNOWN = UNKNOWN_POSITION

interface ReplicaState {
  readonly endpoint: ReplicaEndpoint
  replayed: WalPosition
  checkedAt: number
  skipUntil: number
  lagMs: number
  polling: Promise<void> | undefined
  /** When the poll in flight was sent. */
  polledAt: number
}

/**
 * Sends store reads made outside a transaction to a read replica when one
 * can serve them as `readConsistency` asks, and everything else to the
 * primary. With read-your-writes, each write through this database records
 * for its user the primary's WAL position read after it committed (one
 * reading shared by every write committed before it started, off the
 * write's path); a read for that user goes to the primary until that
 * position is known, then to a replica once the replica has replayed that
 * far, waiting up to `replicaWaitMs` for it, else to the primary. A replica that fails or lags more than `maxReplicaLagMs`
 * is passed over for a second, without an error to the caller. No read waits on a replica that stopped answering (a
 * paused machine, a lost network): a look at its position counts for no more than `replicaWaitMs`, and a read it has
 * not answered within `maxReplicaLagMs` (at least a second) goes to the primary.
 */
export class ReplicaRouter {
  readonly #settings: ReplicaRouterSettings
  readonly #tokens = new ReadTokens()
  readonly #replicas: ReplicaState[]
  #next = 0
  // Writes whose WAL position is still on its way, per user and in all: their users read from the primary meanwhile.
  readonly #pending = new Map<string, number>()
  #pendingTotal = 0
  // Committed writes (their users), and reads the primary served (their keys), waiting for the next reading of the
  // primary's WAL position.
  #waiting: Array<readonly string[]> = []
  #readsWaiting: ReadKey[] = []
  #sampling = false

  constructor(settings: ReplicaRouterSettings) {
    this.#settings = settings
    this.#replicas = settings.replicas.map((endpoint) => ({
      endpoint,
      replayed: 0n,
      checkedAt: 0,
      skipUntil: 0,
      lagMs: 0,
      polling: undefined,
      polledAt: 0,
    }))
  }

  // Write positions make read-your-writes work, and tell how far behind a replica is (eventual consistency too).
  get #tracksWrites(): boolean {
    return this.#settings.consistency !== 'primary' && this.#replicas.length > 0
  }

  /** Counts a transaction's store writes once it has committed, like writes outside one. */
  readonly commits: CommitListener = {
    committed: (users) => {
      if (this.#tracksWrites) this.#wrote([...users])
    },
  }

  /**
   * Runs a store write on the primary. The result goes back to the caller
   * as soon as the statement is done; the users' reads go to the primary
   * until the primary's WAL position after the write is known.
   */
  async write<Row>(
    users: readonly string[],
    sql: string,
    parameters: readonly unknown[],
    statement?: StatementKind,
  ): Promise<QueryResult<Row>> {
    if (!this.#tracksWrites) return this.#settings.primary<Row>(sql, parameters, statement)
    this.#startPending(users)
    let result: QueryResult<Row>
    try {
      result = await this.#settings.primary<Row>(sql, parameters, statement)
    } catch (error) {
      // it may have committed: keep these users on the primary until a later write sets a position
      this.#endPending(users)
      this.#tokens.unknown(users)
      throw error
    }
    this.#awaitPosition(users)
    return result
  }

  /** A write for `users` committed just now (outside the store's own statement path). */
  #wrote(users: readonly string[]): void {
    this.#startPending(users)
    this.#awaitPosition(users)
  }

  #startPending(users: readonly string[]): void {
    for (const user of users) this.#pending.set(user, (this.#pending.get(user) ?? 0) + 1)
    this.#pendingTotal++
  }

  #endPending(users: readonly string[]): void {
    for (const user of users) {
      const left = (this.#pending.get(user) ?? 1) - 1
      if (left > 0) this.#pending.set(user, left)
      else this.#pending.delete(user)
    }
    this.#pendingTotal--
  }

  /**
   * Queues committed writes for the next reading of the primary's WAL
   * position. One reading, started after they all committed, serves every
   * write (and read, {@link ReplicaRouter.#awaitPositionAfterRead}) queued
   * before it, so they cost no statement of their own: at most one reading
   * is in flight, {@link SAMPLE_DELAY_MS} after the first one waiting for it.
   */
  #awaitPosition(users: readonly string[]): void {
    this.#waiting.push(users)
    this.#startSampling()
  }

  /** Queues a read the primary served for the next reading: the key's later reads must see that position. */
  #awaitPositionAfterRead(key: ReadKey): void {
    this.#readsWaiting.push(key)
    this.#startSampling()
  }

  #startSampling(): void {
    if (this.#sampling) return
    this.#sampling = true
    setTimeout(() => void this.#sample(), SAMPLE_DELAY_MS).unref?.()
  }

  async #sample(): Promise<void> {
    const batch = this.#waiting
    const reads = this.#readsWaiting
    this.#waiting = []
    this.#readsWaiting = []
    let lsn: unknown
    try {
      lsn = (await this.#settings.primary<{ lsn: string }>(WAL_POSITION_QUERY, [])).rows[0]?.lsn
    } catch {
      // unknown: those users read from the primary until their next write
    }
    const position = parseWalPosition(lsn)
    for (const users of batch) {
      this.#endPending(users)
      if (position === null) this.#tokens.unknown(users)
      else this.#tokens.wrote(users, position)
    }
    if (position !== null) {
      for (const key of reads) this.#tokens.raise(key, position)
      this.#prune()
    }
    this.#sampling = false
    if (this.#waiting.length > 0 || this.#readsWaiting.length > 0) this.#startSampling()
  }

  /**
   * Runs a store read for `key` on a replica that can serve it, else on the
   * primary; `onReplica` hears which replica answered, if one did.
   */
  async read<Row>(
    key: ReadKey,
    sql: string,
    parameters: readonly unknown[],
    onReplica?: (replica: ReplicaEndpoint) => void,
    statement?: StatementKind,
  ): Promise<QueryResult<Row>> {
    const { consistency } = this.#settings
    if (consistency === 'primary' || this.#replicas.length === 0) {
      return this.#settings.primary<Row>(sql, parameters, statement)
    }
    const needed = consistency === 'eventual' ? 0n : this.#neededFor(key)
    if (needed !== UNKNOWN) {
      const replica = this.#readyReplica(needed) ?? (await this.#replicaFor(needed))
      if (replica) {
        const seen = replica.replayed
        const answer = replica.endpoint.query<Row>(sql, parameters, statement)
        const result = await resultWithin(answer, this.#answerWithinMs)
        if (result !== undefined) {
          this.#tokens.raise(key, seen)
          onReplica?.(replica.endpoint)
          return result
        }
        // a replica that fails, or answers later than it may lag, is passed over for now; the primary answers instead
        replica.skipUntil = Date.now() + RETRY_AFTER_MS
      }
    }
    const result = await this.#settings.primary<Row>(sql, parameters, statement)
    if (consistency === 'eventual') return result
    // The primary showed at least every write known here, and maybe later ones made elsewhere: once the shared
    // reading of its position after this read arrives, a replica serves the key only once it has replayed that far.
    // The key's reads are not held on the primary meanwhile: a user reading without pause would never leave it.
    this.#tokens.raise(key, this.#tokens.latest)
    this.#awaitPositionAfterRead(key)
    return result
  }

  /** Every node's state: the primary checked with `select 1`, each replica with its replay position. */
  async health(primaryOk: boolean): Promise<NodeHealth[]> {
    const nodes: NodeHealth[] = [{ role: 'primary', host: this.#settings.primaryLabel, ok: primaryOk }]
    for (const replica of this.#replicas) {
      const looked = await resultWithin(
        this.#poll(replica, true).then(() => true),
        this.#answerWithinMs,
      )
      const ok = looked === true && replica.skipUntil <= Date.now()
      const reached = ok || (replica.checkedAt > 0 && replica.lagMs > this.#settings.maxReplicaLagMs)
      nodes.push({ role: 'replica', host: replica.endpoint.label, ok, ...(reached ? { lagMs: replica.lagMs } : {}) })
    }
    return nodes
  }

  /** How long a replica may take to answer before it counts as lagging: `maxReplicaLagMs`, and at least a second. */
  get #answerWithinMs(): number {
    return Math.max(this.#settings.maxReplicaLagMs, RETRY_AFTER_MS)
  }

  /** The position a read-your-writes read for `key` needs; UNKNOWN while one of its writes is on its way. */
  #neededFor(key: ReadKey): WalPosition {
    const pending = key === ANY_USER ? this.#pendingTotal : (this.#pending.get(key) ?? 0)
    return pending > 0 ? UNKNOWN : this.#tokens.required(key)
  }

  /**
   * The next replica in turn that is known, from a recent enough look, to
   * have replayed `needed` and not to lag: the common case, decided without
   * waiting for anything.
   */
  #readyReplica(needed: WalPosition): ReplicaState | undefined {
    const now = Date.now()
    const count = this.#replicas.length
    for (let i = 0; i < count; i++) {
      const replica = this.#replicas[(this.#next + i) % count]!
      if (replica.skipUntil > now || replica.replayed < needed || now - replica.checkedAt > REFRESH_MS) continue
      this.#next = (this.#next + i + 1) % count
      return replica
    }
    return undefined
  }

  #prune(): void {
    let everywhere = UNKNOWN
    for (const replica of this.#replicas) if (replica.replayed < everywhere) everywhere = replica.replayed
    this.#tokens.prune(everywhere)
  }

  /** A replica that has replayed `needed` (waiting up to replicaWaitMs for one), or undefined. */
  async #replicaFor(needed: WalPosition): Promise<ReplicaState | undefined> {
    const now = Date.now()
    const deadline = now + this.#settings.replicaWaitMs
    const usable: ReplicaState[] = []
    for (let i = 0; i < this.#replicas.length; i++) {
      const replica = this.#replicas[(this.#next + i) % this.#replicas.length]!
      // a replica still silent on a look sent longer ago than a read may wait has stopped answering for now
      const silent = replica.polling !== undefined && now - replica.polledAt > this.#settings.replicaWaitMs
      if (replica.skipUntil <= now && !silent) usable.push(replica)
    }
    this.#next = (this.#next + 1) % this.#replicas.length
    for (const replica of usable) {
      const known = now - replica.checkedAt <= REFRESH_MS || (await this.#pollUntil(replica, deadline))
      if (known && replica.skipUntil <= Date.now() && replica.replayed >= needed) return replica
    }
    const candidate = usable.find((replica) => replica.skipUntil <= Date.now())
    if (!candidate) return undefined
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, deadline - Date.now())))
      if (!(await this.#pollUntil(candidate, deadline)) || candidate.skipUntil > Date.now()) return undefined
      if (candidate.replayed >= needed) return candidate
    }
    return undefined
  }

  /** Looks at a replica's position, waiting no later than `deadline`; false when it has not answered by then. */
  async #pollUntil(replica: ReplicaState, deadline: number): Promise<boolean> {
    return (
      (await resultWithin(
        this.#poll(replica).then(() => true),
        Math.max(0, deadline - Date.now()),
      )) === true
    )
  }

  /** Reads a replica's replay position and lag; one poll at a time per replica. */
  #poll(replica: ReplicaState, rethrow = false): Promise<void> {
    if (replica.polling === undefined) replica.polledAt = Date.now()
    replica.polling ??= (async () => {
      try {
        const { rows } = await replica.endpoint.query<{ lsn: string | null; lag_ms?: number | null }>(
          REPLAY_POSITION_QUERY,
          [],
        )
        const position = parseWalPosition(rows[0]?.lsn)
        const now = Date.now()
        // null: the server is not in recovery (a promoted replica has a history of its own)
        if (position === null) throw new Error(`${replica.endpoint.label} is not a replica`)
        if (position > replica.replayed) replica.replayed = position
        replica.checkedAt = now
        // the larger of what writes through this database show and what the replica says of itself
        replica.lagMs = Math.max(this.#tokens.lagMs(replica.replayed, now), Number(rows[0]?.lag_ms ?? 0) || 0)
        if (replica.lagMs > this.#settings.maxReplicaLagMs) replica.skipUntil = now + RETRY_AFTER_MS
      } catch (error) {
        replica.skipUntil = Date.now() + RETRY_AFTER_MS
        throw error
      } finally {
        replica.polling = undefined
      }
    })()
    return rethrow ? replica.polling : replica.polling.catch(() => {})
  }
}

/**
 * What `work` resolves to if it does so within `ms`; undefined if it fails,
 * or is still running then (what it does later is ignored).
 */
function resultWithin<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms)
    timer.unref?.()
    work.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      () => {
        clearTimeout(timer)
        resolve(undefined)
      },
    )
  })
}

export { ANY_USER }
