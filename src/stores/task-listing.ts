import {
  type Compilable,
  type ExpressionBuilder,
  type Kysely,
  type QueryCreator,
  type RawBuilder,
  type SelectQueryBuilder,
  sql,
} from 'kysely'
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
  /** Whether ordered, limited subqueries can be merged; else the listing is one ordered query. */
  readonly orderedSubqueries: boolean
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
    (AFTER_BITS[shape.after] << 10)
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
 *
 * On Postgres a user's listing is a merge of ranges that an index holds in
 * order (see {@link listingRanges}): each range reads at most a page, and
 * the page is the first `limit` rows of their union. So a page costs the
 * same on a user with 100,000 tasks as on one with 100. A user's search is
 * read from a window of the listing first ({@link searchWindow}); when that
 * returns no rows, {@link buildSearchFallback} makes the page.
 */
export function buildListing(db: Kysely<Database>, shape: ListingShape): Compilable<Task> {
  const limit = placeholder<number>('limit')
  if (!shape.orderedSubqueries || !shape.byUser) return orderedRange(db, shape, {}, limit)
  if (shape.search) return searchWindow(db, shape)
  return mergedRanges(db, shape, limit)
}

/**
 * Whether a listing of this shape is a search in a window of the listing,
 * whose empty answer means the page is {@link buildSearchFallback}'s to
 * make. Its plan is bounded by the window whatever the term and the user,
 * so it may be prepared.
 */
export function searchesInWindow(shape: ListingShape): boolean {
  return shape.search && shape.orderedSubqueries && shape.byUser
}

/** How many rows, in order, a search reads first, to tell a rare term from one that fills pages in order. */
export const SEARCH_PROBE = 300
/**
 * Fewer matches than this among the {@link SEARCH_PROBE} rows make a term
 * rare. A term in 1 in 30 rows, which fills a page in the window, has 10 on
 * average there, and fewer than 5 about one time in thirty; a rarer term
 * would not fill the window's page either, and costs less fetched at once.
 */
export const SEARCH_PROBE_MATCHES = 5
/** How many rows, in order, a search reads at most before it looks the matches up in the trigram index instead. */
export const SEARCH_WINDOW = 1500

/**
 * A search's first statement: the page's matches among the listing's next
 * {@link SEARCH_WINDOW} rows in order, or no rows when those cannot make
 * the page. It reads the next {@link SEARCH_PROBE} rows first: a term with
 * fewer than {@link SEARCH_PROBE_MATCHES} matches there, when there are
 * that many rows, is rare, and the statement stops. Otherwise it keeps the
 * window's first matches, which are the page when they fill it or when the
 * window holds every row left in the listing. A term in more than a few
 * percent of the user's tasks fills the page there; a rare one, the case
 * left to {@link buildSearchFallback}, costs a fifth of the window. Either
 * way the statement reads at most the window, for any term and any user,
 * so a plan made for any user is as bounded as one made for the term, and
 * on a user with few tasks it is a read of them in order.
 *
 * Rare first, then the hits: when the probe decides, the window is read no
 * further; once the hits fill the page the window's count is never taken,
 * so the window is read only as far as the page's matches (a CTE is
 * computed as far as its readers pull, and Postgres skips a branch whose
 * one-time filter is false).
 */
function searchWindow(db: Kysely<Database>, shape: ListingShape): Compilable<Task> {
  const unsearched: ListingShape = { ...shape, search: false }
  const ranges = listingRanges(unsearched)
  const completed = ranges.filter((range) => range.part === 'completed')
  const tail = ranges.filter((range) => range.part === 'tail')
  if (completed.length > 0 && tail.length > 0) return twoPartSearchWindow(db, shape, completed, tail)
  const limit = placeholder<number>('limit')
  const leftToFallback = sql<boolean>`((${count('search_probe_hits')} < ${sql.lit(SEARCH_PROBE_MATCHES)}
      and ${count('search_probe_rows')} = ${sql.lit(SEARCH_PROBE)})
    or (${count('search_hits')} < ${limit} and ${windowFull('search_window')}))`
  const ctes = db
    .with('search_window', () => mergedRanges(db, unsearched, sql.lit(SEARCH_WINDOW) as never, ranges, 'unplanned'))
    .with('search_probe_rows', () => probeRows(db, unsearched, ranges, 'search_window'))
    .with('search_probe_hits', () =>
      probeHits(db, shape, cteRows(db, 'search_probe_rows')).limit(sql.lit(SEARCH_PROBE_MATCHES) as never),
    )
    // no sort: the outer query orders the page
    .with('search_hits', () => windowHits(db, shape, 'search_window'))
  return hitsUnlessLeft(ctes, db, shape, leftToFallback)
}

