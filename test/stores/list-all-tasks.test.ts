import { expect, test } from 'vitest'
import { describeEachBackend } from '../support/backends.js'
import { expectCode, storeFixture } from '../support/fixtures.js'

describeEachBackend('listAllTasks', (context) => {
  test("lists every user's tasks, or one user's with query.userId", async () => {
    const { tasks, alice, bob } = await storeFixture(context().db)
    const a = await tasks.createTask(alice.id, { title: 'a' })
    const b = await tasks.createTask(bob.id, { title: 'b' })
    expect((await tasks.listAllTasks()).items.map((t) => t.id)).toEqual([b.id, a.id])
    expect((await tasks.listAllTasks({ userId: bob.id })).items.map((t) => t.id)).toEqual([b.id])
  })

  test('pages across users with a cursor bound to the listing', async () => {
    const { tasks, alice, bob } = await storeFixture(context().db)
    for (let i = 0; i < 5; i++) {
      await tasks.createTask(alice.id, { title: `a${i}` })
      await tasks.createTask(bob.id, { title: `b${i}` })
    }
    const ids: number[] = []
    let cursor: string | undefined
    do {
      const page = await tasks.listAllTasks({ limit: 3, sort: 'title', order: 'asc', cursor })
      ids.push(...page.items.map((t) => t.id))
      cursor = page.nextCursor ?? undefined
    } while (cursor)
    expect(new Set(ids).size).toBe(10)
    const first = await tasks.listAllTasks({ limit: 3 })
    await expectCode(tasks.getTasks(alice.id, { limit: 3, cursor: first.nextCursor! }), 'validation')
    await expectCode(tasks.listAllTasks({ userId: '' }), 'validation')
  })
})
