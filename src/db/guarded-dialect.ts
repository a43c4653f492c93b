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
import { DatabaseUnavailableError } from '../errors/index.js'
import { isCertificateFailure, isConnectionFailure, isTransientConnectionFailure } from './connection-failure.js'
import { redact, redactError } from './redaction.js'
import { acquireWithRetry, type RetryOptions } from './retry-policy.js'

/**
 * Turns a lost or refused connection into a {@link DatabaseUnavailableError}
 * with every known password scrubbed; any other error passes unchanged.
 */
export function toUnavailableIfConnectionFailure(error: unknown): unknown {
  if (error instanceof DatabaseUnavailableError || !isConnectionFailure(error)) return error
  const cause = redactError(error)
  const detail = cause instanceof Error ? cause.message : String(cause)
  const summary = isCertificateFailure(error)
    ? "The database server's TLS certificate was rejected"
    : 'The database is unavailable'
  return new DatabaseUnavailableError(redact(`${summary}: ${detail}`), { cause })
}

function rethrowMapped(error: unknown): never {
  throw toUnavailableIfConnectionFailure(error)
}

// Runs on every query, so no closure or async frame is added to the success path.
function guard<T>(operation: Promise<T> | T): Promise<T> {
  return Promise.resolve(operation).catch(rethrowMapped)
}

class GuardedConnection implements DatabaseConnection {
  readonly inner: DatabaseConnection
  constructor(inner: DatabaseConnection) {
    this.inner = inner
  }
  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    try {
      return this.inner.executeQuery<R>(compiledQuery).catch(rethrowMapped)
    } catch (error) {
      return Promise.reject(toUnavailableIfConnectionFailure(error))
    }
  }
  async *streamQuery<R>(compiledQuery: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(compiledQuery, chunkSize as number)
    } catch (error) {
      throw toUnavailableIfConnectionFailure(error)
    }
  }
}

function unwrap(connection: DatabaseConnection): DatabaseConnection {
  return connection instanceof GuardedConnection ? connection.inner : connection
}

class GuardedDriver implements Driver {
  readonly #inner: Driver
  readonly #retry: Required<RetryOptions>
  // One wrapper per underlying connection, made once rather than per query.
  readonly #wrappers = new WeakMap<DatabaseConnection, GuardedConnection>()

  constructor(inner: Driver, retry: Required<RetryOptions>) {
    this.#inner = inner
    this.#retry = retry
  }

  init(): Promise<void> {
    return guard(this.#inner.init())
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.#acquireWithRetry()
    let wrapper = this.#wrappers.get(connection)
    if (!wrapper) {
      wrapper = new GuardedConnection(connection)
      this.#wrappers.set(connection, wrapper)
    }
    return wrapper
  }

  // Only acquiring is retried: no statement has run yet, so a retry can never repeat one.
  #acquireWithRetry(): Promise<DatabaseConnection> {
    return acquireWithRetry(() => this.#inner.acquireConnection(), isTransientConnectionFailure, this.#retry).catch(
      rethrowMapped,
    )
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return guard(this.#inner.beginTransaction(unwrap(connection), settings))
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return guard(this.#inner.commitTransaction(unwrap(connection)))
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return guard(this.#inner.rollbackTransaction(unwrap(connection)))
  }

  async savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']) {
    await guard(this.#inner.savepoint?.(unwrap(connection), name, compile))
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']) {
    await guard(this.#inner.rollbackToSavepoint?.(unwrap(connection), name, compile))
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']) {
    await guard(this.#inner.releaseSavepoint?.(unwrap(connection), name, compile))
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.#inner.releaseConnection(unwrap(connection))
  }

  destroy(): Promise<void> {
    return this.#inner.destroy()
  }
}

/**
 * Wraps any Kysely dialect so that acquiring a connection is retried on
 * transient failures and every lost or refused connection surfaces as a
 * {@link DatabaseUnavailableError}, including the rollback Kysely attempts
 * after the server dropped a transaction's connection.
 */
export class GuardedDialect implements Dialect {
  readonly #inner: Dialect
  readonly #retry: Required<RetryOptions>

  constructor(inner: Dialect, retry: Required<RetryOptions>) {
    this.#inner = inner
    this.#retry = retry
  }

  createDriver(): Driver {
    return new GuardedDriver(this.#inner.createDriver(), this.#retry)
  }
  createQueryCompiler(): QueryCompiler {
    return this.#inner.createQueryCompiler()
  }
  createAdapter(): DialectAdapter {
    return this.#inner.createAdapter()
  }
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return this.#inner.createIntrospector(db)
  }
}
