import type { Compilable, Kysely, QueryResult } from 'kysely'
import { type DirectQuery, directQueryFor } from '../db/direct-query.js'
import type { ReadKey } from '../db/read-tokens.js'
import { type ReplicaRouter, replicaRouterFor } from '../db/replica-router.js'
import { markWrite } from '../db/write-marks.js'
import { type ErrorContext, mapDatabaseError } from './database-errors.js'
import { TemplateCache } from './query-template.js'

/**
 * What a store statement is, for routing: a read of one user's data (or of
 * anyone's, `ANY_USER`) that a replica may serve, or a write for some users.
 * Statements without a route go to the primary and record nothing.
 */
export type Route = { readonly read: ReadKey } | { readonly write: readonly string[] }

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
  readonly #router: ReplicaRouter | undefined

  constructor(db: Kysely<any>) {
    this.#db = db
    this.#direct = db.isTransaction ? undefined : directQueryFor(db)
    this.#router = db.isTransaction ? undefined : replicaRouterFor(db)
  }

  async run<Row>(
    key: string | number,
    build: QueryBuild,
    values: Readonly<Record<string, unknown>>,
    context: ErrorContext = {},
    route?: Route,
  ): Promise<QueryResult<Row>> {
    try {
      const template = this.#templates.get<Row>(key, build)
      if (this.#router && route) {
        const parameters = template.parameters(values)
        return 'read' in route
          ? await this.#router.read<Row>(route.read, template.sql, parameters)
          : await this.#router.write<Row>(route.write, template.sql, parameters)
      }
      if (this.#direct) return await this.#direct<Row>(template.sql, template.parameters(values))
      const query = template.bind(values)
      // inside a transaction: its commit records the tokens of the users written for
      if (route && 'write' in route && this.#db.isTransaction) markWrite(query, route.write)
      return await this.#db.executeQuery<Row>(query)
    } catch (error) {
      throw mapDatabaseError(error, context, this.#db.isTransaction)
    }
  }
}
