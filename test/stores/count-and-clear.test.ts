import { sql } from 'kysely'
import { expect, test } from 'vitest'
import { createUserStore } from '../../src/index.js'
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

describeEachBackend(
  'countTasks with changes made by the host’s own SQL',
  (context) => {
    test('counts stay exact through raw inserts, updates, moves between users and deletes', async () => {
      const { schema, db } = context()
      const { tasks, alice, bob } = await storeFixture(db)
      const table = sql.id(schema, 'tasks')
      await sql`insert into ${table} (user_id, title, completed, completed_at)
                select ${alice.id}, 'bulk ' || g, g % 2 = 0, case when g % 2 = 0 then now() end
                from generate_series(1, 10) g`.execute(db)
      expect(await tasks.countTasks(alice.id)).toEqual({ total: 10, completed: 5, pending: 5 })
      await sql`update ${table} set completed = true, completed_at = now() where user_id = ${alice.id} and not completed`.execute(
        db,
      )
      expect(await tasks.countTasks(alice.id)).toEqual({ total: 10, completed: 10, pending: 0 })
      await sql`update ${table} set user_id = ${bob.id} where id in (select id from ${table} where user_id = ${alice.id} limit 3)`.execute(
        db,
      )
      expect(await tasks.countTasks(alice.id)).toEqual({ total: 7, completed: 7, pending: 0 })
      expect(await tasks.countTasks(bob.id)).toEqual({ total: 3, completed: 3, pending: 0 })
      await sql`delete from ${table} where user_id = ${alice.id}`.execute(db)
      expect(await tasks.countTasks(alice.id)).toEqual({ total: 0, completed: 0, pending: 0 })
      await createUserStore(db).deleteUser(bob.id)
      expect(await tasks.countTasks(bob.id)).toEqual({ total: 0, completed: 0, pending: 0 })
    })
  },
  { only: ['embedded', 'postgres'] },
)
