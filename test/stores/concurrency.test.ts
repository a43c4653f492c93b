import { expect, test } from 'vitest'
import { createTaskStore, createUserStore } from '../../src/index.js'
import { describeEachBackend } from '../support/backends.js'
import { storeFixture, TEST_SCRYPT } from '../support/fixtures.js'

// On memory the calls queue for its one connection; the outcome must be the same.
describeEachBackend(
  'concurrent calls',
  (context) => {
    test('100 concurrent toggles of one task leave it flipped exactly 100 times', async () => {
      const { tasks, alice } = await storeFixture(context().db)
      const task = await tasks.createTask(alice.id, { title: 'contended' })
      const results = await Promise.all(Array.from({ length: 100 }, () => tasks.toggleComplete(alice.id, task.id)))
      const after = await tasks.getTask(alice.id, task.id)
      expect(after).toMatchObject({ completed: false, completedAt: null })
      // each toggle saw a distinct state: exactly half of the returned states are "completed"
      expect(results.filter((t) => t.completed)).toHaveLength(50)
    })

    test('50 concurrent creates get 50 distinct ids', async () => {
      const { tasks, alice } = await storeFixture(context().db)
      const created = await Promise.all(
        Array.from({ length: 50 }, (_, i) => tasks.createTask(alice.id, { title: `t${i}` })),
      )
      expect(new Set(created.map((t) => t.id)).size).toBe(50)
      expect((await tasks.countTasks(alice.id)).total).toBe(50)
    })

    test('concurrent updates and toggles keep completed = (completedAt is not null)', async () => {
      const { db, tasks, alice } = await storeFixture(context().db)
      const task = await tasks.createTask(alice.id, { title: 't' })
      await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          i % 3 === 0
            ? tasks.toggleComplete(alice.id, task.id)
            : tasks.updateTask(alice.id, task.id, { completed: i % 2 === 0, priority: (i % 5) + 1 }),
        ),
      )
      const row = await db.selectFrom('tasks').selectAll().where('id', '=', task.id).executeTakeFirstOrThrow()
      expect(row.completed).toBe(row.completed_at !== null)
    })

    test('a transaction spanning both stores rolls back completely', async () => {
      const { db, tasks, alice } = await storeFixture(context().db)
      const kept = await tasks.createTask(alice.id, { title: 'kept' })
      const failure = new Error('host changed its mind')
      await expect(
        db.transaction().execute(async (trx) => {
          const users = createUserStore(trx, { scrypt: TEST_SCRYPT })
          const inTrx = createTaskStore(trx)
          const carol = await users.createUser({ email: 'carol@example.com' })
          await inTrx.createTask(carol.id, { title: 'never' })
          await inTrx.toggleComplete(alice.id, kept.id)
          await inTrx.deleteTask(alice.id, kept.id)
          throw failure
        }),
      ).rejects.toBe(failure)
      expect(await createUserStore(db).findUserByEmail('carol@example.com')).toBeNull()
      expect(await tasks.getTask(alice.id, kept.id)).toEqual(kept)
      expect((await tasks.countTasks(alice.id)).total).toBe(1)
    })
  },
  { only: ['memory', 'postgres', 'pgbouncer', 'neon', 'embedded'] },
)
