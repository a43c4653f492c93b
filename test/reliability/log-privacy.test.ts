import { type Kysely, sql } from 'kysely'
import { expect, test } from 'vitest'
import {
  ConflictError,
  createTaskStore,
  createUserStore,
  type Database,
  NotFoundError,
  type QueryLogEvent,
} from '../../src/index.js'
import { describeEachOpener } from '../support/database-opener.js'
import { TEST_SCRYPT } from '../support/fixtures.js'
import { textsOf } from './secret-scan.js'

const EMAIL = 'alice.private@example.com'
const MISSING_USER = 'ghost-user-4711'
// A hash in the host's own format: nothing about it says "hash" but the column it is bound to.
const HOST_HASH = 'hostfmt:v7:QmFzZTY0SXNOb3RBSGFzaEF0QWxs'
const BCRYPT_HASH = '$2b$10$abcdefghijklmnopqrstuu1234567890ABCDEFGHIJKLMNOPQRSTU'
const PASSWORD = 'correct horse battery staple'

/** Where in the recorded material a value shows up, as readable paths. */
function placesOf(material: unknown, needles: readonly string[], root: string): string[] {
  return textsOf(material, root)
    .filter(([, text]) => needles.some((needle) => text.includes(needle)))
    .map(([path]) => path)
}

interface Recorded {
  readonly events: QueryLogEvent[]
  readonly thrown: unknown[]
}

/**
 * Runs the failures that put personal data in a server's error: a duplicate
 * email (`Key (email)=(…)`), a task for a user that does not exist
 * (`Key (user_id)=(…)`), and a host's own insert that breaks a CHECK
 * (`Failing row contains (…)`, password hash and all).
 */
async function provoke(db: Kysely<Database>, events: QueryLogEvent[]): Promise<Recorded> {
  const users = createUserStore(db, { scrypt: TEST_SCRYPT })
  const thrown: unknown[] = []
  const failure = async (call: Promise<unknown>) => {
    const error = await call.then(
      () => new Error('expected the call to fail'),
      (caught: unknown) => caught,
    )
    thrown.push(error)
    return error
  }
  await users.createUser({ email: EMAIL, password: PASSWORD })
  await users.createUser({ email: 'bob@example.com', passwordHash: BCRYPT_HASH })
  expect(await failure(users.createUser({ email: EMAIL, password: PASSWORD }))).toBeInstanceOf(ConflictError)
  expect(await failure(createTaskStore(db).createTask(MISSING_USER, { title: 't' }))).toBeInstanceOf(NotFoundError)
  await failure(
    db
      .insertInto('users')
      .values({ id: 'host-row', email: 'carol@example.com', password_hash: HOST_HASH, name: 'x'.repeat(101) })
      .execute(),
  )
  expect(events.filter((event) => event.error !== undefined).length).toBeGreaterThanOrEqual(3)
  return { events, thrown }
}

describeEachOpener('the log hook and personal data', (opener) => {
  test('without logParameters no event carries a value from the error detail, a parameter or a hash', async () => {
    const events: QueryLogEvent[] = []
    const { db } = await opener.open({ log: (event) => events.push(event) })
    const { thrown } = await provoke(db, events)

    const secrets = [EMAIL, MISSING_USER, HOST_HASH, BCRYPT_HASH, '$scrypt$', PASSWORD]
    expect(placesOf(events, secrets, 'events')).toEqual([])
    // what names the failure stays: the SQLSTATE and the constraint, where the backend reports them
    const failed = events.filter((event) => event.error !== undefined).map((event) => event.error as any)
    if (opener.backend !== 'memory') {
      expect(failed.map((error) => error.code)).toEqual(expect.arrayContaining(['23505', '23503', '23514']))
      expect(failed.map((error) => error.constraint)).toContain('users_email_key')
    }
    for (const error of failed) expect(error).not.toHaveProperty('detail')

    // the store errors the caller gets keep the server's error as cause, without its detail
    // (the host's own insert fails with the driver's error, passed through as it is)
    const [conflict, notFound] = thrown as Error[]
    expect(placesOf([conflict!.cause, notFound!.cause], secrets, 'causes')).toEqual([])
    expect(placesOf([conflict, notFound], ['Key (', 'Failing row', '$scrypt$', BCRYPT_HASH], 'thrown')).toEqual([])
  })

  test('with logParameters the detail is in the events, and still no password hash', async () => {
    const events: QueryLogEvent[] = []
    const { db } = await opener.open({ log: (event) => events.push(event), logParameters: true })
    await provoke(db, events)

    expect(placesOf(events, [HOST_HASH, BCRYPT_HASH, '$scrypt$', PASSWORD], 'events')).toEqual([])
    // parameters are shown, hashes replaced whatever their format
    const inserts = events.filter((event) => /insert into .*users/.test(event.sql))
    expect(inserts.flatMap((event) => event.parameters ?? [])).toContain(EMAIL)
    expect(inserts.flatMap((event) => event.parameters ?? [])).toContain('[password hash]')
    // the host opted in: the detail that names the duplicate is there
    expect(placesOf(events, [`(${EMAIL})`], 'events')).not.toEqual([])
  })

  test('a log hook that throws breaks neither the query nor the call', async () => {
    const { db } = await opener.open({
      log: () => {
        throw new Error('broken logger')
      },
    })
    const users = createUserStore(db, { scrypt: TEST_SCRYPT })
    expect((await users.createUser({ email: EMAIL })).email).toBe(EMAIL)
    await expect(users.createUser({ email: EMAIL })).rejects.toBeInstanceOf(ConflictError)
    expect((await sql<{ one: number }>`select 1 as one`.execute(db)).rows).toEqual([{ one: 1 }])
  })

  test('a log hook that returns a rejected promise leaves no unhandled rejection', async () => {
    const unhandled: unknown[] = []
    const record = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', record)
    try {
      let calls = 0
      const { db } = await opener.open({
        log: async () => {
          calls++
          throw new Error('async logger failed')
        },
      })
      const users = createUserStore(db, { scrypt: TEST_SCRYPT })
      expect((await users.createUser({ email: EMAIL })).email).toBe(EMAIL)
      await expect(users.createUser({ email: EMAIL })).rejects.toBeInstanceOf(ConflictError)
      await sql`select 1`.execute(db)
      // rejections are reported after the microtask queue drains
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(calls).toBeGreaterThanOrEqual(3)
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', record)
    }
  })
})
