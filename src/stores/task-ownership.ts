import type { Kysely } from 'kysely'
import type { Database } from '../db/taskstore-database.js'
import { ForbiddenError, NotFoundError } from '../errors/index.js'
import type { QueryBuild, QueryRunner, Route } from './query-runner.js'
import { placeholder } from './query-template.js'
import type { Task } from './task.js'
import type { UpdatedAt } from './updated-at.js'
import type { WhereOn } from './where-on.js'

/** How the task store reaches one task of one user. */
export interface OwnedTaskAccess {
  /**
   * Runs a statement scoped by {@link OwnedTaskAccess.byOwner} and returns
   * its one row. When it matched nothing, the ownership rule decides the
   * error: the task exists but belongs to someone else, `ForbiddenError`;
   * it does not exist, `NotFoundError`. Either way nothing changed, since
   * the scoped statement matched no row.
   */
  one(
    key: string,
    build: QueryBuild,
    userId: string,
    taskId: number,
    extra?: Record<string, unknown>,
    access?: 'read' | 'write',
  ): Promise<Task>
  /** Scopes a query to the task `taskId` of the user `userId` (both bound per call). */
  byOwner<Q extends WhereOn<'tasks', 'id' | 'user_id', Q>>(query: Q): Q
}

/**
 * The ownership rule of the task store, in one place: every statement on
 * one task names both its id and its owner, and only when it matches
 * nothing does a second query tell "someone else's" from "no such task".
 *
 * @example
 * ```ts
 * import { QueryRunner } from './query-runner.js'
 * import { updatedAtFor } from './updated-at.js'
 * const owned = createOwnedTaskAccess(db, new QueryRunner(db), updatedAtFor(true))
 * const task = await owned.one('get', () => owned.byOwner(db.selectFrom('tasks').selectAll()), 'user-1', 42, {}, 'read')
 * ```
 */
export function createOwnedTaskAccess(
  db: Kysely<Database>,
  runner: QueryRunner,
  updatedAt: UpdatedAt,
): OwnedTaskAccess {
  async function ownershipFailure(taskId: number): Promise<never> {
    const { rows } = await runner.run<{ userId: string }>(
      'owner',
      () => db.selectFrom('tasks').select('user_id as userId').where('id', '=', placeholder<number>('taskId')),
      { taskId },
    )
    if (rows.length > 0) throw new ForbiddenError(`Task ${taskId} belongs to another user`)
    throw new NotFoundError(`Task ${taskId} does not exist`)
  }

  return {
    async one(key, build, userId, taskId, extra = {}, access = 'write') {
      const values = { userId, taskId, now: updatedAt.bind(), ...extra }
      const route: Route = access === 'read' ? { read: userId } : { write: [userId] }
      const { rows } = await runner.run<Task>(key, build, values, {}, route)
      if (rows[0]) return rows[0]
      // a replica may lack a task made outside this database: the primary decides before any error
      if (access === 'read') {
        const { rows: fromPrimary } = await runner.run<Task>(key, build, values)
        if (fromPrimary[0]) return fromPrimary[0]
      }
      return ownershipFailure(taskId)
    },
    byOwner(query) {
      return query.where('id', '=', placeholder<number>('taskId')).where('user_id', '=', placeholder<string>('userId'))
    },
  }
}
