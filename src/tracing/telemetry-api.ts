import type * as OpenTelemetry from '@opentelemetry/api'

/** The parts of `@opentelemetry/api` taskstore uses. */
export type TelemetryApi = Pick<
  typeof OpenTelemetry,
  'trace' | 'context' | 'metrics' | 'SpanKind' | 'SpanStatusCode' | 'createNoopMeter' | 'ProxyTracerProvider'
>

// undefined: not asked for yet or still loading; null: not installed.
let loaded: TelemetryApi | null | undefined
let loading: Promise<TelemetryApi | null> | undefined

/**
 * `@opentelemetry/api`, an optional peer, once {@link loadTelemetryApi} has
 * settled: `null` when it is not installed, `undefined` before that.
 */
export function telemetryApi(): TelemetryApi | null | undefined {
  return loaded
}

/**
 * Imports `@opentelemetry/api` once, on first use of a store or the
 * migrator, so a host without it never loads it and one with it pays for
 * the import once. Never rejects.
 */
export function loadTelemetryApi(): Promise<TelemetryApi | null> {
  loading ??= import('@opentelemetry/api').then(
    (module) => {
      loaded = module
      return module
    },
    () => {
      loaded = null
      return null
    },
  )
  return loading
}