/**
 * {@link searchWindow} for a `completedAt` listing, read in two parts (see
 * {@link listingRanges}): the completed part's window first, the tail's
 * after it, each with a window of its own. The tail's window is read only
 * when the completed part ran out before its window filled and held too
 * few matches, and its probe only when that part has fewer than
 * {@link SEARCH_PROBE} rows, so a common term costs what it costs on any
 * other sort. Each part's first matches are kept apart, so which rows make
 * the page never depends on the order in which Postgres reads a union.
 */
function twoPartSearchWindow(
  db: Kysely<Database>,
  shape: ListingShape,
  completed: readonly ListingRange[],
  tail: readonly ListingRange[],
): Compilable<Task> {
  const unsearched: ListingShape = { ...shape, search: false }
  const limit = placeholder<number>('limit')
  const probedFull = sql<boolean>`(${count('search_probe_rows')} = ${sql.lit(SEARCH_PROBE)}
    or ${count('search_probe_rows_tail')} = ${sql.lit(SEARCH_PROBE)})`
  const leftToFallback = sql<boolean>`((${count('search_probe_hits')} < ${sql.lit(SEARCH_PROBE_MATCHES)} and ${probedFull})
    or (${count('search_hits')} < ${limit} and (${windowFull('search_window')} or ${windowFull('search_window_tail')})))`
  // The tail's matches count only when the completed part's fell short of a page and the part ended inside its
  // window. Both counts are known by then (every row of the window was read looking for matches); one expression,
  // so the cheap count is always taken first.
  const tailNeeded = sql<boolean>`(${count('search_hits_completed')} < ${limit}
    and ${count('search_window')} < ${sql.lit(SEARCH_WINDOW)})`
  const ctes = db
    .with('search_window', () => mergedRanges(db, unsearched, sql.lit(SEARCH_WINDOW) as never, completed, 'unplanned'))
    .with('search_window_tail', () => mergedRanges(db, unsearched, sql.lit(SEARCH_WINDOW) as never, tail, 'unplanned'))
    // The completed part's first rows, which its probe reads and whose count says whether the tail's are probed too.
    .with('search_probe_rows', () => probeRows(db, unsearched, completed, 'search_window'))
    .with('search_probe_rows_tail', () =>
      probeRows(db, unsearched, tail, 'search_window_tail').where(
        sql<boolean>`${count('search_probe_rows')} < ${sql.lit(SEARCH_PROBE)}`,
      ),
    )
    .with('search_probe_hits', (qc) =>
      qc
        .selectFrom(
          probeHits(db, shape, cteRows(db, 'search_probe_rows'))
            .unionAll(probeHits(db, shape, cteRows(db, 'search_probe_rows_tail')))
            .as('search_probe_parts'),
        )
        .selectAll()
        .limit(sql.lit(SEARCH_PROBE_MATCHES) as never),
    )
    .with('search_hits_completed', () => windowHits(db, shape, 'search_window'))
    .with('search_hits', (qc) =>
      qc
        .selectFrom('search_hits_completed')
        .selectAll()
        .unionAll(windowHits(db, shape, 'search_window_tail').where(tailNeeded)),
    )
  return hitsUnlessLeft(ctes, db, shape, leftToFallback)
}

/** The page of a search's window: its hits in order, or none when `leftToFallback` says they cannot make it. */
function hitsUnlessLeft(
  ctes: QueryCreator<Database & { search_hits: Task }>,
  db: Kysely<Database>,
  shape: ListingShape,
  leftToFallback: RawBuilder<boolean>,
): Compilable<Task> {
  const hits = ctes.selectFrom('search_hits').selectAll().where(sql<boolean>`not ${leftToFallback}`)
  return ordered(shape, db.selectFrom(hits.as('page')).selectAll(), true).limit(placeholder<number>('limit'))
}

