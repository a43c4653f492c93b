import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely'
import type { MemoryEngine } from './memory-engine.js'

/**
 * A pool of one connection to a {@link MemoryEngine}: a transaction holds it
 * until it ends and every other call waits, so no statement slips into
 * another's transaction (and its rollback).
 *
 * @example
 * ```ts
 * import { PostgresDialect } from 'kysely'
 * import { newDb } from 'pg-mem'
 * import { MemoryEngine } from './memory-engine.js'
 * const dialect = new PostgresDialect({ pool: new MemoryPool(new MemoryEngine(() => newDb())) })
 * ```
 */
export class MemoryPool implements PostgresPool {
  readonly options = { max: 1 }
  readonly #client: MemoryClient
  readonly #waiting: Array<{ resolve: (client: MemoryClient) => void; reject: (error: Error) => void }> = []
  #busy = false
  #ended = false

  constructor(engine: MemoryEngine) {
    this.#client = new MemoryClient(engine, () => this.#release())
  }

  async connect(): Promise<PostgresPoolClient> {
    if (this.#ended) throw closedPoolError()
    if (!this.#busy) {
      this.#busy = true
      return this.#client
    }
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }))
  }

  async end(): Promise<void> {
    this.#ended = true
    for (const waiter of this.#waiting.splice(0)) waiter.reject(closedPoolError())
  }

  #release(): void {
    const next = this.#waiting.shift()
    if (next) next.resolve(this.#client)
    else this.#busy = false
  }
}

class MemoryClient implements PostgresPoolClient {
  readonly #engine: MemoryEngine
  readonly #release: () => void

  constructor(engine: MemoryEngine, release: () => void) {
    this.#engine = engine
    this.#release = release
  }

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>
  query<R>(
    query: string | PostgresCursor<R>,
    parameters?: ReadonlyArray<unknown>,
  ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    if (typeof query !== 'string') throw new Error('The memory database does not stream results')
    try {
      return Promise.resolve(this.#engine.execute(query, parameters) as PostgresQueryResult<R>)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  release(): void {
    this.#release()
  }
}

// node-postgres's own words, which the package already reads as a closed database.
function closedPoolError(): Error {
  return new Error('Cannot use a pool after calling end on the pool')
}
