import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely'
import { bindParameters } from './bind-parameters.js'

/**
 * A pg-mem pool whose clients write parameters into the statement
 * themselves ({@link bindParameters}) before pg-mem sees it, so every text
 * value, backslashes included, is stored and compared exactly.
 *
 * @example
 * ```ts
 * import { PostgresDialect } from 'kysely'
 * import { newDb } from 'pg-mem'
 * const { Pool } = newDb().adapters.createPg()
 * const dialect = new PostgresDialect({ pool: new BoundParametersPool(new Pool()) })
 * ```
 */
export class BoundParametersPool implements PostgresPool {
  readonly #inner: PostgresPool
  constructor(inner: PostgresPool) {
    this.#inner = inner
  }
  get options(): object {
    return this.#inner.options
  }
  async connect(): Promise<PostgresPoolClient> {
    return new BoundParametersClient(await this.#inner.connect())
  }
  end(): Promise<void> {
    return this.#inner.end()
  }
}

class BoundParametersClient implements PostgresPoolClient {
  readonly #inner: PostgresPoolClient
  constructor(inner: PostgresPoolClient) {
    this.#inner = inner
  }
  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>
  query<R>(
    query: string | PostgresCursor<R>,
    parameters?: ReadonlyArray<unknown>,
  ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    if (typeof query !== 'string') return this.#inner.query(query)
    if (parameters === undefined || parameters.length === 0) return this.#inner.query(query, [])
    try {
      return this.#inner.query(bindParameters(query, parameters), [])
    } catch (error) {
      return Promise.reject(error)
    }
  }
  release(destroy?: boolean): void {
    this.#inner.release(destroy)
  }
}
