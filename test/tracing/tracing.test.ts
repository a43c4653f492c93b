import { metrics, context as otelContext, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { MeterProvider } from '@opentelemetry/sdk-metrics'
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createTaskStore, createUserStore, migrateToLatest, type TaskQuery } from '../../src/index.js'
import { runMigrations } from '../../src/migrator.js'
import { describeEachBackend, uniqueSchema } from '../support/backends.js'
import { expectCode, TEST_SCRYPT } from '../support/fixtures.js'
import { CollectingReader, collectDurations } from '../support/metrics.js'

const spans = new InMemorySpanExporter()
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] })
const reader = new CollectingReader()
const contextManager = new AsyncLocalStorageContextManager()

beforeAll(() => {
  otelContext.setGlobalContextManager(contextManager.enable())
  trace.setGlobalTracerProvider(provider)
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }))
})

afterAll(() => {
  trace.disable()
  metrics.disable()
  otelContext.disable()
})

/** Forgets the spans of the backend's own set-up (its migration run, say). */
async function startRecording(): Promise<void> {
  await provider.forceFlush()
  spans.reset()
}

/** Every span ended so far (the processor exports asynchronously). */
async function finishedSpans(): Promise<ReadableSpan[]> {
  await provider.forceFlush()
  return spans.getFinishedSpans()
}

async function callSpan(name: string): Promise<ReadableSpan> {
  const found = (await finishedSpans()).filter((span) => span.name === `taskstore.${name}`)
  expect(found, `spans named taskstore.${name}`).toHaveLength(1)
  return found[0]!
}

function childrenOf(parent: ReadableSpan): ReadableSpan[] {
  return spans.getFinishedSpans().filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId)
}

