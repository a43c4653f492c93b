import type { Kysely } from 'kysely'
import { expect } from 'vitest'
import {
  createTaskStore,
  createUserStore,
  type Database,
  type TaskStore,
  type User,
  type UserStore,
} from '../../src/index.js'

/** A cheap scrypt cost so tests hash in milliseconds; production uses OWASP's. */
export const TEST_SCRYPT = { logN: 10, r: 8, p: 1 } as const

/** bcrypt's lowest cost, so every verifyPassword's bcrypt work takes milliseconds. */
export const TEST_BCRYPT_COST = 4

export interface StoreFixture {
  readonly db: Kysely<Database>
  readonly tasks: TaskStore
  readonly users: UserStore
  readonly alice: User
  readonly bob: User
}

/** Both stores over the test's database, and two users to own tasks. */
export async function storeFixture(db: Kysely<Database>): Promise<StoreFixture> {
  const users = createUserStore(db, { scrypt: TEST_SCRYPT, bcryptCost: TEST_BCRYPT_COST })
  const tasks = createTaskStore(db)
  const alice = await users.createUser({ email: 'alice@example.com', name: 'Alice' })
  const bob = await users.createUser({ email: 'bob@example.com', name: 'Bob' })
  return { db, tasks, users, alice, bob }
}

/** Asserts that a promise rejects with a taskstore error of the given code; returns the error. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<Error & { code: string }> {
  const error = await promise.then(
    () => {
      throw new Error(`expected an error with code ${code}, but the call succeeded`)
    },
    (caught: unknown) => caught,
  )
  expect(error).toMatchObject({ code })
  return error as Error & { code: string }
}

/** Every task row in the database, for before/after comparisons. */
export async function allTaskRows(db: Kysely<Database>) {
  return db.selectFrom('tasks').selectAll().orderBy('id').execute()
}

/** Schema names the rule refuses: a `$` (breaks `$$` quoting), upper case, a leading digit, 64 bytes, empty. */
export const BAD_SCHEMA_NAMES: readonly string[] = ['a$$b', 'PUBLIC', '1abc', 'a'.repeat(64), '']

/** The schemas Postgres would have made of those names (it truncates identifiers to 63 bytes). */
export const SCHEMAS_FROM_BAD_NAMES: readonly string[] = ['a$$b', 'PUBLIC', '1abc', 'a'.repeat(63)]
