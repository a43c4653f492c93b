import { expect, test } from 'vitest'
import { describeEachBackend } from '../support/backends.js'
import { expectCode, storeFixture } from '../support/fixtures.js'

describeEachBackend('getTask', (context) => {
  test("returns the user's own task", async () => {
    const { tasks, alice } = await storeFixture(context().db)
    const created = await tasks.createTask(alice.id, { title: 'Read' })
    expect(await tasks.getTask(alice.id, created.id)).toEqual(created)
  })

  test("another user's task is ForbiddenError and reveals nothing of it", async () => {
    const { tasks, alice, bob } = await storeFixture(context().db)
    const secret = await tasks.createTask(alice.id, { title: 'Secret plan', description: 'hidden' })
    const error = await expectCode(tasks.getTask(bob.id, secret.id), 'forbidden')
    expect(error.message).not.toContain('Secret')
    expect(error.message).not.toContain('hidden')
  })

  test('an id that does not exist is NotFoundError', async () => {
    const { tasks, alice } = await storeFixture(context().db)
    await expectCode(tasks.getTask(alice.id, 123456), 'not_found')
  })

  test('ids that are not integers in 1…2147483647 are ValidationError', async () => {
    const { tasks, alice } = await storeFixture(context().db)
    for (const id of [
      0,
      -1,
      1.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      2147483648,
      99999999999,
      '1',
      null,
      undefined,
      1n,
    ]) {
      const error = await expectCode(tasks.getTask(alice.id, id as never), 'validation')
      expect(error).toMatchObject({ issues: [{ path: ['taskId'] }] })
    }
  })

  test('the largest integer id is valid input and simply not found', async () => {
    const { tasks, alice } = await storeFixture(context().db)
    await expectCode(tasks.getTask(alice.id, 2147483647), 'not_found')
  })
})
