import { createRequire, syncBuiltinESMExports } from 'node:module'
import bcrypt from 'bcryptjs'
import { expect, test } from 'vitest'
import { createUserStore } from '../../src/index.js'
import { describeEachBackend } from '../support/backends.js'
import { expectCode, storeFixture, TEST_SCRYPT } from '../support/fixtures.js'

describeEachBackend('createUser', (context) => {
  test('stores the email trimmed and lower-cased, generates a UUID id, never returns the hash', async () => {
    const { users } = await storeFixture(context().db)
    const user = await users.createUser({ email: '  Carol@Example.COM ', name: 'Carol', password: 'correct horse' })
    expect(user).toMatchObject({ email: 'carol@example.com', name: 'Carol', isActive: true, emailVerified: false })
    expect(user.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    expect(Object.keys(user).sort()).toEqual([
      'createdAt',
      'email',
      'emailVerified',
      'id',
      'isActive',
      'name',
      'updatedAt',
    ])
    expect(JSON.stringify(user)).not.toMatch(/scrypt|hash/i)
  })

  test('accepts an id from an auth provider and a ready-made password hash', async () => {
    const { db, users } = await storeFixture(context().db)
    const user = await users.createUser({
      id: 'auth0|12345',
      email: 'dave@example.com',
      passwordHash: '$argon2id$v=19$whatever',
    })
    expect(user.id).toBe('auth0|12345')
    const row = await db.selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirstOrThrow()
    expect(row.password_hash).toBe('$argon2id$v=19$whatever')
  })

  test('a duplicate email in any letter case is ConflictError', async () => {
    const { users } = await storeFixture(context().db)
    await expectCode(users.createUser({ email: 'ALICE@example.com' }), 'conflict')
    await expectCode(
      users.createUser({ email: 'x@example.com', id: (await users.findUserByEmail('bob@example.com'))!.id }),
      'conflict',
    )
  })

  test('rejects malformed emails, short passwords, both password kinds, unknown keys', async () => {
    const { db, users } = await storeFixture(context().db)
    const bad: unknown[] = [
      { email: 'not-an-email' },
      { email: '' },
      { email: `${'a'.repeat(250)}@example.com` },
      { email: 'e@example.com', password: 'short' },
      { email: 'e@example.com', password: 'x'.repeat(1025) },
      { email: 'e@example.com', password: 'long enough', passwordHash: 'h' },
      { email: 'e@example.com', name: 'n'.repeat(101) },
      { email: 'e@example.com', id: '' },
      { email: 'e@example.com', id: 'x'.repeat(37) },
      { email: 'e@example.com', role: 'admin' },
      { email: 'e@example.com', name: 'nul\u0000' },
    ]
    for (const input of bad) await expectCode(users.createUser(input as never), 'validation')
    const count = await db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    expect(Number(count.n)).toBe(2)
  })
})

describeEachBackend('getUser, findUserByEmail, updateUser, deleteUser', (context) => {
  test('getUser returns the user or NotFoundError', async () => {
    const { users, alice } = await storeFixture(context().db)
    expect(await users.getUser(alice.id)).toEqual(alice)
    await expectCode(users.getUser('missing'), 'not_found')
    await expectCode(users.getUser(''), 'validation')
  })

  test('findUserByEmail ignores case and surrounding spaces; null when absent', async () => {
    const { users, alice } = await storeFixture(context().db)
    expect(await users.findUserByEmail(' ALICE@Example.com ')).toEqual(alice)
    expect(await users.findUserByEmail('nobody@example.com')).toBeNull()
    await expectCode(users.findUserByEmail('nope'), 'validation')
  })

  test('updateUser changes the given fields and moves updatedAt forward', async () => {
    const { users, alice } = await storeFixture(context().db)
    const updated = await users.updateUser(alice.id, {
      name: null,
      emailVerified: true,
      isActive: false,
      email: 'ALICE2@example.com',
    })
    expect(updated).toMatchObject({
      id: alice.id,
      name: null,
      emailVerified: true,
      isActive: false,
      email: 'alice2@example.com',
    })
    expect(updated.updatedAt.getTime()).toBeGreaterThan(alice.updatedAt.getTime())
    expect(updated.createdAt).toEqual(alice.createdAt)
  })

  test('updateUser: taken email is ConflictError, bad patch ValidationError, missing user NotFoundError', async () => {
    const { users, alice } = await storeFixture(context().db)
    await expectCode(users.updateUser(alice.id, { email: 'Bob@example.com' }), 'conflict')
    await expectCode(users.updateUser(alice.id, {}), 'validation')
    await expectCode(users.updateUser(alice.id, { passwordHash: 'x' } as never), 'validation')
    await expectCode(users.updateUser('missing', { name: 'x' }), 'not_found')
    expect(await users.getUser(alice.id)).toEqual(alice)
  })

  test('updateUser with a password lets the new one verify and the old one fail', async () => {
    const { users } = await storeFixture(context().db)
    const user = await users.createUser({ email: 'pw@example.com', password: 'old password' })
    await users.updateUser(user.id, { password: 'new password' })
    expect(await users.verifyPassword('pw@example.com', 'old password')).toBeNull()
    expect((await users.verifyPassword('pw@example.com', 'new password'))?.id).toBe(user.id)
  })

  test('deleteUser removes the user and, by cascade, their tasks only', async () => {
    const { db, users, tasks, alice, bob } = await storeFixture(context().db)
    await tasks.createTask(alice.id, { title: 'a' })
    await tasks.createTask(bob.id, { title: 'b' })
    expect(await users.deleteUser(alice.id)).toEqual(alice)
    await expectCode(users.getUser(alice.id), 'not_found')
    const owners = await db.selectFrom('tasks').select('user_id').execute()
    expect(owners.map((row) => row.user_id)).toEqual([bob.id])
    await expectCode(users.deleteUser(alice.id), 'not_found')
  })
})

describeEachBackend('verifyPassword', (context) => {
  test('returns the user on a match and null otherwise, whatever the email case', async () => {
    const { users } = await storeFixture(context().db)
    const user = await users.createUser({ email: 'erin@example.com', password: 'correct horse battery' })
    expect(await users.verifyPassword('ERIN@example.com', 'correct horse battery')).toEqual(user)
    expect(await users.verifyPassword('erin@example.com', 'wrong horse battery')).toBeNull()
    expect(await users.verifyPassword('nobody@example.com', 'correct horse battery')).toBeNull()
    expect(await users.verifyPassword('alice@example.com', 'no hash stored')).toBeNull()
  })

  test('stores scrypt hashes with their parameters and a per-user salt', async () => {
    const { db, users } = await storeFixture(context().db)
    await users.createUser({ email: 'a1@example.com', password: 'same password' })
    await users.createUser({ email: 'a2@example.com', password: 'same password' })
    const rows = await db
      .selectFrom('users')
      .select('password_hash')
      .where('email', 'in', ['a1@example.com', 'a2@example.com'])
      .execute()
    expect(rows).toHaveLength(2)
    for (const row of rows) expect(row.password_hash).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$/)
    expect(rows[0]!.password_hash).not.toBe(rows[1]!.password_hash)
  })

  test('verifies a legacy bcrypt hash and upgrades it to scrypt', async () => {
    const { db, users } = await storeFixture(context().db)
    const legacy = bcrypt.hashSync('legacy password', 4).replace(/^\$2a\$/, '$2b$')
    const user = await users.createUser({ email: 'old@example.com', passwordHash: legacy })
    expect(await users.verifyPassword('old@example.com', 'not it')).toBeNull()
    expect((await users.verifyPassword('old@example.com', 'legacy password'))?.id).toBe(user.id)
    const row = await db.selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirstOrThrow()
    expect(row.password_hash).toMatch(/^\$scrypt\$/)
    expect((await users.verifyPassword('old@example.com', 'legacy password'))?.id).toBe(user.id)
  })

  test('upgrades a hash made at a lower scrypt cost', async () => {
    const { db } = await storeFixture(context().db)
    const weak = createUserStore(db, { scrypt: { logN: 8, r: 8, p: 1 } })
    const strong = createUserStore(db, { scrypt: TEST_SCRYPT })
    const user = await weak.createUser({ email: 'weak@example.com', password: 'some password' })
    expect((await strong.verifyPassword('weak@example.com', 'some password'))?.id).toBe(user.id)
    const row = await db.selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirstOrThrow()
    expect(row.password_hash).toMatch(/^\$scrypt\$ln=10,/)
  })

  test('malformed input is ValidationError', async () => {
    const { users } = await storeFixture(context().db)
    await expectCode(users.verifyPassword('not an email', 'whatever1'), 'validation')
    await expectCode(users.verifyPassword('alice@example.com', 'x'.repeat(1025)), 'validation')
    await expectCode(users.verifyPassword('alice@example.com', 42 as never), 'validation')
  })
})

