import { expect, test } from 'vitest'
import { describeEachBackend } from '../support/backends.js'
import { allTaskRows, expectCode, storeFixture } from '../support/fixtures.js'

describeEachBackend('updateTask', (context) => {
  test('changes only the given fields and moves updatedAt forward', async () => {
    const { tasks, alice } = await storeFixture(context().db)
    const task = await tasks.createTask(alice.id, { title: 'Draft', description: 'first', priority: 2 })
    const updated = await tasks.updateTask(alice.id, task.id, { title: '  Final  ' })
    expect(updated).toMatchObject({ id: task.id, title: 'Final', description: 'first', priority: 2, completed: false })
    expect(updated.createdAt).toEqual(task.createdAt)
    expect(updated.updatedAt.getTime()).toBeGreaterThan(task.updatedAt.getTime())
  })

  test('description: null clears the description', async () => {
    const { tasks, alice } = await storeFixture(context().db)
    const task = await tasks.createTask(alice.id, { title: 't', description: 'something' })
    expect((await tasks.updateTask(alice.id, task.id, { description: null })).description).toBeNull()
  })

  test('completing sets completedAt; completing again keeps it; reopening clears it', async () => {
    const { tasks, alice } = await storeFixture(context().db)
    const task = await tasks.createTask(alice.id, { title: 't' })
    const done = await tasks.updateTask(alice.id, task.id, { completed: true })
    expect(done.completed).toBe(true)
    expect(done.completedAt).toBeInstanceOf(Date)
    const again = await tasks.updateTask(alice.id, task.id, { completed: true, priority: 5 })
    expect(again.completedAt).toEqual(done.completedAt)
    const untouched = await tasks.updateTask(alice.id, task.id, { title: 'renamed' })
    expect(untouched.completedAt).toEqual(done.completedAt)
    const reopened = await tasks.updateTask(alice.id, task.id, { completed: false })
    expect(reopened).toMatchObject({ completed: false, completedAt: null })
  })

  test('an empty patch, unknown keys and bad values are ValidationError and change nothing', async () => {
    const { db, tasks, alice } = await storeFixture(context().db)
    const task = await tasks.createTask(alice.id, { title: 't' })
    const before = await allTaskRows(db)
    const bad: unknown[] = [
      {},
      { title: undefined },
      { titel: 'typo' },
      { title: 'ok', userId: 'someone-else' },
      { id: 5 },
      { title: '  ' },
      { priority: 9 },
      { completed: 1 },
      { description: 'x'.repeat(1001) },
      null,
      [],
    ]
    for (const patch of bad) {
      await expectCode(tasks.updateTask(alice.id, task.id, patch as never), 'validation')
    }
    expect(await allTaskRows(db)).toEqual(before)
  })

  test("another user's task is ForbiddenError and stays unchanged", async () => {
    const { db, tasks, alice, bob } = await storeFixture(context().db)
    const task = await tasks.createTask(alice.id, { title: 'mine' })
    const before = await allTaskRows(db)
    await expectCode(tasks.updateTask(bob.id, task.id, { title: 'stolen' }), 'forbidden')
    expect(await allTaskRows(db)).toEqual(before)
  })

  test('a missing task is NotFoundError', async () => {
    const { tasks, alice } = await storeFixture(context().db)
    await expectCode(tasks.updateTask(alice.id, 424242, { title: 'x' }), 'not_found')
  })
})
