import { sql } from 'kysely'
import { expect, test } from 'vitest'
import type { Task, TaskQuery, TaskStore } from '../../src/index.js'
import { SEARCH_PROBE, SEARCH_WINDOW } from '../../src/stores/task-listing.js'
import { describeEachBackend } from '../support/backends.js'
import { storeFixture } from '../support/fixtures.js'

async function walk(tasks: TaskStore, userId: string, query: TaskQuery): Promise<Task[]> {
  const seen: Task[] = []
  let cursor: string | undefined
  for (let pages = 0; pages < 100; pages++) {
    const page = await tasks.getTasks(userId, { ...query, cursor })
    seen.push(...page.items)
    if (!page.nextCursor) return seen
    cursor = page.nextCursor
  }
  throw new Error('pagination did not end')
}

const FILLERS = SEARCH_WINDOW + 500
/** Enough that a user's completed tasks (half of them) outnumber a search window. */
const COMPLETED_HEAVY = 2 * SEARCH_WINDOW + 500

interface SearchTerm {
  readonly search: string
  readonly limits: readonly number[]
  readonly matching: RegExp
  readonly count: number
  readonly filters: readonly TaskQuery[]
}

/**
 * Walks the term's search in every sort given, both orders, each filter and
 * page size, and expects exactly the matching tasks of the unsearched
 * listing, in its order.
 */
async function expectSearchWalks(
  tasks: TaskStore,
  userId: string,
  all: readonly Task[],
  term: SearchTerm,
  sorts: ReadonlyArray<NonNullable<TaskQuery['sort']>>,
): Promise<void> {
  const matches = all.filter((task) => term.matching.test(`${task.title} ${task.description ?? ''}`))
  expect(matches).toHaveLength(term.count)
  for (const sort of sorts) {
    for (const order of ['asc', 'desc'] as const) {
      const expected = (await walk(tasks, userId, { sort, order, limit: 100 })).filter((task) =>
        matches.some((match) => match.id === task.id),
      )
      for (const filter of term.filters) {
        const matching = expected.filter(
          (task) =>
            (filter.completed === undefined || task.completed === filter.completed) &&
            (filter.priority === undefined || task.priority === filter.priority),
        )
        for (const limit of term.limits) {
          const found = await walk(tasks, userId, { ...filter, sort, order, search: term.search, limit })
          expect({ sort, order, filter, limit, ids: found.map((task) => task.id) }).toEqual({
            sort,
            order,
            filter,
            limit,
            ids: matching.map((task) => task.id),
          })
        }
      }
    }
  }
}

// pg-mem lists with a plain filtered query (no window to read past) and cannot run the bulk insert below.
const WINDOWED = ['embedded', 'postgres', 'pgbouncer', 'neon'] as const

