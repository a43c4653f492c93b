import type {
  CompiledQuery,
  DatabaseConnection,
  DatabaseIntrospector,
  Dialect,
  DialectAdapter,
  Driver,
  Kysely,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely'
import { isTransientConnectionFailure } from './connection-failure.js'
import { closedDatabaseError, type DatabaseLifecycle } from './database-lifecycle.js'
import { acquireWithRetry, type RetryOptions } from './retry-policy.js'
import { type AtCommit, type AtDriver, translateError } from './translate-error.js'
import { type CommitListener, writeMarkOf } from './write-marks.js'

function rethrowTranslated(error: unknown): never {
  throw translateError(error, { at: 'driver' })
}

class GuardedConnection implements DatabaseConnection {
  readonly inner: DatabaseConnection
  readonly #lifecycle: DatabaseLifecycle
  readonly #onWrite: ((connection: DatabaseConnection, users: readonly string[]) => void) | undefined
  constructor(
    inner: DatabaseConnection,
    lifecycle: DatabaseLifecycle,
    onWrite?: (connection: DatabaseConnection, users: readonly string[]) => void,
  ) {
    this.inner = inner
    this.#lifecycle = lifecycle
    this.#onWrite = onWrite
  }
  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    if (this.#lifecycle.closed) return Promise.reject(closedDatabaseError())
    if (this.#onWrite) {
      const users = writeMarkOf(compiledQuery)
      if (users) this.#onWrite(this.inner, users)
    }
    try {
      return this.#lifecycle.follow(this.inner.executeQuery<R>(compiledQuery)).catch(rethrowTranslated)
    } catch (error) {
      return Promise.reject(translateError(error, { at: 'driver' }))
    }
  }
  async *streamQuery<R>(compiledQuery: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    if (this.#lifecycle.closed) throw closedDatabaseError()
    try {
      yield* this.inner.streamQuery<R>(compiledQuery, chunkSize as number)
    } catch (error) {
      throw translateError(error, { at: 'driver' })
    }
  }
}

function unwrap(connection: DatabaseConnection): DatabaseConnection {
  return connection instanceof GuardedConnection ? connection.inner : connection
}

/**
 * Hands out a dialect's single connection (PGlite's) one caller at a time,
 * as Kysely does for such dialects, but so that a caller still waiting
 * when the database closes can be failed instead of waiting forever.
 */
class ConnectionQueue {
  #held = false
  readonly #waiting: Array<() => void> = []

  lock(): Promise<void> {
    if (!this.#held) {
      this.#held = true
      return Promise.resolve()
    }
    return new Promise((resolve) => this.#waiting.push(resolve))
  }

  unlock(): void {
    const next = this.#waiting.shift()
    if (next) next()
    else this.#held = false
  }
}

class GuardedDriver implements Driver {
  readonly #inner: Driver
  readonly #retry: Required<RetryOptions>
  readonly #lifecycle: DatabaseLifecycle
  readonly #queue: ConnectionQueue | undefined
  // One wrapper per underlying connection, made once rather than per query.
  readonly #wrappers = new WeakMap<DatabaseConnection, GuardedConnection>()
  // Connections inside a transaction, rolled back when the database closes.
  readonly #inTransaction = new Set<DatabaseConnection>()
  readonly #commits: CommitListener | undefined
  // The users each open transaction wrote for through the stores.
  readonly #writtenFor = new Map<DatabaseConnection, Set<string>>()

  constructor(
    inner: Driver,
    retry: Required<RetryOptions>,
    lifecycle: DatabaseLifecycle,
    singleConnection: boolean,
    commits?: CommitListener,
  ) {
    this.#inner = inner
    this.#retry = retry
    this.#lifecycle = lifecycle
    this.#commits = commits
    this.#queue = singleConnection ? new ConnectionQueue() : undefined
    lifecycle.onClose(() => this.#abandonTransactions())
  }

  // Not cut short by closing: Kysely's destroy() waits for init to finish, then destroys the driver.
  init(): Promise<void> {
    if (this.#lifecycle.closed) return Promise.reject(closedDatabaseError())
    return this.#inner.init().catch(rethrowTranslated)
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.#lifecycle.closed) throw closedDatabaseError()
    const queue = this.#queue
    if (queue) await this.#lifecycle.follow(queue.lock(), () => queue.unlock())
    let connection: DatabaseConnection
    try {
      connection = await this.#lifecycle.follow(this.#acquireWithRetry(), (late) => this.#giveBack(late))
    } catch (error) {
      queue?.unlock()
      throw error
    }
    let wrapper = this.#wrappers.get(connection)
    if (!wrapper) {
      wrapper = new GuardedConnection(connection, this.#lifecycle, this.#commits && this.#noteWrite)
      this.#wrappers.set(connection, wrapper)
    }
    return wrapper
  }

  // Only acquiring is retried: no statement has run yet, so a retry can never repeat one.
  #acquireWithRetry(): Promise<DatabaseConnection> {
    return acquireWithRetry(() => this.#inner.acquireConnection(), isTransientConnectionFailure, this.#retry).catch(
      rethrowTranslated,
    )
  }

  readonly #noteWrite = (connection: DatabaseConnection, users: readonly string[]) => {
    if (!this.#inTransaction.has(connection)) return
    const written = this.#writtenFor.get(connection) ?? new Set<string>()
    this.#writtenFor.set(connection, written)
    for (const user of users) written.add(user)
  }

  // A connection that arrived after its caller was failed by the database closing.
  #giveBack(connection: DatabaseConnection): void {
    this.#inner.releaseConnection(connection).catch(() => {})
  }

  // Follows a driver operation until the database closes, and translates its errors as caught at `site`.
  #guard<T>(operation: Promise<T>, site: AtDriver | AtCommit = { at: 'driver' }): Promise<T> {
    return this.#lifecycle.follow(operation).catch((error: unknown) => Promise.reject(translateError(error, site)))
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    if (this.#lifecycle.closed) throw closedDatabaseError()
    const inner = unwrap(connection)
    this.#inTransaction.add(inner)
    await this.#guard(this.#inner.beginTransaction(inner, settings))
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.#lifecycle.closed) throw closedDatabaseError()
    const inner = unwrap(connection)
    const written = this.#writtenFor.get(inner)
    this.#writtenFor.delete(inner)
    try {
      await this.#guard(this.#inner.commitTransaction(inner), { at: 'commit' })
    } finally {
      this.#inTransaction.delete(inner)
    }
    if (written) this.#commits?.committed(written)
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const inner = unwrap(connection)
    this.#writtenFor.delete(inner)
    // Closing rolled it back already, and the caller's own error is the one to report.
    if (!this.#inTransaction.delete(inner) && this.#lifecycle.closed) return
    await this.#guard(this.#inner.rollbackTransaction(inner))
  }

  async savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']) {
    if (this.#lifecycle.closed) throw closedDatabaseError()
    await this.#guard(Promise.resolve(this.#inner.savepoint?.(unwrap(connection), name, compile)))
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']) {
    if (this.#lifecycle.closed) throw closedDatabaseError()
    await this.#guard(Promise.resolve(this.#inner.rollbackToSavepoint?.(unwrap(connection), name, compile)))
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']) {
    if (this.#lifecycle.closed) throw closedDatabaseError()
    await this.#guard(Promise.resolve(this.#inner.releaseSavepoint?.(unwrap(connection), name, compile)))
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    try {
      await this.#inner.releaseConnection(unwrap(connection))
    } finally {
      this.#queue?.unlock()
    }
  }

  async destroy(): Promise<void> {
    this.#lifecycle.close()
    await this.#inner.destroy()
  }

  // An embedded engine (PGlite) cannot close while a transaction is open, and
  // a server rolls back when the session ends: roll back every open one now,
  // rather than wait for callers that may never finish.
  #abandonTransactions(): void {
    for (const connection of this.#inTransaction) {
      this.#inner.rollbackTransaction(connection).catch(() => {})
    }
    this.#inTransaction.clear()
  }
}

/**
 * Wraps any Kysely dialect so that acquiring a connection is retried on
 * transient failures, every lost or refused connection surfaces as the
 * package's own error (including the rollback Kysely attempts after the
 * server dropped a transaction's connection), and every call still in
 * flight when the database closes settles with a `DatabaseUnavailableError`.
 */
export class GuardedDialect implements Dialect {
  readonly #inner: Dialect
  readonly #retry: Required<RetryOptions>
  readonly #lifecycle: DatabaseLifecycle
  readonly #commits: CommitListener | undefined

  constructor(inner: Dialect, retry: Required<RetryOptions>, lifecycle: DatabaseLifecycle, commits?: CommitListener) {
    this.#inner = inner
    this.#retry = retry
    this.#lifecycle = lifecycle
    this.#commits = commits
  }

  createDriver(): Driver {
    const single = this.#inner.createAdapter().supportsMultipleConnections === false
    return new GuardedDriver(this.#inner.createDriver(), this.#retry, this.#lifecycle, single, this.#commits)
  }
  createQueryCompiler(): QueryCompiler {
    return this.#inner.createQueryCompiler()
  }
  createAdapter(): DialectAdapter {
    const adapter = this.#inner.createAdapter()
    if (adapter.supportsMultipleConnections !== false) return adapter
    // The driver above queues callers for the single connection itself, in a
    // way it can cancel; Kysely's own queue would keep them waiting forever.
    return Object.create(adapter, { supportsMultipleConnections: { value: true } }) as DialectAdapter
  }
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return this.#inner.createIntrospector(db)
  }
}