type SearchTable =
  | 'search_window'
  | 'search_window_tail'
  | 'search_probe_rows'
  | 'search_probe_rows_tail'
  | 'search_probe_hits'
  | 'search_hits_completed'
  | 'search_hits'

/** How many rows a common table expression of the search holds (read as far as that takes). */
function count(table: SearchTable) {
  return sql<number>`(select count(*) from ${sql.table(table)})`
}

/** Whether a search window holds the full {@link SEARCH_WINDOW} rows, so more rows may follow it unread. */
function windowFull(window: 'search_window' | 'search_window_tail') {
  return sql<boolean>`${count(window)} = ${sql.lit(SEARCH_WINDOW)}`
}

/**
 * A marker row for each match among `rows`, a part's first {@link SEARCH_PROBE}
 * rows. They are tasks under another name; the condition reads only their
 * title and description.
 */
function probeHits(db: Kysely<Database>, shape: ListingShape, rows: SelectQueryBuilder<any, any, Task>) {
  return db
    .selectFrom(rows.as('search_probe'))
    .select(sql.lit(1).as('hit'))
    .where((eb) => searchCondition(eb as never, shape.likeEscape))
}

/**
 * A window's first matches, as many as the page holds, in the window's
 * order: a CTE hands its rows on in the order it made them.
 */
function windowHits(db: Kysely<Database>, shape: ListingShape, window: 'search_window' | 'search_window_tail') {
  return cteRows(db, window)
    .where((eb) => searchCondition(eb as never, shape.likeEscape))
    .limit(placeholder<number>('limit'))
}

/**
 * A search's page when its window ({@link searchWindow}) answered no rows:
 * every match past the cursor, fetched at once and sorted. The term was
 * rare, or too few of the window's rows matched, so the matches are few
 * next to the user's tasks; the trigram index finds them. Which index
 * finds them best depends on the term, so this statement is never
 * prepared.
 */
export function buildSearchFallback(db: Kysely<Database>, shape: ListingShape): Compilable<Task> {
  const found = db
    .with(
      (cte) => cte('search_found').materialized(),
      () => searchFound(db, shape),
    )
    .selectFrom(searchFoundPastCursor(db, { ...shape, search: false }).as('page'))
    .selectAll()
  return ordered(shape, found, true).limit(placeholder<number>('limit'))
}

/** The cache key of {@link buildSearchFallback}'s statement for a shape, apart from every {@link shapeKey}. */
export function searchFallbackKey(shape: ListingShape): number {
  return shapeKey(shape) | SEARCH_FALLBACK_BIT
}
const SEARCH_FALLBACK_BIT = 1 << 12

/** The rows of a common table expression of the search, as tasks. */
function cteRows(
  db: Kysely<Database>,
  name: 'search_window' | 'search_window_tail' | 'search_probe_rows' | 'search_probe_rows_tail',
) {
  return db.selectFrom(sql<Task>`${sql.table(name)}`.as(name)).selectAll()
}

/**
 * The first {@link SEARCH_PROBE} rows of a part of the listing. One range is
 * read in order as far as its readers pull, so its window's first rows cost
 * no more than a range of the probe's own would, and plan faster. Merged
 * ranges are sorted whole: those get their own.
 */
function probeRows(
  db: Kysely<Database>,
  shape: ListingShape,
  ranges: readonly ListingRange[],
  window: 'search_window' | 'search_window_tail',
): SelectQueryBuilder<any, any, Task> {
  if (ranges.length > 1) return mergedRanges(db, shape, sql.lit(SEARCH_PROBE) as never, ranges, 'unplanned') as never
  return cteRows(db, window).limit(sql.lit(SEARCH_PROBE) as never)
}

/**
 * Only the user and the term, which the trigram index holds: no order, which would let the planner walk an
 * index in order instead, and no filter or cursor, which would let it read a B-tree range of the user's rows.
 */
function searchFound(db: Kysely<Database>, shape: ListingShape) {
  return db
    .selectFrom('tasks')
    .selectAll()
    .where('user_id', '=', placeholder<string>('userId'))
    .where((eb) => searchCondition(eb, shape.likeEscape))
}

