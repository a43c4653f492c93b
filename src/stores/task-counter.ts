import { type Kysely, sql } from 'kysely'
import { schemaOf } from '../db/database-schema.js'
import type { Database } from '../db/taskstore-database.js'
import type { QueryRunner } from './query-runner.js'
import { placeholder, QueryTemplate } from './query-template.js'
import type { TaskCounts } from './task.js'

/** A read that finds more of a user's deltas than this folds them. */
export const FOLD_AFTER = 32

/**
 * The most deltas one fold takes, so that one stays in the tens of
 * milliseconds: a user written to by tens of thousands of statements
 * between two counts is folded over the next few reads.
 */
export const FOLD_LIMIT = 10_000

/** Counts one user's tasks; see {@link createTaskCounter}. */
export interface TaskCounter {
  count(userId: string): Promise<TaskCounts>
}

interface CountRow {
  readonly total: number | string
  readonly completed: number | string
  /** How many delta rows the sum read (Postgres only). */
  readonly deltas?: number | string
}

/**
 * Counts tasks for the task store. On Postgres it sums the user's rows of
 * `task_count_deltas` (kept by the triggers of migration 0005) and, when
 * there are more than {@link FOLD_AFTER} and the call is not part of a
 * host's transaction, folds them into one row before returning. The fold
 * runs in a READ COMMITTED transaction of its own and skips rows another
 * fold holds, so it never waits on a lock, never meets a serialization
 * failure from the host's isolation level, and a failure of it is ignored:
 * the sum it would have shortened is already read. Without triggers (pg-mem)
 * there are no deltas, so it counts the rows.
 *
 * @example
 * ```ts
 * import { QueryRunner } from './query-runner.js'
 * const counter = createTaskCounter(db, new QueryRunner(db), true)
 * const { total, completed, pending } = await counter.count('user-1')
 * ```
 */
export function createTaskCounter(db: Kysely<Database>, runner: QueryRunner, triggers: boolean): TaskCounter {
  let fold: QueryTemplate<never> | undefined

  async function foldDeltas(userId: string): Promise<void> {
    fold ??= new QueryTemplate({ compile: () => foldQuery(schemaOf(db)).compile(db) })
    const query = fold.bind({ userId, limit: FOLD_LIMIT })
    try {
      await db
        .transaction()
        .setIsolationLevel('read committed')
        .execute((trx) => trx.executeQuery(query))
    } catch {
      // Best effort: the next read that finds many deltas folds them.
    }
  }

  return {
    async count(userId) {
      const { rows } = await runner.run<CountRow>(
        'count',
        () => (triggers ? sumDeltas(db) : countRows(db)),
        { userId },
        {},
        { read: userId },
      )
      const row = rows[0]
      const total = Number(row?.total ?? 0)
      const completed = Number(row?.completed ?? 0)
      if (triggers && !db.isTransaction && Number(row?.deltas ?? 0) > FOLD_AFTER) await foldDeltas(userId)
      return { total, completed, pending: total - completed }
    },
  }
}

function countRows(db: Kysely<Database>) {
  return db
    .selectFrom('tasks')
    .select([
      sql<number>`count(*)::int`.as('total'),
      // count(*) FILTER is silently ignored by pg-mem
      sql<number>`count(case when completed then 1 end)::int`.as('completed'),
    ])
    .where('user_id', '=', placeholder<string>('userId'))
}

function sumDeltas(db: Kysely<Database>) {
  return (
    db
      // Names tasks first, so the read locks tasks before the deltas, in the order a TRUNCATE of
      // tasks does (its trigger truncates the deltas): a transaction that counted and then writes
      // waits for a concurrent TRUNCATE, as after a count(*) of tasks, instead of deadlocking with it.
      .with('lock_order', (qb) => qb.selectFrom('tasks').select(sql.lit(1).as('one')).where(sql.lit(false)))
      .selectFrom('task_count_deltas')
      .select([
        sql<string>`coalesce(sum(total), 0)`.as('total'),
        sql<string>`coalesce(sum(completed), 0)`.as('completed'),
        sql<string>`count(*)`.as('deltas'),
      ])
      .where('user_id', '=', placeholder<string>('userId'))
  )
}

/**
 * Folds up to `limit` of a user's deltas into the first of them (or deletes
 * them all when they sum to nothing, as after the user was deleted). Only
 * rows nobody else has locked are taken; the kept row is updated rather
 * than a new one inserted, because the table's guard drops inserts that do
 * not come from the count triggers.
 */
function foldQuery(schema: string) {
  const deltas = sql.id(schema, 'task_count_deltas')
  const userId = placeholder<string>('userId')
  return sql<never>`
    with picked as (
      select id, total, completed from ${deltas}
      where user_id = ${userId}
      limit ${placeholder<number>('limit')}
      for update skip locked
    ), folded as (
      select (select id from picked order by id limit 1) as keep,
             sum(total) as total, sum(completed) as completed, count(*) as n
      from picked
    ), kept as (
      update ${deltas} as d set total = f.total, completed = f.completed
      from folded f
      where d.user_id = ${userId} and d.id = f.keep and f.n > 1 and (f.total <> 0 or f.completed <> 0)
    )
    delete from ${deltas} as d using picked p, folded f
    where d.user_id = ${userId} and d.id = p.id and f.n > 1
      and (p.id <> f.keep or (f.total = 0 and f.completed = 0))`
}
