/**
 * A host's own unit tests, written against taskstore/testing: each test gets
 * a fresh, migrated in-memory database in about 40 ms, with nothing to
 * install or start. (Inside this repository the package is imported from
 * ../src; a host writes 'taskstore' and 'taskstore/testing'.)
 */
import type { Kysely } from 'kysely'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { createTaskStore, createUserStore, type Database, isTaskstoreError } from '../src/index.js'
import { createMemoryDatabase } from '../src/testing/index.js'

/** The host code under test: signs a user up and gives them a starter list. */
async function signUp(db: Kysely<Database>, email: string): Promise<{ userId: string; starterTasks: number }> {
  const user = await createUserStore(db).createUser({ email })
  const tasks = createTaskStore(db)
  for (const title of ['Read the guide', 'Invite a teammate']) await tasks.createTask(user.id, { title })
  return { userId: user.id, starterTasks: (await tasks.countTasks(user.id)).total }
}

describe('signUp', () => {
  let db: Kysely<Database>
  beforeEach(async () => {
    db = await createMemoryDatabase()
  })
  afterEach(async () => {
    await db.destroy()
  })

  test('gives a new user two starter tasks', async () => {
    const { userId, starterTasks } = await signUp(db, 'new@example.com')
    expect(starterTasks).toBe(2)
    const { items } = await createTaskStore(db).getTasks(userId, { sort: 'title', order: 'asc' })
    expect(items.map((task) => task.title)).toEqual(['Invite a teammate', 'Read the guide'])
  })

  test('refuses an email that is taken in another letter case, with a conflict on the email', async () => {
    await signUp(db, 'taken@example.com')
    const error = await signUp(db, 'TAKEN@example.com').catch((caught: unknown) => caught)
    expect(isTaskstoreError(error) && error.code).toBe('conflict')
  })
})
