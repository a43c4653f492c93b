import type { Kysely } from 'kysely'
import type { DatabaseCapabilities } from '../db/database-capabilities.js'
import { ANY_USER } from '../db/read-tokens.js'
import type { Database } from '../db/taskstore-database.js'
import type { QueryRunner, Route } from './query-runner.js'
import type { AllTasksQuery, Page, Task } from './task.js'
import { TASK_ROWS } from './task-columns.js'
import {
  cursorScope,
  decodeCursor,
  encodeCursor,
  PG_MEM_TIMES,
  POSTGRES_TIMES,
  positionParameter,
} from './task-cursor.js'
import {
  buildListing,
  buildSearchFallback,
  containsPattern,
  type ListingShape,
  searchesInWindow,
  searchFallbackKey,
  shapeKey,
} from './task-listing.js'

const DEFAULT_LIMIT = 50

/** One page of a user's tasks (`scope: 'user'`), or of everyone's (`'all'`, narrowed to `owner` when given). */
export type ListTasks = (scope: 'user' | 'all', owner: string | undefined, query: AllTasksQuery) => Promise<Page<Task>>

/**
 * Keyset pages of tasks: decodes the cursor (which must belong to this very
 * listing), runs the listing's SQL for one more row than the page, and
 * encodes the next cursor from the page's last row. A user's search whose
 * window held no page sends a second statement for it.
 *
 * @example
 * ```ts
 * import { POSTGRES_CAPABILITIES } from '../db/database-capabilities.js'
 * import { QueryRunner } from './query-runner.js'
 * const list = createTaskPages(db, new QueryRunner(db), POSTGRES_CAPABILITIES)
 * const page = await list('user', 'user-1', { sort: 'priority', limit: 20 })
 * ```
 */
export function createTaskPages(db: Kysely<Database>, runner: QueryRunner, can: DatabaseCapabilities): ListTasks {
  const cursorTimes = can.fullTimestampRange ? POSTGRES_TIMES : PG_MEM_TIMES
  return async function list(scope, owner, query) {
    const limit = query.limit ?? DEFAULT_LIMIT
    const sort = query.sort ?? 'createdAt'
    const order = query.order ?? 'desc'
    const cursorKey = cursorScope([
      scope,
      owner ?? null,
      sort,
      order,
      query.completed ?? null,
      query.priority ?? null,
      query.search ?? null,
    ])
    const position = query.cursor === undefined ? undefined : decodeCursor(cursorKey, sort, query.cursor, cursorTimes)
    const shape: ListingShape = {
      scope,
      byUser: owner !== undefined,
      sort,
      order,
      completed: query.completed !== undefined,
      priority: query.priority !== undefined,
      search: query.search !== undefined,
      after: position === undefined ? 'start' : position.value === null ? 'null' : 'value',
      rowComparison: can.rowComparison,
      likeEscape: can.likeEscape,
      orderedSubqueries: can.orderedSubqueries,
    }
    const values = {
      userId: owner,
      completed: query.completed,
      priority: query.priority,
      search: query.search === undefined ? undefined : can.likeEscape ? containsPattern(query.search) : query.search,
      afterValue: position && positionParameter(position, sort),
      afterId: position?.id,
      limit: limit + 1,
    }
    const route: Route = { read: owner ?? ANY_USER }
    // Planned for any user, with statistics of many small users, a listing of everyone's tasks may read most of
    // them; a user's listing planned that way stays bounded by its page, and a search by its window.
    const preparable = scope === 'user' && (!shape.search || searchesInWindow(shape))
    let { rows } = await runner.run<Task>(shapeKey(shape), () => buildListing(db, shape), values, {}, route, {
      preparable,
      rows: TASK_ROWS,
    })
    if (rows.length === 0 && searchesInWindow(shape)) {
      ;({ rows } = await runner.run<Task>(
        searchFallbackKey(shape),
        () => buildSearchFallback(db, shape),
        values,
        {},
        route,
        { preparable: false, rows: TASK_ROWS },
      ))
    }
    if (rows.length <= limit) return { items: rows, nextCursor: null }
    rows.length = limit
    const last = rows[limit - 1]!
    return { items: rows, nextCursor: encodeCursor(cursorKey, { value: last[sort], id: last.id }) }
  }
}
