import type { Compilable, Kysely, QueryResult } from 'kysely'
import { attachmentsOf } from '../db/database-attachments.js'
import type { DirectQuery, StatementKind } from '../db/direct-query.js'
import type { ReadKey } from '../db/read-tokens.js'
import type { ReplicaRouter } from '../db/replica-router.js'
import { type StatementContext, translateError } from '../db/translate-error.js'
import { markWrite } from '../db/write-marks.js'
import { type QueryObservation, QueryTracer } from '../tracing/tracing.js'
import { TemplateCache } from './query-template.js'
import { readRowTimes } from './row-times.js'

/**
 * What a store statement is, for routing: a read of one user's data (or of
 * anyone's, `ANY_USER`) that a replica may serve, or a write for some users.
 * Statements without a route go to the primary and record nothing.
 */
export type Route = { readonly read: ReadKey } | { readonly write: readonly string[] }

const PREPARABLE: StatementKind = { preparable: true }

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
  readonly #router: ReplicaRouter | undefined

  constructor(db: Kysely<any>) {
    this.#db = db
    const { direct, router } = attachmentsOf(db)
    this.#direct = direct
    this.#tracer = new QueryTracer(db)
    this.#router = router
  }

  /**
   * Runs the shape `key` (built by `build` the first time) with `values`.
   * A statement is preparable (`preparedStatements`) unless `statement`
   * says otherwise: only one whose best plan depends on its values must.
   */
  async run<Row>(
    key: string | number,
    build: QueryBuild,
    values: Readonly<Record<string, unknown>>,
    context: StatementContext = {},
    route?: Route,
    statement: StatementKind = PREPARABLE,
  ): Promise<QueryResult<Row>> {
    let observation: QueryObservation | undefined
    try {
      const template = this.#templates.get<Row>(key, build)
      observation = this.#tracer.start(template.sql)
      let result: QueryResult<Row>
      if (this.#router && route) {
        const parameters = template.parameters(values)
        result =
          'read' in route
            ? await this.#router.read<Row>(
                route.read,
                template.sql,
                parameters,
                (replica) => observation?.servedByReplica(replica.target),
                statement,
              )
            : await this.#router.write<Row>(route.write, template.sql, parameters, statement)
      } else if (this.#direct) {
        result = await this.#direct<Row>(template.sql, template.parameters(values), statement)
      } else {
        const query = template.bind(values)
        // inside a transaction: its commit records the tokens of the users written for
        if (route && 'write' in route && this.#db.isTransaction) markWrite(query, route.write)
        result = await this.#db.executeQuery<Row>(query)
        // a host's own pool may have parsers of its own for timestamptz
        readRowTimes(result.rows as Record<string, unknown>[])
      }
      observation?.end()
      return result
    } catch (error) {
      const translated = translateError(error, { at: 'statement', context, inTransaction: this.#db.isTransaction })
      observation?.end(translated)
      throw translated
    }
  }
}
