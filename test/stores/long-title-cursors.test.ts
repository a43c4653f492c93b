import { expect, test } from 'vitest'
import type { TaskSort } from '../../src/index.js'
import { SORT_COLUMN } from '../../src/stores/task-columns.js'
import { MAX_CURSOR_LENGTH } from '../../src/validation/index.js'
import { describeEachBackend } from '../support/backends.js'
import { storeFixture } from '../support/fixtures.js'

const SORTS: readonly TaskSort[] = ['title', 'createdAt', 'updatedAt', 'completedAt', 'priority']
// Characters that escape badly in a URL, JSON, HTML or SQL, and ones that
// take three or four bytes of UTF-8 (combining, bidi, BOM, U+FFFF-adjacent).
const BADLY_ESCAPING = [
  '%',
  '+',
  '/',
  '=',
  '?',
  '#',
  '&',
  '"',
  '\\',
  "'",
  '<',
  '.',
  '\t',
  '\u2028',
  '\u202e',
  '\ufeff',
  '\ufffd',
  '\u0301',
  '\u{1f4a9}',
  '\u{e0001}',
  '\u{10ffff}',
]
const longest = (units: readonly string[]) => Array.from({ length: 200 }, (_, i) => units[i % units.length]).join('')

// The longest valid titles: 200 code points, most of them four bytes of UTF-8.
const LONG_TITLES = [
  '\u{1f600}'.repeat(200),
  '\u{1f600}'.repeat(200), // a tie, broken by id, across a page boundary
  '\u{10ffff}'.repeat(200),
  longest(BADLY_ESCAPING),
  longest([...BADLY_ESCAPING].reverse()),
  `a${'\u{1f469}\u200d\u{1f4bb}'.repeat(66)}`,
]

describeEachBackend('cursors after the longest titles', (context) => {
  test('every sort and order pages through 200-character titles of four-byte and badly escaping characters', async () => {
    const { db, tasks, alice } = await storeFixture(context().db)
    for (const [index, title] of [...LONG_TITLES, 'short', 'zz'].entries()) {
      expect([...title].length).toBeLessThanOrEqual(200)
      const task = await tasks.createTask(alice.id, { title, priority: (index % 3) + 1, completed: index % 2 === 0 })
      expect(task.title).toBe(title)
    }

    for (const sort of SORTS) {
      for (const order of ['asc', 'desc'] as const) {
        const expected = await db
          .selectFrom('tasks')
          .select('id')
          .where('user_id', '=', alice.id)
          .orderBy(SORT_COLUMN[sort], (ob) => (order === 'asc' ? ob.asc() : ob.desc()).nullsLast())
          .orderBy('id', order)
          .execute()
        const seen: number[] = []
        const cursors: string[] = []
        let cursor: string | undefined
        for (let page = 0; page <= expected.length; page++) {
          // every page ends on one task, so in title order every cursor carries a long title
          const result = await tasks.getTasks(alice.id, { sort, order, limit: 1, cursor })
          seen.push(...result.items.map((task) => task.id))
          if (!result.nextCursor) break
          cursor = result.nextCursor
          cursors.push(cursor)
        }
        expect(seen, `${sort} ${order}`).toEqual(expected.map((row) => row.id))
        for (const made of cursors) expect(made.length).toBeLessThanOrEqual(MAX_CURSOR_LENGTH)
        if (sort === 'title') expect(Math.max(...cursors.map((made) => made.length))).toBeGreaterThan(1_000)
      }
    }
  })
})
