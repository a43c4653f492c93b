import { type Kysely, sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { createTaskStore, createUserStore, type Database } from '../../src/index.js'
import { createMemoryDatabase } from '../../src/testing/index.js'
import { storeFixture } from '../support/fixtures.js'

/**
 * A user's counts from the rows themselves, read one by one and counted
 * here: no count statement, so nothing the memory database answers from
 * its count index.
 */
async function countedFromRows(db: Kysely<Database>, userId: string) {
  const rows = await db.selectFrom('tasks').select('completed').where('user_id', '=', userId).execute()
  const completed = rows.filter((row) => row.completed).length
  return { total: rows.length, completed, pending: rows.length - completed }
}

async function expectCountsOfRows(db: Kysely<Database>, userIds: readonly string[]): Promise<void> {
  const tasks = createTaskStore(db)
  for (const userId of userIds) {
    expect({ userId, ...(await tasks.countTasks(userId)) }).toEqual({
      userId,
      ...(await countedFromRows(db, userId)),
    })
  }
}

describe('createMemoryDatabase: countTasks from the count index', () => {
  let db: Kysely<Database>
  beforeEach(async () => {
    db = await createMemoryDatabase()
  })
  afterEach(async () => {
    await db.destroy()
  })

  test("raw inserts, updates, moves between users, deletes and TRUNCATE through the host's Kysely are counted", async () => {
    const { tasks, alice, bob } = await storeFixture(db)
    await tasks.createTask(alice.id, { title: 'by the store', completed: true })
    await sql`insert into tasks (user_id, title, completed, completed_at)
              values (${alice.id}, 'raw 1', false, null), (${alice.id}, 'raw 2', true, now()),
                     (${alice.id}, 'raw 3', true, now()), (${bob.id}, 'raw 4', false, null)`.execute(db)
    expect(await tasks.countTasks(alice.id)).toEqual({ total: 4, completed: 3, pending: 1 })
    await expectCountsOfRows(db, [alice.id, bob.id])

    await sql`update tasks set completed = not completed,
              completed_at = case when completed then null else now() end
              where user_id = ${alice.id} and title like 'raw%'`.execute(db)
    expect(await tasks.countTasks(alice.id)).toEqual({ total: 4, completed: 2, pending: 2 })

    await sql`update tasks set user_id = ${bob.id} where title in ('raw 1', 'by the store')`.execute(db)
    expect(await tasks.countTasks(alice.id)).toEqual({ total: 2, completed: 0, pending: 2 })
    expect(await tasks.countTasks(bob.id)).toEqual({ total: 3, completed: 2, pending: 1 })
    await expectCountsOfRows(db, [alice.id, bob.id])

    await sql`delete from tasks where user_id = ${bob.id} and completed`.execute(db)
    expect(await tasks.countTasks(bob.id)).toEqual({ total: 1, completed: 0, pending: 1 })
    await expectCountsOfRows(db, [alice.id, bob.id])

    await sql`truncate tasks`.execute(db)
    expect(await tasks.countTasks(alice.id)).toEqual({ total: 0, completed: 0, pending: 0 })
    expect(await tasks.countTasks(bob.id)).toEqual({ total: 0, completed: 0, pending: 0 })
    await tasks.createTask(bob.id, { title: 'after', completed: true })
    expect(await tasks.countTasks(bob.id)).toEqual({ total: 1, completed: 1, pending: 0 })
  })

  test("deleting a user takes that user's tasks out of the count, and no one else's", async () => {
    const { tasks, users, alice, bob } = await storeFixture(db)
    for (const title of ['a', 'b', 'c']) await tasks.createTask(alice.id, { title, completed: title === 'b' })
    await tasks.createTask(bob.id, { title: 'd' })
    await users.deleteUser(alice.id)
    expect(await tasks.countTasks(alice.id)).toEqual({ total: 0, completed: 0, pending: 0 })
    expect(await tasks.countTasks(bob.id)).toEqual({ total: 1, completed: 0, pending: 1 })
    await sql`delete from users where id = ${bob.id}`.execute(db)
    expect(await tasks.countTasks(bob.id)).toEqual({ total: 0, completed: 0, pending: 0 })
  })

  test('a rolled-back transaction and a savepoint rolled back to leave the counts as they were', async () => {
    const { tasks, alice, bob } = await storeFixture(db)
    await tasks.createTask(alice.id, { title: 'kept', completed: true })
    const before = await tasks.countTasks(alice.id)

    const trx = await db.startTransaction().execute()
    await createTaskStore(trx).createTask(alice.id, { title: 'undone' })
    await sql`update tasks set user_id = ${bob.id} where title = 'kept'`.execute(trx)
    expect(await createTaskStore(trx).countTasks(alice.id)).toEqual({ total: 1, completed: 0, pending: 1 })
    expect(await createTaskStore(trx).countTasks(bob.id)).toEqual({ total: 1, completed: 1, pending: 0 })
    const inner = await trx.savepoint('inner').execute()
    await sql`delete from tasks`.execute(inner)
    expect(await createTaskStore(inner).countTasks(bob.id)).toEqual({ total: 0, completed: 0, pending: 0 })
    await inner.rollbackToSavepoint('inner').execute()
    expect(await createTaskStore(trx).countTasks(bob.id)).toEqual({ total: 1, completed: 1, pending: 0 })
    await trx.rollback().execute()

    expect(await tasks.countTasks(alice.id)).toEqual(before)
    expect(await tasks.countTasks(bob.id)).toEqual({ total: 0, completed: 0, pending: 0 })
    await expectCountsOfRows(db, [alice.id, bob.id])
  })

  test('a rollback across a schema change, which rebuilds the database, keeps the counts exact', async () => {
    const { tasks, alice } = await storeFixture(db)
    await tasks.createTask(alice.id, { title: 'kept', completed: true })
    expect(await tasks.countTasks(alice.id)).toEqual({ total: 1, completed: 1, pending: 0 })
    await expect(
      db.transaction().execute(async (trx) => {
        await sql`create table scratch (id integer)`.execute(trx)
        await createTaskStore(trx).createTask(alice.id, { title: 'undone' })
        expect(await createTaskStore(trx).countTasks(alice.id)).toEqual({ total: 2, completed: 1, pending: 1 })
        throw new Error('undo')
      }),
    ).rejects.toThrow('undo')
    expect(await tasks.countTasks(alice.id)).toEqual({ total: 1, completed: 1, pending: 0 })
    await tasks.createTask(alice.id, { title: 'after' })
    expect(await tasks.countTasks(alice.id)).toEqual({ total: 2, completed: 1, pending: 1 })
    await expectCountsOfRows(db, [alice.id])
  })

  test('a count in a transaction that already failed is refused, as on Postgres', async () => {
    const { tasks, alice } = await storeFixture(db)
    const trx = await db.startTransaction().execute()
    try {
      await expect(sql`select * from no_such_table`.execute(trx)).rejects.toThrow()
      await expect(createTaskStore(trx).countTasks(alice.id)).rejects.toMatchObject({ code: 'unavailable' })
    } finally {
      await trx.rollback().execute()
    }
    expect(await tasks.countTasks(alice.id)).toEqual({ total: 0, completed: 0, pending: 0 })
  })

  test('without the count index the rows are counted as before', async () => {
    const { tasks, alice } = await storeFixture(db)
    await tasks.createTask(alice.id, { title: 'a', completed: true })
    expect(await tasks.countTasks(alice.id)).toEqual({ total: 1, completed: 1, pending: 0 })
    await sql`drop index tasks_user_id_completed_count_idx`.execute(db)
    await tasks.createTask(alice.id, { title: 'b' })
    expect(await tasks.countTasks(alice.id)).toEqual({ total: 2, completed: 1, pending: 1 })
    await createUserStore(db).deleteUser(alice.id)
    expect(await tasks.countTasks(alice.id)).toEqual({ total: 0, completed: 0, pending: 0 })
  })
})
