import { expect, test } from 'vitest'
import { describeEachBackend } from '../support/backends.js'
import { expectCode, storeFixture } from '../support/fixtures.js'

describeEachBackend('countTasks and clearCompleted', (context) => {
  test('countTasks counts only that user, as JS numbers', async () => {
    const { tasks, alice, bob } = await storeFixture(context().db)
    expect(await tasks.countTasks(alice.id)).toEqual({ total: 0, completed: 0, pending: 0 })
    await tasks.createTask(alice.id, { title: 'a' })
    await tasks.createTask(alice.id, { title: 'b', completed: true })
    await tasks.createTask(alice.id, { title: 'c', completed: true })
    await tasks.createTask(bob.id, { title: 'd' })
    const counts = await tasks.countTasks(alice.id)
    expect(counts).toEqual({ total: 3, completed: 2, pending: 1 })
    expect(typeof counts.total).toBe('number')
    expect(await tasks.countTasks(bob.id)).toEqual({ total: 1, completed: 0, pending: 1 })
  })

  test("clearCompleted deletes only that user's completed tasks and returns how many", async () => {
    const { tasks, alice, bob } = await storeFixture(context().db)
    await tasks.createTask(alice.id, { title: 'a' })
    await tasks.createTask(alice.id, { title: 'b', completed: true })
    await tasks.createTask(alice.id, { title: 'c', completed: true })
    await tasks.createTask(bob.id, { title: 'd', completed: true })
    const removed = await tasks.clearCompleted(alice.id)
    expect(removed).toBe(2)
    expect(typeof removed).toBe('number')
    expect(await tasks.countTasks(alice.id)).toEqual({ total: 1, completed: 0, pending: 1 })
    expect(await tasks.countTasks(bob.id)).toEqual({ total: 1, completed: 1, pending: 0 })
    expect(await tasks.clearCompleted(alice.id)).toBe(0)
  })

  test('a bad userId is ValidationError', async () => {
    const { tasks } = await storeFixture(context().db)
    await expectCode(tasks.countTasks(''), 'validation')
    await expectCode(tasks.clearCompleted('x'.repeat(37)), 'validation')
  })
})
