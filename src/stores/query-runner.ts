import type { Compilable, Kysely, QueryResult } from 'kysely'
import { type ErrorContext, mapDatabaseError } from './database-errors.js'
import { TemplateCache } from './query-template.js'

/** Builds a query shape with placeholders; called once per shape. */
export type QueryBuild = () => Compilable<any>

/**
 * Runs the stores' queries: each shape compiled once through the caller's
 * Kysely instance (or transaction), values bound per call, and every error
 * translated to the package's own.
 */
export class QueryRunner {
  readonly #db: Kysely<any>
  readonly #templates = new TemplateCache()

  constructor(db: Kysely<any>) {
    this.#db = db
  }

  async run<Row>(
    key: string | number,
    build: QueryBuild,
    values: Readonly<Record<string, unknown>>,
    context: ErrorContext = {},
  ): Promise<QueryResult<Row>> {
    try {
      return await this.#db.executeQuery<Row>(this.#templates.get(key, build).bind(values))
    } catch (error) {
      throw mapDatabaseError(error, context)
    }
  }
}
