import { MetricReader } from '@opentelemetry/sdk-metrics'

/** A reader the test collects from when it wants, instead of on a timer. */
export class CollectingReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** The package's `db.client.operation.duration` histogram as `reader` collects it now; undefined when nothing was recorded. */
export async function collectDurations(reader: MetricReader) {
  const { resourceMetrics } = await reader.collect()
  return resourceMetrics.scopeMetrics
    .filter((scope) => scope.scope.name === 'taskstore')
    .flatMap((scope) => scope.metrics)
    .find((metric) => metric.descriptor.name === 'db.client.operation.duration')
}
