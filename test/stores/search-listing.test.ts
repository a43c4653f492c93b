import { sql } from 'kysely'
import { expect, test } from 'vitest'
import type { Task, TaskQuery, TaskStore } from '../../src/index.js'
import { SEARCH_WINDOW } from '../../src/stores/task-listing.js'
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
      const terms: Array<{
        search: string
        limits: number[]
        matching: RegExp
        count: number
        filters: TaskQuery[]
      }> = [
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
        const matches = all.filter((task) => term.matching.test(`${task.title} ${task.description ?? ''}`))
        expect(matches).toHaveLength(term.count)
        for (const sort of ['createdAt', 'updatedAt', 'priority', 'title', 'completedAt'] as const) {
          for (const order of ['asc', 'desc'] as const) {
            const expected = (await walk(tasks, alice.id, { sort, order, limit: 100 })).filter((task) =>
              matches.some((match) => match.id === task.id),
            )
            for (const filter of term.filters) {
              const matching = expected.filter(
                (task) =>
                  (filter.completed === undefined || task.completed === filter.completed) &&
                  (filter.priority === undefined || task.priority === filter.priority),
              )
              for (const limit of term.limits) {
                const found = await walk(tasks, alice.id, { ...filter, sort, order, search: term.search, limit })
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
    })
  },
  { only: WINDOWED },
)
