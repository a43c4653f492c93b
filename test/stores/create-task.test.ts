import { expect, test } from 'vitest'
import { describeEachBackend } from '../support/backends.js'
import { allTaskRows, expectCode, storeFixture } from '../support/fixtures.js'

describeEachBackend('createTask', (context) => {
  test('inserts a task with defaults and returns it', async () => {
    const { tasks, alice } = await storeFixture(context().db)
    const task = await tasks.createTask(alice.id, { title: '  Buy milk  ' })
    expect(task).toMatchObject({
      userId: alice.id,
      title: 'Buy milk',
      description: null,
      completed: false,
      completedAt: null,
      priority: 3,
    })
    expect(Number.isInteger(task.id)).toBe(true)
    expect(task.createdAt).toBeInstanceOf(Date)
    expect(task.updatedAt.getTime()).toBeGreaterThanOrEqual(task.createdAt.getTime())
  })

  test('a task created complete gets completedAt from the database', async () => {
    const { tasks, alice } = await storeFixture(context().db)
    const before = Date.now() - 5_000
    const task = await tasks.createTask(alice.id, {
      title: 'Done already',
      completed: true,
      priority: 1,
      description: 'x',
    })
    expect(task.completed).toBe(true)
    expect(task.completedAt).toBeInstanceOf(Date)
    expect(task.completedAt!.getTime()).toBeGreaterThan(before)
    expect(task).toMatchObject({ priority: 1, description: 'x' })
  })

  test('counts title length in code points: 200 emoji fit, 201 do not', async () => {
    const { db, tasks, alice } = await storeFixture(context().db)
    const ok = await tasks.createTask(alice.id, { title: '😀'.repeat(200) })
    expect([...ok.title]).toHaveLength(200)
    const error = await expectCode(tasks.createTask(alice.id, { title: '😀'.repeat(201) }), 'validation')
    expect(error).toMatchObject({ issues: [{ path: ['title'] }] })
    expect(await allTaskRows(db)).toHaveLength(1)
  })

  test('rejects whitespace-only titles, long descriptions, NUL and bad priorities without writing', async () => {
    const { db, tasks, alice } = await storeFixture(context().db)
    const bad: unknown[] = [
      { title: '   \t ' },
      { title: '' },
      { title: 'ok', description: 'x'.repeat(1001) },
      { title: 'nul \u0000 inside' },
      { title: 'ok', description: 'nul \u0000' },
      { title: 'ok', priority: 0 },
      { title: 'ok', priority: 6 },
      { title: 'ok', priority: 2.5 },
      { title: 'ok', priority: '2' },
      { title: 'ok', completed: 'yes' },
      { title: 'ok', unknown: 1 },
      { title: 42 },
      null,
      'a title',
    ]
    for (const input of bad) {
      await expectCode(tasks.createTask(alice.id, input as never), 'validation')
    }
    expect(await allTaskRows(db)).toHaveLength(0)
  })

  test('a description of exactly 1000 characters is accepted', async () => {
    const { tasks, alice } = await storeFixture(context().db)
    const task = await tasks.createTask(alice.id, { title: 't', description: 'é'.repeat(1000) })
    expect(task.description).toHaveLength(1000)
  })

  test('rejects a userId that is empty, too long or not a string', async () => {
    const { tasks } = await storeFixture(context().db)
    for (const userId of ['', 'x'.repeat(37), 42, null, 'nul\u0000']) {
      await expectCode(tasks.createTask(userId as never, { title: 't' }), 'validation')
    }
  })

  test('a task for a user that does not exist is NotFoundError', async () => {
    const { db, tasks } = await storeFixture(context().db)
    const error = await expectCode(tasks.createTask('no-such-user', { title: 't' }), 'not_found')
    expect(error.message).toContain('no-such-user')
    expect(await allTaskRows(db)).toHaveLength(0)
  })
})