/** The search's matches past the cursor, with the listing's filters, unordered: the page is sorted once, outside. */
function searchFoundPastCursor(db: Kysely<Database>, unsearched: ListingShape) {
  return orderedRange(db, unsearched, {}, undefined, 'search_found').clearOrderBy()
}

/** Orders rows of a listing, by their columns (`completed_at`) or by the task's keys (`completedAt`). */
function ordered<Q extends SelectQueryBuilder<any, any, any>>(shape: ListingShape, query: Q, byKey: boolean): Q {
  const column: any = byKey ? shape.sort : SORT_COLUMN[shape.sort]
  const direction = shape.order
  return query
    .orderBy(column, (ob) => {
      const inOrder = direction === 'asc' ? ob.asc() : ob.desc()
      return shape.sort === 'completedAt' ? inOrder.nullsLast() : inOrder
    })
    .orderBy('id', direction) as Q
}

/**
 * Whether the planner is told whose rows a range reads (`planned`), or only
 * that they are one user's (`unplanned`: the user comes from a subquery it
 * cannot see into). A search's window is bounded by its size for any user,
 * and planned for no user in particular its custom plans cost what its
 * generic plan does, so a prepared window goes generic after five calls
 * and is not planned again. Told the user, the planner expects a small
 * user's window to cost a little less than the average user's, and plans
 * every call anew.
 */
type Owner = 'planned' | 'unplanned'

/** The first `limit` rows of every range of the listing (or of the ranges given), in order. */
function mergedRanges(
  db: Kysely<Database>,
  shape: ListingShape,
  limit: number,
  ranges: readonly ListingRange[] = listingRanges(shape),
  owner: Owner = 'planned',
) {
  if (ranges.length === 1) return orderedRange(db, shape, ranges[0]!, limit, 'tasks', owner)
  const branches = ranges.map((range, i) =>
    db.selectFrom(orderedRange(db, shape, range, limit, 'tasks', owner).as(`r${i}`)).selectAll(),
  )
  const union = branches.slice(1).reduce((all, branch) => all.unionAll(branch), branches[0]!)
  return ordered(shape, db.selectFrom(union.as('page')).selectAll(), true).limit(limit)
}

/**
 * One range of a listing that an index reads in order: the filters the
 * index holds by equality (a filter's placeholder, or one value of a filter
 * the listing does not have), and for `completedAt`, which part of the
 * order it covers (the completed tasks, or the incomplete tail whose
 * `completed_at` is null).
 */
interface ListingRange {
  readonly completed?: boolean | 'bound'
  readonly priority?: number | 'bound'
  readonly part?: 'completed' | 'tail'
}

const PRIORITIES = [1, 2, 3, 4, 5] as const

/**
 * The ranges a user's listing merges. A filter on `completed` or `priority`
 * uses the `(user_id, completed, priority, <sort key>, id)` index, every
 * value of the other filter a range of its own; a priority sort without
 * filters uses it too, one range per value of `completed`. Other listings
 * without filters read `(user_id, <sort key>, id)`. An index in ascending
 * order holds `completed_at` neither descending with nulls last nor
 * ascending with nulls first, so a `completedAt` listing reads the
 * completed tasks and the null tail as two ranges (one of them when
 * `completed` is fixed, none of the first when the page starts in the tail).
 */
export function listingRanges(shape: ListingShape): ListingRange[] {
  const filtered = shape.completed || shape.priority || shape.sort === 'priority'
  const completedValues: Array<ListingRange['completed']> = shape.completed
    ? ['bound']
    : filtered
      ? [false, true]
      : [undefined]
  const priorityValues: Array<ListingRange['priority']> = shape.priority
    ? ['bound']
    : filtered && shape.sort !== 'priority'
      ? [...PRIORITIES]
      : [undefined]
  const ranges: ListingRange[] = []
  for (const completed of completedValues) {
    for (const priority of priorityValues) {
      if (shape.sort !== 'completedAt') {
        ranges.push({ completed, priority })
        continue
      }
      if (completed !== false && shape.after !== 'null') ranges.push({ completed, priority, part: 'completed' })
      if (completed !== true) ranges.push({ completed, priority, part: 'tail' })
    }
  }
  return ranges
}

