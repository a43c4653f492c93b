import type {
  Kysely,
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely'
import { telemetryApi } from './telemetry-api.js'
import { type QueryObservation, QueryTracer } from './tracing.js'

/**
 * Gives each query Kysely runs through a database a client span, as the
 * stores' own queries have: for the migrator, whose statements Kysely's
 * schema builder writes. A query that fails never reaches
 * `transformResult`, so whoever runs them ends what is left with
 * {@link QuerySpanPlugin.failPending}.
 *
 * @example
 * ```ts
 * const spans = new QuerySpanPlugin(db)
 * await db.withPlugin(spans).schema.createSchema('app').execute()
 * ```
 */
export class QuerySpanPlugin implements KyselyPlugin {
  readonly #db: Kysely<any>
  readonly #tracer: QueryTracer
  readonly #pending = new Map<object, QueryObservation>()

  constructor(db: Kysely<any>, schema?: string) {
    this.#db = db
    this.#tracer = new QueryTracer(db, schema)
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (!telemetryApi()) return args.node
    const { sql } = this.#db.getExecutor().compileQuery(args.node, args.queryId)
    const observation = this.#tracer.start(sql)
    if (observation) this.#pending.set(args.queryId, observation)
    return args.node
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    this.#pending.get(args.queryId)?.end()
    this.#pending.delete(args.queryId)
    return args.result
  }

  /** Ends the spans of queries that never returned, as failed with `error`. */
  failPending(error: unknown): void {
    for (const observation of this.#pending.values()) observation.end(error)
    this.#pending.clear()
  }
}
