import fc from 'fast-check'
import { expect, test } from 'vitest'
import type { Task } from '../../src/index.js'
import { describeEachBackend } from '../support/backends.js'
import { storeFixture } from '../support/fixtures.js'

const SORTS = ['createdAt', 'updatedAt', 'priority', 'title', 'completedAt'] as const

describeEachBackend('pagination property', (context) => {
  test('for random data, every sort and order visits every matching task exactly once, in order', async () => {
    const { db, tasks, alice, bob } = await storeFixture(context().db)
    const runs = context().backend === 'memory' ? 15 : 60
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            title: fc.constantFrom('a', 'b', 'B', 'c d', 'é', '10', '9'),
            priority: fc.integer({ min: 1, max: 5 }),
            completed: fc.boolean(),
            toggles: fc.nat(2),
          }),
          { maxLength: 30 },
        ),
        fc.constantFrom(...SORTS),
        fc.constantFrom('asc' as const, 'desc' as const),
        fc.integer({ min: 1, max: 7 }),
        fc.option(fc.boolean(), { nil: undefined }),
        async (rows, sort, order, limit, completed) => {
          await db.deleteFrom('tasks').execute()
          await tasks.createTask(bob.id, { title: 'noise', completed: true })
          const created: Task[] = []
          for (const { toggles, ...row } of rows) {
            let task = await tasks.createTask(alice.id, row)
            for (let i = 0; i < toggles; i++) task = await tasks.toggleComplete(alice.id, task.id)
            created.push(task)
          }
          const seen: Task[] = []
          let cursor: string | undefined
          for (let guard = 0; guard <= rows.length + 1; guard++) {
            const page = await tasks.getTasks(alice.id, { sort, order, limit, completed, cursor })
            seen.push(...page.items)
            if (!page.nextCursor) break
            cursor = page.nextCursor
          }
          const expectedIds = created
            .filter((t) => completed === undefined || t.completed === completed)
            .map((t) => t.id)
          expect([...seen.map((t) => t.id)].sort((a, b) => a - b)).toEqual(expectedIds.sort((a, b) => a - b))
          // same order as the database's own ORDER BY over the whole set
          const direction = order
          const column = {
            createdAt: 'created_at',
            updatedAt: 'updated_at',
            priority: 'priority',
            title: 'title',
            completedAt: 'completed_at',
          }[sort]
          let query = db.selectFrom('tasks').select('id').where('user_id', '=', alice.id)
          if (completed !== undefined) query = query.where('completed', '=', completed)
          const ordered = await query
            .orderBy(column as 'title', (ob) => (direction === 'asc' ? ob.asc() : ob.desc()).nullsLast())
            .orderBy('id', direction)
            .execute()
          expect(seen.map((t) => t.id)).toEqual(ordered.map((r) => r.id))
        },
      ),
      { numRuns: runs },
    )
  }, 300_000)
})
