import type { Attributes, Histogram, MeterProvider, Tracer, TracerProvider } from '@opentelemetry/api'
import type { Kysely } from 'kysely'
import { attachmentsOf } from '../db/database-attachments.js'
import { schemaOf } from '../db/database-schema.js'
import type { DatabaseTarget } from './database-target.js'
import { type QuerySummary, summarizeQuery } from './query-summary.js'
import { markFailed } from './span-errors.js'
import { loadTelemetryApi, type TelemetryApi, telemetryApi } from './telemetry-api.js'

const INSTRUMENTATION = 'taskstore'
/** The stable database conventions' bucket boundaries for operation durations, in seconds. */
const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10]

let tracerProvider: TracerProvider | undefined
let tracer: Tracer | undefined
let meterProvider: MeterProvider | undefined
let durations: Histogram | undefined

function tracerOf(api: TelemetryApi): Tracer {
  // The global provider is a proxy that a later registration reaches, but `trace.disable()` replaces it.
  const provider = api.trace.getTracerProvider()
  if (provider !== tracerProvider || !tracer) {
    tracerProvider = provider
    tracer = provider.getTracer(INSTRUMENTATION)
  }
  return tracer
}

let noopTracerProvider: TracerProvider | undefined

/**
 * False when no tracer provider is registered: the API's own provider
 * then hands out spans that record nothing and carry no trace of their
 * own, so a call need not make one. Anything it cannot tell apart (a
 * provider from another copy of the API) counts as recording.
 */
function tracesSpans(api: TelemetryApi): boolean {
  const provider = api.trace.getTracerProvider()
  if (!(provider instanceof api.ProxyTracerProvider)) return true
  noopTracerProvider ??= new api.ProxyTracerProvider().getDelegate()
  return provider.getDelegate() !== noopTracerProvider
}

let noopHistogram: object | undefined

/** The duration histogram of the meter provider registered now; `undefined` when none is. */
function durationsOf(api: TelemetryApi): Histogram | undefined {
  // Meter providers are not proxied: follow whichever the host has registered now.
  const provider = api.metrics.getMeterProvider()
  if (provider !== meterProvider) {
    meterProvider = provider
    noopHistogram ??= Object.getPrototypeOf(api.createNoopMeter().createHistogram('probe')) as object
    const histogram = provider.getMeter(INSTRUMENTATION).createHistogram('db.client.operation.duration', {
      unit: 's',
      description: 'Duration of database client operations.',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    })
    durations = Object.getPrototypeOf(histogram) === noopHistogram ? undefined : histogram
  }
  return durations
}

/** The attributes every span and measurement of one database shares. */
export function databaseAttributes(db: Kysely<any>, schema = schemaOf(db)): Attributes {
  const { target } = attachmentsOf(db)
  return {
    'db.system.name': 'postgresql',
    'db.namespace': target?.database ? `${target.database}.${schema}` : schema,
    ...(target?.serverAddress && { 'server.address': target.serverAddress }),
    ...(target?.serverPort && { 'server.port': target.serverPort }),
  }
}

/**
 * Wraps each method of a store so that a call is one span,
 * `taskstore.<method>`, the parent of its queries' spans. With
 * `@opentelemetry/api` missing, or no tracer provider registered, a call
 * runs as it would unwrapped, save one check.
 *
 * @example
 * ```ts
 * const store = traceCalls({ async ping() { return 'pong' } }, () => ({ 'db.system.name': 'postgresql' }))
 * await store.ping() // one span, taskstore.ping, when the host traces
 * ```
 */
export function traceCalls<T extends object>(methods: T, attributes: () => Attributes): T {
  void loadTelemetryApi()
  let shared: Attributes | undefined
  const sharedAttributes = () => {
    shared ??= attributes()
    return shared
  }
  const traced: Record<string, unknown> = {}
  for (const [name, method] of Object.entries(methods)) {
    if (typeof method !== 'function') {
      traced[name] = method
      continue
    }
    const spanName = `taskstore.${name}`
    const call = (args: unknown[]): Promise<unknown> => {
      const api = telemetryApi()
      if (api === null) return method.apply(methods, args)
      // Only calls made while the API is still being imported wait for it.
      if (api === undefined) return loadTelemetryApi().then(() => call(args))
      if (!tracesSpans(api)) return method.apply(methods, args)
      return inCallSpan(api, spanName, sharedAttributes(), () => method.apply(methods, args))
    }
    traced[name] = (...args: unknown[]) => call(args)
  }
  return traced as T
}

