import { expect, test } from 'vitest'
import { describeEachBackend } from '../support/backends.js'
import { allTaskRows, expectCode, storeFixture } from '../support/fixtures.js'

describeEachBackend('deleteTask', (context) => {
  test('deletes the task and returns it as it was', async () => {
    const { db, tasks, alice } = await storeFixture(context().db)
    const task = await tasks.createTask(alice.id, { title: 'gone soon' })
    const keep = await tasks.createTask(alice.id, { title: 'stays' })
    expect(await tasks.deleteTask(alice.id, task.id)).toEqual(task)
    expect((await allTaskRows(db)).map((row) => row.id)).toEqual([keep.id])
    await expectCode(tasks.getTask(alice.id, task.id), 'not_found')
  })

  test("another user's task is ForbiddenError and is not deleted", async () => {
    const { tasks, alice, bob } = await storeFixture(context().db)
    const task = await tasks.createTask(alice.id, { title: 'mine' })
    await expectCode(tasks.deleteTask(bob.id, task.id), 'forbidden')
    expect(await tasks.getTask(alice.id, task.id)).toEqual(task)
  })

  test('deleting twice is NotFoundError the second time', async () => {
    const { tasks, alice } = await storeFixture(context().db)
    const task = await tasks.createTask(alice.id, { title: 't' })
    await tasks.deleteTask(alice.id, task.id)
    await expectCode(tasks.deleteTask(alice.id, task.id), 'not_found')
  })
})
