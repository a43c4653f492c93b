import { type ExpressionBuilder, type Kysely, type SelectQueryBuilder, sql } from 'kysely'
import type { Database } from '../db/taskstore-database.js'
import { placeholder } from './query-template.js'
import type { Task, TaskSort } from './task.js'
import { SORT_COLUMN, TASK_COLUMNS } from './task-columns.js'

/** The parts of a listing that change its SQL text (values do not). */
export interface ListingShape {
  readonly scope: 'user' | 'all'
  readonly byUser: boolean
  readonly sort: TaskSort
  readonly order: 'asc' | 'desc'
  readonly completed: boolean
  readonly priority: boolean
  readonly search: boolean
  /** Where the page starts: the beginning, after a row, or after a row whose sort value is null. */
  readonly after: 'start' | 'value' | 'null'
  /** Whether the database answers row comparisons right; else the keyset condition is spelled out. */
  readonly rowComparison: boolean
  /** Whether LIKE takes an escape character; else search calls `taskstore_contains`. */
  readonly likeEscape: boolean
}

const SORT_BITS: Record<TaskSort, number> = { createdAt: 0, updatedAt: 1, priority: 2, title: 3, completedAt: 4 }
const AFTER_BITS = { start: 0, value: 1, null: 2 } as const

/** A cache key naming the shape: a small number, cheap to build on every call. */
export function shapeKey(shape: ListingShape): number {
  return (
    SORT_BITS[shape.sort] |
    (shape.order === 'asc' ? 8 : 0) |
    (shape.completed ? 16 : 0) |
    (shape.priority ? 32 : 0) |
    (shape.search ? 64 : 0) |
    (shape.byUser ? 128 : 0) |
    (shape.scope === 'all' ? 256 : 0) |
    (shape.rowComparison ? 0 : 512) |
    (AFTER_BITS[shape.after] << 10) |
    (shape.likeEscape ? 0 : 4096)
  )
}

/** Escapes LIKE's wildcards so the search text matches literally. */
export function containsPattern(search: string): string {
  return `%${search.replace(/[\\%_]/g, (char) => `\\${char}`)}%`
}

type Builder = ExpressionBuilder<Database, 'tasks'>
type SortColumn = (typeof SORT_COLUMN)[TaskSort]

/**
 * Builds a listing with placeholders `userId`, `completed`, `priority`,
 * `search`, `afterValue`, `afterId` and `limit`, resuming after
 * `(afterValue, afterId)` in the listing's order. A time `afterValue` is
 * bound as UTC text (`positionParameter` in `task-cursor.ts`), which the
 * comparison with the column types as `timestamptz`.
 */
export function buildListing(db: Kysely<Database>, shape: ListingShape): SelectQueryBuilder<Database, 'tasks', Task> {
  const column = SORT_COLUMN[shape.sort]
  const before = shape.order === 'asc' ? '>' : '<'
  const nullable = shape.sort === 'completedAt'

  let query = db.selectFrom('tasks').select(TASK_COLUMNS) as unknown as SelectQueryBuilder<Database, 'tasks', Task>
  if (shape.byUser) query = query.where('user_id', '=', placeholder<string>('userId'))
  if (shape.completed) query = query.where('completed', '=', placeholder<boolean>('completed'))
  if (shape.priority) query = query.where('priority', '=', placeholder<number>('priority'))
  if (shape.search) query = query.where((eb) => searchCondition(eb, shape.likeEscape))

  if (shape.after === 'value') {
    query = query.where((eb) => {
      const pastValue = keysetCondition(eb, column, before, shape.rowComparison)
      // incomplete tasks (null completedAt) come after every completed one
      return nullable ? eb.or([pastValue, eb(column, 'is', null)]) : pastValue
    })
  } else if (shape.after === 'null') {
    query = query.where(column, 'is', null).where('id', before, placeholder<number>('afterId'))
  }

  const direction = shape.order
  query = nullable
    ? query.orderBy(column, (ob) => (direction === 'asc' ? ob.asc() : ob.desc()).nullsLast())
    : query.orderBy(column, direction)
  return query.orderBy('id', direction).limit(placeholder<number>('limit'))
}

/**
 * Rows past `(afterValue, afterId)`. Postgres gets a row comparison,
 * `(col, id) < (v, i)`, which the `(user_id, col, id)` index bounds on
 * both columns and which plans in a tenth of the time of the spelled-out
 * form. pg-mem parses row comparisons but gets them wrong (it finds
 * `(2, 1) < (1, 2)` true), so it gets `col <= v and (col < v or id < i)`,
 * which means the same for a non-null `col`.
 */
function keysetCondition(eb: Builder, column: SortColumn, before: '<' | '>', rowComparison: boolean) {
  const afterValue = placeholder<never>('afterValue')
  const afterId = placeholder<number>('afterId')
  if (rowComparison) return eb(eb.refTuple(column, 'id'), before, eb.tuple(afterValue, afterId))
  return eb.and([
    eb(column, `${before}=`, afterValue),
    eb.or([eb(column, before, afterValue), eb('id', before, afterId)]),
  ])
}

function searchCondition(eb: Builder, likeEscape: boolean) {
  const needle = placeholder<string>('search')
  if (!likeEscape) {
    return eb.or([
      sql<boolean>`taskstore_contains(title, ${needle})`,
      sql<boolean>`taskstore_contains(coalesce(description, ''), ${needle})`,
    ])
  }
  return eb.or([eb('title', 'ilike', needle), eb('description', 'ilike', needle)])
}
