import { expect, test } from 'vitest'
import { describeEachBackend } from '../support/backends.js'
import { allTaskRows, expectCode, storeFixture } from '../support/fixtures.js'

describeEachBackend('toggleComplete', (context) => {
  test('flips completed and completedAt, returning the task after the flip', async () => {
    const { tasks, alice } = await storeFixture(context().db)
    const task = await tasks.createTask(alice.id, { title: 't' })
    const done = await tasks.toggleComplete(alice.id, task.id)
    expect(done).toMatchObject({ id: task.id, completed: true })
    expect(done.completedAt).toBeInstanceOf(Date)
    expect(done.updatedAt.getTime()).toBeGreaterThan(task.updatedAt.getTime())
    const reopened = await tasks.toggleComplete(alice.id, task.id)
    expect(reopened).toMatchObject({ completed: false, completedAt: null })
    expect(reopened.updatedAt.getTime()).toBeGreaterThan(done.updatedAt.getTime())
    expect(reopened.createdAt).toEqual(task.createdAt)
  })

  test('n sequential toggles leave the task flipped n times', async () => {
    const { tasks, alice } = await storeFixture(context().db)
    const task = await tasks.createTask(alice.id, { title: 't' })
    for (let i = 0; i < 7; i++) await tasks.toggleComplete(alice.id, task.id)
    expect((await tasks.getTask(alice.id, task.id)).completed).toBe(true)
  })

  test("another user's task is ForbiddenError and is not flipped", async () => {
    const { db, tasks, alice, bob } = await storeFixture(context().db)
    const task = await tasks.createTask(alice.id, { title: 't' })
    const before = await allTaskRows(db)
    await expectCode(tasks.toggleComplete(bob.id, task.id), 'forbidden')
    expect(await allTaskRows(db)).toEqual(before)
  })

  test('a missing task is NotFoundError; a bad id is ValidationError', async () => {
    const { tasks, alice } = await storeFixture(context().db)
    await expectCode(tasks.toggleComplete(alice.id, 77777), 'not_found')
    await expectCode(tasks.toggleComplete(alice.id, -1), 'validation')
  })
})
