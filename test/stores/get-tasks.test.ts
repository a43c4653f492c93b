import { expect, test } from 'vitest'
import type { Task, TaskQuery, TaskStore } from '../../src/index.js'
import { describeEachBackend } from '../support/backends.js'
import { expectCode, storeFixture } from '../support/fixtures.js'

/** Follows nextCursor to the end and returns every item in order. */
async function walk(tasks: TaskStore, userId: string, query: TaskQuery): Promise<Task[]> {
  const seen: Task[] = []
  let cursor: string | undefined
  for (let pages = 0; pages < 1000; pages++) {
    const page = await tasks.getTasks(userId, { ...query, cursor })
    seen.push(...page.items)
    if (!page.nextCursor) return seen
    expect(page.items).toHaveLength(query.limit ?? 50)
    cursor = page.nextCursor
  }
  throw new Error('pagination did not end')
}

describeEachBackend('getTasks', (context) => {
  test("returns only that user's tasks, newest first by default", async () => {
    const { tasks, alice, bob } = await storeFixture(context().db)
    const first = await tasks.createTask(alice.id, { title: 'first' })
    const second = await tasks.createTask(alice.id, { title: 'second' })
    await tasks.createTask(bob.id, { title: "bob's" })
    const page = await tasks.getTasks(alice.id)
    expect(page.items.map((task) => task.id)).toEqual([second.id, first.id])
    expect(page.nextCursor).toBeNull()
  })

  test('filters by completed and by priority', async () => {
    const { tasks, alice } = await storeFixture(context().db)
    const open = await tasks.createTask(alice.id, { title: 'open', priority: 1 })
    const done = await tasks.createTask(alice.id, { title: 'done', completed: true, priority: 1 })
    await tasks.createTask(alice.id, { title: 'other', priority: 4 })
    expect((await tasks.getTasks(alice.id, { completed: true })).items.map((t) => t.id)).toEqual([done.id])
    expect((await tasks.getTasks(alice.id, { completed: false, priority: 1 })).items.map((t) => t.id)).toEqual([
      open.id,
    ])
  })

  test('search matches title or description case-insensitively, with % and _ taken literally', async () => {
    const { tasks, alice, bob } = await storeFixture(context().db)
    const a = await tasks.createTask(alice.id, { title: 'Save 50% now' })
    const b = await tasks.createTask(alice.id, { title: 'plain', description: 'snake_case NAME' })
    await tasks.createTask(alice.id, { title: 'Save 500 now' })
    await tasks.createTask(alice.id, { title: 'snakeXcase' })
    const c = await tasks.createTask(alice.id, { title: 'back\\slash' })
    await tasks.createTask(bob.id, { title: 'Save 50% too' })
    const ids = async (search: string) => (await tasks.getTasks(alice.id, { search })).items.map((t) => t.id).sort()
    expect(await ids('50%')).toEqual([a.id])
    expect(await ids('SNAKE_')).toEqual([b.id])
    expect(await ids('name')).toEqual([b.id])
    expect(await ids('k\\s')).toEqual([c.id])
    expect(await ids('%')).toEqual([a.id])
    expect(await ids('nothing here')).toEqual([])
  })

  for (const sort of ['createdAt', 'updatedAt', 'priority', 'title', 'completedAt'] as const) {
    for (const order of ['asc', 'desc'] as const) {
      test(`pages through every task exactly once sorted by ${sort} ${order}`, async () => {
        const { tasks, alice, bob } = await storeFixture(context().db)
        for (let i = 0; i < 23; i++) {
          await tasks.createTask(alice.id, {
            title: `task ${String.fromCharCode(97 + (i % 5))}`,
            priority: (i % 3) + 1,
            completed: i % 4 === 0,
          })
        }
        await tasks.createTask(bob.id, { title: 'not yours' })
        const seen = await walk(tasks, alice.id, { sort, order, limit: 4 })
        expect(seen).toHaveLength(23)
        expect(new Set(seen.map((t) => t.id)).size).toBe(23)
        expect(seen.every((t) => t.userId === alice.id)).toBe(true)
        const key = (t: Task) => t[sort]
        for (let i = 1; i < seen.length; i++) {
          const [prev, next] = [seen[i - 1]!, seen[i]!]
          const a = key(prev)
          const b = key(next)
          if (sort === 'completedAt' && (a === null || b === null)) {
            // incomplete tasks come last in either order, ties by id
            expect(a === null && b !== null).toBe(false)
            if (a === null && b === null) expect(order === 'asc' ? prev.id < next.id : prev.id > next.id).toBe(true)
            continue
          }
          const cmp = a! < b! ? -1 : a! > b! ? 1 : 0
          if (sort === 'title') {
            // collation-dependent: only check ties are ordered by id
            if (a === b) expect(order === 'asc' ? prev.id < next.id : prev.id > next.id).toBe(true)
            continue
          }
          if (cmp === 0) expect(order === 'asc' ? prev.id < next.id : prev.id > next.id).toBe(true)
          else expect(order === 'asc' ? cmp < 0 : cmp > 0).toBe(true)
        }
      })
    }
  }

  test('visits every task exactly once while tasks are added and deleted between pages', async () => {
    const { tasks, alice } = await storeFixture(context().db)
    const original: Task[] = []
    for (let i = 0; i < 12; i++) original.push(await tasks.createTask(alice.id, { title: `t${i}` }))
    const first = await tasks.getTasks(alice.id, { limit: 5 })
    // a new task sorts before the cursor (newest first); a deleted one is gone
    await tasks.createTask(alice.id, { title: 'late arrival' })
    const deleted = original[2]!
    await tasks.deleteTask(alice.id, deleted.id)
    const rest = [...first.items]
    let cursor = first.nextCursor
    while (cursor) {
      const page = await tasks.getTasks(alice.id, { limit: 5, cursor })
      rest.push(...page.items)
      cursor = page.nextCursor
    }
    const ids = rest.map((t) => t.id)
    expect(new Set(ids).size).toBe(ids.length)
    const expected = original.filter((t) => t.id !== deleted.id).map((t) => t.id)
    expect([...ids].sort((x, y) => x - y)).toEqual(expected)
  })

  test('limit defaults to 50 and must be 1–100', async () => {
    const { tasks, alice } = await storeFixture(context().db)
    for (let i = 0; i < 51; i++) await tasks.createTask(alice.id, { title: `t${i}` })
    const page = await tasks.getTasks(alice.id)
    expect(page.items).toHaveLength(50)
    expect(page.nextCursor).not.toBeNull()
    for (const limit of [0, 101, 1.5, -1, '10']) {
      await expectCode(tasks.getTasks(alice.id, { limit: limit as never }), 'validation')
    }
  })

  test('a forged, altered or foreign cursor is ValidationError', async () => {
    const { tasks, alice, bob } = await storeFixture(context().db)
    for (let i = 0; i < 3; i++) await tasks.createTask(alice.id, { title: `t${i}`, priority: i + 1 })
    for (let i = 0; i < 3; i++) await tasks.createTask(bob.id, { title: `b${i}` })
    const { nextCursor } = await tasks.getTasks(alice.id, { limit: 1 })
    expect(nextCursor).toBeTruthy()
    const cursor = nextCursor!
    const altered = `${cursor.slice(0, -3)}${cursor.endsWith('A') ? 'B' : 'A'}${cursor.slice(-2)}`
    for (const bad of ['', 'garbage', altered, Buffer.from('[1,2]').toString('base64url')]) {
      await expectCode(tasks.getTasks(alice.id, { limit: 1, cursor: bad }), 'validation')
    }
    await expectCode(tasks.getTasks(alice.id, { limit: 1, cursor, sort: 'priority' }), 'validation')
    await expectCode(tasks.getTasks(alice.id, { limit: 1, cursor, order: 'asc' }), 'validation')
    await expectCode(tasks.getTasks(alice.id, { limit: 1, cursor, completed: false }), 'validation')
    await expectCode(tasks.getTasks(bob.id, { limit: 1, cursor }), 'validation')
    expect((await tasks.getTasks(alice.id, { limit: 1, cursor })).items).toHaveLength(1)
  })

  test('unknown query keys and bad values are ValidationError', async () => {
    const { tasks, alice } = await storeFixture(context().db)
    for (const query of [
      { sort: 'id' },
      { order: 'up' },
      { completed: 'true' },
      { priority: 7 },
      { userId: alice.id },
      { search: 'a\u0000' },
    ]) {
      await expectCode(tasks.getTasks(alice.id, query as never), 'validation')
    }
  })
})
