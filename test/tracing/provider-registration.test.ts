import { metrics, SpanKind, trace } from '@opentelemetry/api'
import { MeterProvider } from '@opentelemetry/sdk-metrics'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import { afterEach, expect, test } from 'vitest'
import { createTaskStore, createUserStore } from '../../src/index.js'
import { createMemoryDatabase } from '../../src/testing/index.js'
import { CollectingReader, collectDurations } from '../support/metrics.js'

afterEach(() => {
  trace.disable()
  metrics.disable()
})

test('a store made before any provider is registered traces once one is, and stops when it is disabled', async () => {
  const db = await createMemoryDatabase()
  try {
    const users = createUserStore(db)
    const tasks = createTaskStore(db)
    const { id } = await users.createUser({ email: 'late@example.com' })
    // no provider yet: the call works and nothing is recorded anywhere
    await tasks.createTask(id, { title: 'untraced' })

    const spans = new InMemorySpanExporter()
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] })
    trace.setGlobalTracerProvider(provider)
    await tasks.createTask(id, { title: 'traced' })
    await provider.forceFlush()
    const names = spans.getFinishedSpans().map((span) => span.name)
    expect(names).toContain('taskstore.createTask')
    expect(spans.getFinishedSpans().some((span) => span.kind === SpanKind.CLIENT && span.name === 'INSERT tasks')).toBe(
      true,
    )

    trace.disable()
    spans.reset()
    await tasks.countTasks(id)
    await provider.forceFlush()
    expect(spans.getFinishedSpans()).toEqual([])
  } finally {
    await db.destroy()
  }
})

test('with a meter provider and no tracer provider, query durations are still recorded', async () => {
  const db = await createMemoryDatabase()
  try {
    const reader = new CollectingReader()
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }))
    const users = createUserStore(db)
    await users.createUser({ email: 'metered@example.com' })
    const duration = await collectDurations(reader)
    const inserts = duration?.dataPoints.filter((point) => point.attributes['db.operation.name'] === 'INSERT') ?? []
    expect(inserts.length).toBeGreaterThan(0)
  } finally {
    await db.destroy()
  }
})