/**
 * The tasks table's rows as tasks, or the search's matches under the
 * table's name, so the same conditions read them (raw, or the schema
 * plugin would qualify the name).
 */
function taskRows(db: Kysely<Database>, from: 'tasks' | 'search_found'): TaskQueryBuilder {
  if (from === 'tasks') return db.selectFrom('tasks').select(TASK_COLUMNS)
  return db.selectFrom(sql<Database['tasks']>`${sql.id(from)}`.as('tasks')).select(TASK_COLUMNS)
}

/** The listing's rows in one range, in order, limited to a page. */
function orderedRange(
  db: Kysely<Database>,
  shape: ListingShape,
  range: ListingRange,
  limit: number | undefined,
  from: 'tasks' | 'search_found' = 'tasks',
  owner: Owner = 'planned',
): SelectQueryBuilder<Database, 'tasks', Task> {
  const column = SORT_COLUMN[shape.sort]
  const before = shape.order === 'asc' ? '>' : '<'
  const nullable = shape.sort === 'completedAt'

  let query = taskRows(db, from)
  if (shape.byUser) {
    const userId = placeholder<string>('userId')
    query = query.where('user_id', '=', owner === 'planned' ? userId : sql<string>`(select ${userId})`)
  }
  query = filterEquals(query, 'completed', range.completed, shape.completed)
  if (range.priority === 'bound' && shape.sort === 'priority' && shape.orderedSubqueries) {
    // Equality would tell the planner the sort key is constant, leaving `id` as the order, which the primary
    // key also holds: walking it and skipping other users' tasks read 400,000 rows for a page. A range of
    // one value keeps the order on (priority, id), which only the filtered index holds.
    const value = placeholder<number>('priority')
    query = query.where('priority', '>=', value).where('priority', '<=', value)
  } else {
    query = filterEquals(query, 'priority', range.priority, shape.priority)
  }
  if (shape.search) query = query.where((eb) => searchCondition(eb, shape.likeEscape))
  if (range.part === 'completed') query = query.where(column, 'is not', null)
  if (range.part === 'tail') query = query.where(column, 'is', null)

  if (shape.after === 'value' && range.part !== 'tail') {
    query = query.where((eb) => {
      const pastValue = keysetCondition(eb, column, before, shape.rowComparison)
      // incomplete tasks (null completedAt) come after every completed one
      return nullable && range.part === undefined ? eb.or([pastValue, eb(column, 'is', null)]) : pastValue
    })
  } else if (shape.after === 'null') {
    query = query.where(column, 'is', null).where('id', before, placeholder<number>('afterId'))
  }

  const direction = shape.order
  // Within one part `completed_at` is all set or all null, so plain order is the index's order.
  query =
    nullable && range.part === undefined
      ? query.orderBy(column, (ob) => (direction === 'asc' ? ob.asc() : ob.desc()).nullsLast())
      : query.orderBy(column, direction)
  query = query.orderBy('id', direction)
  return limit === undefined ? query : query.limit(limit)
}

/**
 * Rows past `(afterValue, afterId)`. Postgres gets a row comparison,
 * `(col, id) < (v, i)`, which the `(user_id, col, id)` index bounds on
 * both columns and which plans in a tenth of the time of the spelled-out
 * form. pg-mem parses row comparisons but gets them wrong (it finds
 * `(2, 1) < (1, 2)` true), so it gets `col <= v and (col < v or id < i)`,
 * which means the same for a non-null `col`.
 */
type TaskQueryBuilder = SelectQueryBuilder<Database, 'tasks', Task>

/**
 * Narrows to `column = value`: a value the range fixes (`sql.lit`, so the
 * planner picks that range's index), the caller's bound filter (`'bound'`,
 * or `bound` with no range value), or no condition at all.
 */
function filterEquals(
  query: TaskQueryBuilder,
  column: 'completed' | 'priority',
  fixed: 'bound' | boolean | number | undefined,
  bound: boolean,
): TaskQueryBuilder {
  if (fixed === 'bound' || (fixed === undefined && bound)) return query.where(column, '=', placeholder<never>(column))
  return fixed === undefined ? query : query.where(column, '=', sql.lit(fixed) as never)
}

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