describeEachBackend(
  'verifyPassword without a stored hash',
  (context) => {
    test('an unknown email, or a user without a password, costs the scrypt work of a wrong password', async () => {
      const users = createUserStore(context().db, { scrypt: TEST_SCRYPT })
      await users.createUser({ email: 'known@example.com', password: 'the right one' })
      await users.createUser({ email: 'nopassword@example.com' })
      // the decoy hash is made once, on first use; count after that
      await users.verifyPassword('first@example.com', 'warm up')
      const scryptCalls = watchScrypt()
      try {
        const workFor = async (email: string) => {
          scryptCalls.length = 0
          expect(await users.verifyPassword(email, 'wrong guess')).toBeNull()
          return [...scryptCalls]
        }
        const wrongPassword = await workFor('known@example.com')
        expect(wrongPassword).toEqual([{ keyLength: 32, N: 2 ** TEST_SCRYPT.logN, r: TEST_SCRYPT.r, p: TEST_SCRYPT.p }])
        expect(await workFor('nobody@example.com')).toEqual(wrongPassword)
        expect(await workFor('nopassword@example.com')).toEqual(wrongPassword)
      } finally {
        scryptCalls.restore()
      }
    })
  },
  { only: ['memory'] },
)

type ScryptCall = { keyLength: number; N: number; r: number; p: number }

/** Records the key length and cost of every scrypt call the package makes until `restore()`. */
function watchScrypt(): ScryptCall[] & { restore(): void } {
  const crypto = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto')
  const original = crypto.scrypt
  const calls = Object.assign([] as ScryptCall[], {
    restore() {
      crypto.scrypt = original
      syncBuiltinESMExports()
    },
  })
  crypto.scrypt = ((...args: Parameters<typeof original>) => {
    const { N, r, p } = args[3] as { N: number; r: number; p: number }
    calls.push({ keyLength: args[2] as number, N, r, p })
    return (original as (...rest: unknown[]) => void)(...args)
  }) as typeof original
  // the package imports scrypt by name from node:crypto; this makes that binding see the wrapper
  syncBuiltinESMExports()
  return calls
}