describeEachBackend('tracing', (context) => {
  function stores() {
    const { db } = context()
    return { users: createUserStore(db, { scrypt: TEST_SCRYPT }), tasks: createTaskStore(db) }
  }

  test('every store call is one span with its queries as client spans beneath it, named by what they do', async () => {
    const { backend, schema } = context()
    const { users, tasks } = stores()
    await startRecording()
    const user = await users.createUser({ email: 'span@example.com' })
    const task = await tasks.createTask(user.id, { title: 'Traced' })
    await tasks.toggleComplete(user.id, task.id)
    await tasks.getTasks(user.id, { sort: 'title' })
    await tasks.countTasks(user.id)

    const calls = await Promise.all(
      ['createUser', 'createTask', 'toggleComplete', 'getTasks', 'countTasks'].map(callSpan),
    )
    for (const call of calls) {
      expect(call.kind).toBe(SpanKind.INTERNAL)
      expect(call.attributes['db.system.name']).toBe('postgresql')
      expect(String(call.attributes['db.namespace'])).toMatch(new RegExp(`(^|\\.)${schema}$`))
      const queries = childrenOf(call)
      expect(queries.length, `queries of ${call.name}`).toBeGreaterThan(0)
      for (const query of queries) {
        expect(query.kind).toBe(SpanKind.CLIENT)
        expect(query.spanContext().traceId).toBe(call.spanContext().traceId)
        expect(query.name).toBe(query.attributes['db.query.summary'])
        expect(query.attributes['db.system.name']).toBe('postgresql')
        expect(query.attributes['taskstore.route']).toBe('primary')
        expect(query.attributes['db.namespace']).toBe(call.attributes['db.namespace'])
      }
    }
    const [createUser, createTask, toggle, list, count] = calls.map((call) => childrenOf(call)[0]!)
    expect(createUser!.attributes).toMatchObject({ 'db.operation.name': 'INSERT', 'db.collection.name': 'users' })
    expect(createTask!.name).toBe('INSERT tasks')
    expect(toggle!.name).toBe('UPDATE tasks')
    expect(list!.name).toBe('SELECT tasks')
    expect(count!.name).toBe(backend === 'memory' ? 'SELECT tasks' : 'SELECT task_count_deltas')
  })

  test('every listing shape is a SELECT of tasks, whatever subqueries and common table expressions it reads through', async () => {
    const { users, tasks } = stores()
    const user = await users.createUser({ email: 'shapes@example.com' })
    await tasks.createTask(user.id, { title: 'Traced shape', completed: true })
    const queries: TaskQuery[] = [
      {},
      { search: 'traced' },
      { search: 'traced', completed: true },
      { sort: 'completedAt' },
      { sort: 'completedAt', order: 'asc', completed: true },
      { completed: true },
      { priority: 3, sort: 'title' },
      { completed: false, priority: 5, sort: 'completedAt' },
    ]
    const names: string[] = []
    for (const query of queries) {
      await startRecording()
      await tasks.getTasks(user.id, query)
      names.push(...childrenOf(await callSpan('getTasks')).map((span) => span.name))
    }
    expect(names.length).toBeGreaterThanOrEqual(queries.length)
    expect(new Set(names)).toEqual(new Set(['SELECT tasks']))
  })

  test('a failed call and its failed query are marked as errors with the error class and the SQLSTATE', async () => {
    const { backend } = context()
    const { users, tasks } = stores()
    await users.createUser({ email: 'taken@example.com' })
    await startRecording()
    await expectCode(users.createUser({ email: 'TAKEN@example.com' }), 'conflict')
    const call = await callSpan('createUser')
    expect(call.status.code).toBe(SpanStatusCode.ERROR)
    expect(call.attributes['error.type']).toBe('ConflictError')
    const [query] = childrenOf(call)
    expect(query!.status.code).toBe(SpanStatusCode.ERROR)
    expect(query!.attributes['error.type']).toBe('ConflictError')
    // pg-mem raises no SQLSTATE for a unique violation
    if (backend !== 'memory') expect(query!.attributes['db.response.status_code']).toBe('23505')
    const failedPoints = ((await collectDurations(reader))?.dataPoints ?? [])
      .map((point) => point.attributes)
      .filter((attributes) => attributes['error.type'] === 'ConflictError')
    expect(failedPoints.length).toBeGreaterThan(0)
    if (backend !== 'memory') expect(failedPoints[0]!['db.response.status_code']).toBe('23505')

    await startRecording()
    await expectCode(tasks.getTask('no-such-user', 2_000_000), 'not_found')
    const missing = await callSpan('getTask')
    expect(missing.status.code).toBe(SpanStatusCode.ERROR)
    expect(missing.attributes['error.type']).toBe('NotFoundError')
    expect(missing.attributes['db.response.status_code']).toBeUndefined()
    for (const query of childrenOf(missing)) expect(query.status.code).not.toBe(SpanStatusCode.ERROR)
  })

  test('no span or measurement carries a title, description, email, name, password, search term or user id', async () => {
    const { users, tasks } = stores()
    const secrets = {
      email: 'private.person@example.com',
      name: 'Private Person',
      password: 'correct horse battery staple',
      id: 'user-7f3a9c1e',
      title: 'Call the lawyer about Zanzibar',
      description: 'Bring the blue folder',
      search: 'lawyer',
    }
    const user = await users.createUser({
      id: secrets.id,
      email: secrets.email,
      name: secrets.name,
      password: secrets.password,
    })
    const task = await tasks.createTask(user.id, { title: secrets.title, description: secrets.description })
    await tasks.updateTask(user.id, task.id, { title: `${secrets.title}!` })
    await tasks.getTasks(user.id, { search: secrets.search })
    await users.verifyPassword(secrets.email, secrets.password)
    await users.findUserByEmail(secrets.email)
    await expectCode(users.createUser({ email: secrets.email }), 'conflict')
    await expectCode(tasks.getTask(user.id, 2_000_000), 'not_found')

    const { resourceMetrics } = await reader.collect()
    const measured = resourceMetrics.scopeMetrics.flatMap((scope) =>
      scope.metrics.flatMap((metric) => metric.dataPoints.map((point) => point.attributes)),
    )
    const finished = await finishedSpans()
    const recorded = [...finished.map((span) => span.attributes), ...measured]
    expect(finished.length).toBeGreaterThan(8)
    const text = JSON.stringify(recorded).toLowerCase()
    for (const [field, value] of Object.entries(secrets)) {
      expect(text.includes(value.toLowerCase()), `${field} found in an attribute`).toBe(false)
    }
  })

  test('query durations are recorded in the db.client.operation.duration histogram, in seconds', async () => {
    const { users } = stores()
    await users.createUser({ email: 'metric@example.com' })
    const duration = await collectDurations(reader)
    expect(duration?.descriptor.unit).toBe('s')
    const inserts = duration!.dataPoints.filter(
      (point) =>
        point.attributes['db.operation.name'] === 'INSERT' && point.attributes['db.collection.name'] === 'users',
    )
    expect(inserts.length).toBeGreaterThan(0)
    const value = inserts[0]!.value as { count: number; sum: number }
    expect(value.count).toBeGreaterThan(0)
    expect(value.sum / value.count).toBeLessThan(10)
  })

  test('a migration run is one span with a span for each step it applies, and its queries beneath them', async () => {
    const { db } = context()
    const schema = uniqueSchema('traced')
    await startRecording()
    const { applied } = await migrateToLatest(db, { schema })
    const run = await callSpan('migrateToLatest')
    expect(String(run.attributes['db.namespace'])).toMatch(new RegExp(`(^|\\.)${schema}$`))
    const steps = childrenOf(run).filter((span) => span.name === 'taskstore.migration')
    expect(steps.map((step) => step.attributes['taskstore.migration.name'])).toEqual(applied)
    expect(applied.length).toBeGreaterThan(0)
    const [createUsers] = steps
    const queries = childrenOf(createUsers!)
    expect(queries.map((query) => query.name)).toContain('CREATE')
    for (const query of queries) {
      expect(query.kind).toBe(SpanKind.CLIENT)
      expect(query.attributes['db.namespace']).toBe(run.attributes['db.namespace'])
    }
    // the run's own bookkeeping (its lock, the migration table) is traced under the run
    expect(childrenOf(run).some((span) => span.kind === SpanKind.CLIENT)).toBe(true)
  })

  test('a failing migration step ends its query spans as errors', async () => {
    const { db } = context()
    const schema = uniqueSchema('failing')
    await startRecording()
    const failing = {
      description: 'reads a table that does not exist',
      up: async (trx: Kysely<any>) => {
        await sql`select 1`.execute(trx)
        await sql`select * from no_such_table_anywhere`.execute(trx)
      },
      down: async () => {},
    }
    await expect(runMigrations(db, 'latest', { schema }, [['0001_failing', failing]])).rejects.toMatchObject({
      code: 'migration',
    })
    const step = (await finishedSpans()).find((span) => span.name === 'taskstore.migration')!
    expect(step.status.code).toBe(SpanStatusCode.ERROR)
    const queries = childrenOf(step)
    expect(queries.map((query) => query.status.code)).toEqual([SpanStatusCode.UNSET, SpanStatusCode.ERROR])
    expect(queries[1]!.attributes['error.type']).toBeDefined()
  })
})

describeEachBackend(
  'tracing: where the server is',
  (context) => {
    test('query spans name the server address and port from the connection string', async () => {
      const { reach } = context()
      const { db } = context()
      await startRecording()
      await createTaskStore(db).countTasks('nobody')
      const [query] = childrenOf(await callSpan('countTasks'))
      const url = new URL(reach!.connectionString)
      expect(query!.attributes['server.address']).toBe(url.hostname)
      expect(query!.attributes['server.port']).toBe(Number(url.port || 5432))
      expect(query!.attributes['db.namespace']).toBe(`${url.pathname.slice(1)}.${context().schema}`)
    })
  },
  { only: ['postgres', 'pgbouncer'] },
)

describeEachBackend(
  'tracing: providers come and go',
  (context) => {
    test('with no provider nothing is recorded, and a provider registered later is used from then on', async () => {
      const { db } = context()
      const tasks = createTaskStore(db)
      await startRecording()
      trace.disable()
      await tasks.countTasks('nobody')
      expect(await finishedSpans()).toEqual([])
      trace.setGlobalTracerProvider(provider)
      await tasks.countTasks('nobody')
      expect(childrenOf(await callSpan('countTasks'))).toHaveLength(1)
    })
  },
  { only: ['memory', 'postgres'] },
)
