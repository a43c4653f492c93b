import { expect, test } from 'vitest'
import { describeEachBackend } from './support/backends.js'

describeEachBackend('test harness', (context) => {
  test('each test gets a migrated, empty database of its own', async () => {
    const { db } = context()
    const row = await db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    expect(Number(row.n)).toBe(0)
  })
})