describeEachBackend(
  'search past the rows read in order',
  (context) => {
    test('a term rare, sparse or common in the first rows finds every match, in order, across pages', async () => {
      const { db, schema } = context()
      const { tasks, alice } = await storeFixture(db)
      // "needle": four matches, near the start, in the middle and past the first window of rows, in every sort's
      // order. "hay": one row in twenty, enough to pass the first rows' test but too few to fill a page of 100
      // in the window, so that page is looked up past it; pages of 60 fill in the window.
      await sql`
      insert into ${sql.id(schema, 'tasks')} (user_id, title, description, priority, completed, completed_at, created_at, updated_at)
      select ${alice.id}, case when g in (7, ${FILLERS / 2}, ${FILLERS - 3}) then 'Find the Needle ' || g else 'filler ' || g end,
             case when g = ${FILLERS - 300} then 'a needle here' when g % 20 = 11 then 'some Hay in it' end, 1 + g % 5, g % 2 = 0,
             case when g % 2 = 0 then timestamptz '2024-01-01' + g * interval '1 minute' end,
             timestamptz '2023-01-01' + g * interval '1 minute', timestamptz '2023-06-01' + g * interval '1 minute'
      from generate_series(1, ${FILLERS}) g`.execute(db)
      const all = await walk(tasks, alice.id, { limit: 100 })
      expect(all).toHaveLength(FILLERS)
      const terms: SearchTerm[] = [
        {
          search: 'NEEDLE',
          limits: [1],
          matching: /needle/i,
          count: 4,
          filters: [{}, { completed: true }, { priority: 3 }],
        },
        // every hay row is incomplete with priority 2
        { search: 'hay', limits: [60, 100], matching: /hay/i, count: FILLERS / 20, filters: [{}, { priority: 2 }] },
      ]
      for (const term of terms) {
        await expectSearchWalks(tasks, alice.id, all, term, [
          'createdAt',
          'updatedAt',
          'priority',
          'title',
          'completedAt',
        ])
      }
    })

    test('a completedAt search whose completed tasks fill the window reads past it, into the null tail', async () => {
      const { db, schema } = context()
      const { tasks, bob } = await storeFixture(db)
      // More completed tasks (every even g) than a window holds. "straw" is only in the tail, "chaff" only among
      // the completed (one in ten of them), "grain" in both (one in 25 of each): the completed part's window is
      // full before a page of them is, or fills it, or ends before the tail's rows are reached.
      await sql`
      insert into ${sql.id(schema, 'tasks')} (user_id, title, description, priority, completed, completed_at, created_at, updated_at)
      select ${bob.id}, 'row ' || g,
             nullif(concat_ws(' ', case when g % 20 = 11 then 'straw' when g % 20 = 10 then 'chaff' end,
               case when g % 50 in (0, 25) then 'grain' end), ''),
             1 + g % 5, g % 2 = 0, case when g % 2 = 0 then timestamptz '2024-01-01' - g * interval '1 minute' end,
             timestamptz '2023-01-01' + g * interval '1 minute', timestamptz '2023-06-01' + g * interval '1 minute'
      from generate_series(1, ${COMPLETED_HEAVY}) g`.execute(db)
      const all = await walk(tasks, bob.id, { limit: 100 })
      expect(all).toHaveLength(COMPLETED_HEAVY)
      const filters: TaskQuery[] = [{}, { completed: true }, { completed: false }, { priority: 1 }]
      const terms: SearchTerm[] = [
        { search: 'straw', limits: [60], matching: /straw/, count: COMPLETED_HEAVY / 20, filters },
        { search: 'chaff', limits: [60, 100], matching: /chaff/, count: COMPLETED_HEAVY / 20, filters },
        { search: 'grain', limits: [100], matching: /grain/, count: (COMPLETED_HEAVY / 50) * 2, filters },
      ]
      for (const term of terms) await expectSearchWalks(tasks, bob.id, all, term, ['completedAt'])
    })

    test('a completedAt search whose completed part ends at, just before or just past a probe or window', async () => {
      const { db, schema } = context()
      const { tasks, users } = await storeFixture(db)
      const tail = 100
      // A part of exactly SEARCH_WINDOW rows fills its window with nothing after it; one row fewer or more sits on
      // either side of the test that decides whether the tail is read, and SEARCH_PROBE rows on the probe's.
      for (const completed of [SEARCH_PROBE, SEARCH_WINDOW - 1, SEARCH_WINDOW, SEARCH_WINDOW + 1]) {
        const owner = await users.createUser({ email: `edge${completed}@example.com` })
        // g ≤ completed are completed tasks, the rest the tail: "straw" only in the tail (one in 20), "chaff" only
        // among the completed (one in ten), "grain" in both (one in 25). "husk" is in the completed part's first and
        // last ten rows, so one lies past a window of SEARCH_WINDOW + 1 rows in either order while the window holds
        // too few for a page of 25, and in one in ten of the tail, enough to make up that page.
        await sql`
        insert into ${sql.id(schema, 'tasks')} (user_id, title, description, priority, completed, completed_at, created_at, updated_at)
        select ${owner.id}, 'row ' || g,
               nullif(concat_ws(' ', case when g > ${completed} and g % 20 = 7 then 'straw'
                                          when g <= ${completed} and g % 10 = 3 then 'chaff' end,
                 case when g % 25 = 4 then 'grain' end,
                 case when g <= 10 or g between ${completed - 9} and ${completed} or (g > ${completed} and g % 10 = 5)
                   then 'husk' end), ''),
               1 + g % 5, g <= ${completed},
               case when g <= ${completed} then timestamptz '2024-01-01' - g * interval '1 minute' end,
               timestamptz '2023-01-01' + g * interval '1 minute', timestamptz '2023-06-01' + g * interval '1 minute'
        from generate_series(1, ${completed + tail}) g`.execute(db)
        const all = await walk(tasks, owner.id, { limit: 100 })
        expect(all.filter((task) => task.completed)).toHaveLength(completed)
        const filters: TaskQuery[] = [{}, { completed: true }, { completed: false }]
        const count = (matches: (g: number) => boolean) =>
          Array.from({ length: completed + tail }, (_, k) => k + 1).filter(matches).length
        const terms: SearchTerm[] = [
          {
            search: 'straw',
            limits: [3],
            matching: /straw/,
            count: count((g) => g > completed && g % 20 === 7),
            filters,
          },
          {
            search: 'chaff',
            limits: [60],
            matching: /chaff/,
            count: count((g) => g <= completed && g % 10 === 3),
            filters,
          },
          { search: 'grain', limits: [25], matching: /grain/, count: count((g) => g % 25 === 4), filters },
          {
            search: 'husk',
            limits: [25],
            matching: /husk/,
            count: count((g) => g <= 10 || (g > completed - 10 && g <= completed) || (g > completed && g % 10 === 5)),
            filters,
          },
        ]
        for (const term of terms) await expectSearchWalks(tasks, owner.id, all, term, ['completedAt'])
      }
    })
  },
  { only: WINDOWED },
)
