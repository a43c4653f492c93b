import type { Compilable, Kysely, QueryResult } from 'kysely'
import { type DirectQuery, directQueryFor } from '../db/direct-query.js'
import { type QueryObservation, QueryTracer } from '../tracing/tracing.js'
import { type ErrorContext, mapDatabaseError } from './database-errors.js'
import { TemplateCache } from './query-template.js'

/** Builds a query shape with placeholders; called once per shape. */
export type QueryBuild = () => Compilable<any>

/**
 * Runs the stores' queries: each shape compiled once through the caller's
 * Kysely instance (or transaction), values bound per call, and every error
 * translated to the package's own. A database made by `createDatabase`
 * sends them straight to its pool; a transaction, or a host's own Kysely
 * instance, runs them through Kysely.
 */
export class QueryRunner {
  readonly #db: Kysely<any>
  readonly #templates = new TemplateCache()
  readonly #direct: DirectQuery | undefined
  readonly #tracer: QueryTracer

  constructor(db: Kysely<any>) {
    this.#db = db
    this.#direct = db.isTransaction ? undefined : directQueryFor(db)
    this.#tracer = new QueryTracer(db)
  }

  async run<Row>(
    key: string | number,
    build: QueryBuild,
    values: Readonly<Record<string, unknown>>,
    context: ErrorContext = {},
  ): Promise<QueryResult<Row>> {
    let observation: QueryObservation | undefined
    try {
      const template = this.#templates.get<Row>(key, build)
      observation = this.#tracer.start(template.sql)
      const result = this.#direct
        ? await this.#direct<Row>(template.sql, template.parameters(values))
        : await this.#db.executeQuery<Row>(template.bind(values))
      observation?.end()
      return result
    } catch (error) {
      const mapped = mapDatabaseError(error, context, this.#db.isTransaction)
      observation?.end(mapped)
      throw mapped
    }
  }
}
