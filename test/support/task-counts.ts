import { type Kysely, sql } from 'kysely'
import { expect } from 'vitest'
import { createTaskStore, type Database } from '../../src/index.js'

/** A user's counts taken from the tasks themselves: what `countTasks` must say. */
export async function countedTasks(db: Kysely<Database>, userId: string) {
  const row = await db
    .selectFrom('tasks')
    .select([
      sql<string>`count(*)`.as('total'),
      // count(*) FILTER is silently ignored by pg-mem
      sql<string>`count(case when completed then 1 end)`.as('completed'),
    ])
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow()
  const total = Number(row.total)
  const completed = Number(row.completed)
  return { total, completed, pending: total - completed }
}

/** Asserts that `countTasks` agrees with the tasks for every user given. */
export async function expectExactCounts(db: Kysely<Database>, userIds: readonly string[]): Promise<void> {
  const tasks = createTaskStore(db)
  for (const userId of userIds) {
    expect({ userId, ...(await tasks.countTasks(userId)) }).toEqual({ userId, ...(await countedTasks(db, userId)) })
  }
}

/** How many delta rows a user has (Postgres only). */
export async function deltaRows(db: Kysely<Database>, userId: string): Promise<number> {
  const row = await db
    .selectFrom('task_count_deltas')
    .select(sql<string>`count(*)`.as('rows'))
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow()
  return Number(row.rows)
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Watches a statement in flight: 'settled' once it finishes, 'waited' as soon
 * as the server shows a statement naming `schema` waiting on a lock. The
 * promise itself is left to the caller (a rejection is not reported here).
 */
export async function settlesWithoutWaiting(
  observer: Kysely<any>,
  schema: string,
  call: Promise<unknown>,
  timeoutMs = 15_000,
): Promise<'settled' | 'waited'> {
  let settled = false
  call.then(
    () => {
      settled = true
    },
    () => {
      settled = true
    },
  )
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (settled) return 'settled'
    const { rows } = await sql<{ waiting: number }>`
      select count(*)::int as waiting from pg_stat_activity
      where wait_event_type = 'Lock' and position(${schema} in query) > 0`.execute(observer)
    if (settled) return 'settled'
    if (Number(rows[0]!.waiting) > 0) return 'waited'
    await sleep(10)
  }
  throw new Error(`the statement neither finished nor waited on a lock within ${timeoutMs} ms`)
}

/**
 * PostgreSQL's reason for cancelling a SERIALIZABLE transaction that commits
 * while a pivot reading its writes is already committing. A transaction
 * that only inserts can fail for this reason alone, with or without the
 * count triggers.
 */
export const PREPARED_PIVOT_REASON = 'Canceled on commit attempt with conflict in from prepared pivot.'

/** The "Reason code" PostgreSQL gave for a serialization failure (40001) in the error's cause chain. */
export function serializationFailureReason(error: unknown): string | undefined {
  for (let current = error as { code?: unknown; detail?: unknown; cause?: unknown } | undefined; current; ) {
    if (current.code === '40001' && typeof current.detail === 'string') {
      return current.detail.replace(/^Reason code: /, '')
    }
    current = current.cause as typeof current | undefined
  }
  return undefined
}