/**
 * Runs `work` as one span named `name` (a migration run, a store call).
 *
 * @example
 * ```ts
 * const run = await withCallSpan('taskstore.migrateToLatest', {}, () => Promise.resolve({ applied: [] }))
 * ```
 */
export async function withCallSpan<R>(name: string, attributes: Attributes, work: () => Promise<R>): Promise<R> {
  const api = telemetryApi() ?? (await loadTelemetryApi())
  return api ? inCallSpan(api, name, attributes, work) : work()
}

function inCallSpan<R>(api: TelemetryApi, name: string, attributes: Attributes, work: () => Promise<R>): Promise<R> {
  const span = tracerOf(api).startSpan(name, { kind: api.SpanKind.INTERNAL, attributes })
  // No provider: nothing to record and no trace to carry on, so no context to set.
  if (!span.isRecording() && !api.trace.isSpanContextValid(span.spanContext())) return work()
  return api.context.with(api.trace.setSpan(api.context.active(), span), async () => {
    try {
      const result = await work()
      span.end()
      return result
    } catch (error) {
      markFailed(api, span, error)
      span.end()
      throw error
    }
  })
}

/** One query in flight: ends its span and records its duration. */
export interface QueryObservation {
  /** Says a read replica answered (`taskstore.route: replica`), and where it is. */
  servedByReplica(target: DatabaseTarget | undefined): void
  end(error?: unknown): void
}

/**
 * Observes the queries of one database: a client span per query, named by
 * its summary (`INSERT tasks`), under the span of the store call that sent
 * it, and its duration in the `db.client.operation.duration` histogram.
 * Attributes come from the SQL text and the connection, never from the
 * bound values.
 *
 * @example
 * ```ts
 * const queries = new QueryTracer(db)
 * const observation = queries.start('select 1')
 * observation?.end()
 * ```
 */
export class QueryTracer {
  readonly #db: Kysely<any>
  /** Per statement text: its summary and its span's attributes, built once (spreading them per query costs µs). */
  readonly #statements = new Map<string, { readonly summary: QuerySummary; readonly attributes: Attributes }>()
  #shared: Attributes | undefined

  readonly #schema: string | undefined

  /** `schema` names the namespace when `db` does not (the migrator's statements name their schema themselves). */
  constructor(db: Kysely<any>, schema?: string) {
    this.#db = db
    this.#schema = schema
    void loadTelemetryApi()
  }

  #describe(sql: string): { summary: QuerySummary; attributes: Attributes } {
    const summary = summarizeQuery(sql)
    this.#shared ??= databaseAttributes(this.#db, this.#schema ?? schemaOf(this.#db))
    const attributes: Attributes = {
      ...this.#shared,
      'db.operation.name': summary.operation,
      ...(summary.collection && { 'db.collection.name': summary.collection }),
      'db.query.summary': summary.summary,
      'taskstore.route': 'primary',
    }
    return { summary, attributes }
  }

  /** Starts observing one statement; `undefined` when `@opentelemetry/api` is not installed. */
  start(sql: string): QueryObservation | undefined {
    const api = telemetryApi()
    if (!api) return undefined
    const durations = durationsOf(api)
    if (!durations && !tracesSpans(api)) return undefined
    let statement = this.#statements.get(sql)
    if (!statement) {
      statement = this.#describe(sql)
      this.#statements.set(sql, statement)
    }
    const { summary } = statement
    let { attributes } = statement
    const span = tracerOf(api).startSpan(summary.summary, { kind: api.SpanKind.CLIENT, attributes })
    // No tracer provider and no meter provider: nothing to end or record.
    if (!span.isRecording() && !durations) return undefined
    const started = performance.now()
    return {
      servedByReplica(target) {
        const replica: Attributes = {
          'taskstore.route': 'replica',
          ...(target?.serverAddress && { 'server.address': target.serverAddress }),
          ...(target?.serverPort && { 'server.port': target.serverPort }),
        }
        span.setAttributes(replica)
        attributes = { ...attributes, ...replica }
      },
      end(error) {
        const seconds = (performance.now() - started) / 1000
        if (error === undefined) {
          span.end()
          durations?.record(seconds, attributes)
          return
        }
        const failure = markFailed(api, span, error)
        span.end()
        durations?.record(seconds, { ...attributes, ...failure })
      },
    }
  }
}
