import { expect, test } from 'vitest'
import { DatabaseLifecycle } from '../../src/db/database-lifecycle.js'
import { createDirectQuery } from '../../src/db/direct-query.js'
import type { DriverClient, GuardedPool } from '../../src/db/discard-broken-clients.js'
import { TASK_ROWS } from '../../src/stores/task-columns.js'

const created = new Date('2026-01-02T03:04:05.678Z')
const TASK = {
  id: 7,
  userId: 'user-1',
  title: 'Pay rent',
  description: null,
  completed: true,
  completedAt: created,
  priority: 2,
  createdAt: created,
  updatedAt: created,
}

/** A pool whose one client answers every statement with `columns` and the values of TASK in that order, and notes what it was given. */
function answeringPool(columns: readonly string[]) {
  const given: unknown[] = []
  const client = {
    query(config: unknown, _parameters: unknown, callback: (error: undefined, result: unknown) => void) {
      given.push(config)
      const arrays = typeof config === 'object' && (config as { rowMode?: string }).rowMode === 'array'
      const values = columns.map((column) =>
        column in TASK ? TASK[column as keyof typeof TASK] : `value of ${column}`,
      )
      const row = arrays ? values : Object.fromEntries(columns.map((column, k) => [column, values[k]]))
      callback(undefined, { command: 'SELECT', rowCount: 1, rows: [row], fields: columns.map((name) => ({ name })) })
    },
    release() {},
  } as unknown as DriverClient
  const pool = { checkout: (callback: (error: unknown, client?: DriverClient) => void) => callback(undefined, client) }
  const query = createDirectQuery({
    getPool: async () => pool as unknown as GuardedPool,
    retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
    initialize: async () => {},
    lifecycle: new DatabaseLifecycle(),
  })
  return { query, given }
}

const FIELDS = Object.keys(TASK)

test('rows of a known shape are asked for as arrays and come back as the same objects as without', async () => {
  const { query, given } = answeringPool(FIELDS)
  const plain = await query('select', [])
  const read = await query('select', [], { rows: TASK_ROWS })
  expect(given).toEqual(['select', { text: 'select', rowMode: 'array' }])
  expect(read.rows).toEqual([TASK])
  expect(read.rows).toEqual(plain.rows)
  expect(Object.keys(read.rows[0] as object)).toEqual(FIELDS)
})

test('columns in another order are read by name', async () => {
  const { query } = answeringPool([...FIELDS].reverse())
  expect((await query('select', [], { rows: TASK_ROWS })).rows).toEqual([TASK])
})

test('columns that are not the shape fields become an object by column name', async () => {
  const columns = [...FIELDS.slice(0, -1), 'extra']
  const { query } = answeringPool(columns)
  const [row] = (await query('select', [], { rows: TASK_ROWS })).rows as Array<Record<string, unknown>>
  expect(Object.keys(row!)).toEqual(columns)
  expect(row).toMatchObject({ id: 7, title: 'Pay rent', extra: 'value of extra' })
  expect(TASK_ROWS.forColumns(columns)).toBeUndefined()
  expect(TASK_ROWS.forColumns([...FIELDS, 'extra'])).toBeUndefined()
})
