import { createRequire, syncBuiltinESMExports } from 'node:module'
import bcrypt from 'bcryptjs'
import { expect, test, vi } from 'vitest'
import { ConfigError, ConflictError, createUserStore } from '../../src/index.js'
import { describeEachBackend } from '../support/backends.js'
import { expectCode, storeFixture, TEST_BCRYPT_COST, TEST_SCRYPT } from '../support/fixtures.js'

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

  test('a duplicate email in any letter case is ConflictError about the email, a taken id one about the id', async () => {
    const { users, bob } = await storeFixture(context().db)
    const email = await expectCode(users.createUser({ email: 'ALICE@example.com' }), 'conflict')
    expect(email).toBeInstanceOf(ConflictError)
    expect(email).toMatchObject({ field: 'email', message: 'A user with email alice@example.com already exists' })
    const id = await expectCode(users.createUser({ email: 'x@example.com', id: bob.id }), 'conflict')
    expect(id).toMatchObject({ field: 'id', message: `A user with id ${bob.id} already exists` })
    expect(await users.findUserByEmail('x@example.com')).toBeNull()
  })

  test("a clash on a unique index of the host's own is ValidationError, not a ConflictError about another field", async () => {
    const { db, users } = await storeFixture(context().db)
    await db.schema.createIndex('users_name_key').on('users').column('name').unique().execute()
    const error = await expectCode(users.createUser({ email: 'other-alice@example.com', name: 'Alice' }), 'validation')
    // pg-mem names the table's first unique constraint, whichever one failed
    if (context().backend !== 'memory') expect(error.message).toMatch(/users_name_key/)
    expect(await users.findUserByEmail('other-alice@example.com')).toBeNull()
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
    const taken = await expectCode(users.updateUser(alice.id, { email: 'Bob@example.com' }), 'conflict')
    expect(taken).toMatchObject({ field: 'email', message: 'A user with email bob@example.com already exists' })
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
    const strong = createUserStore(db, { scrypt: TEST_SCRYPT, bcryptCost: TEST_BCRYPT_COST })
    const user = await weak.createUser({ email: 'weak@example.com', password: 'some password' })
    expect((await strong.verifyPassword('weak@example.com', 'some password'))?.id).toBe(user.id)
    const row = await db.selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirstOrThrow()
    expect(row.password_hash).toMatch(/^\$scrypt\$ln=10,/)
  })

  test('upgrading a stored hash moves updatedAt forward and keeps createdAt', async () => {
    const { db } = await storeFixture(context().db)
    const weak = createUserStore(db, { scrypt: { logN: 8, r: 8, p: 1 } })
    const strong = createUserStore(db, { scrypt: TEST_SCRYPT, bcryptCost: TEST_BCRYPT_COST })
    const user = await weak.createUser({ email: 'moved@example.com', password: 'some password' })
    const upgraded = await strong.verifyPassword('moved@example.com', 'some password')
    expect(upgraded?.updatedAt.getTime()).toBeGreaterThan(user.updatedAt.getTime())
    expect(upgraded?.createdAt).toEqual(user.createdAt)
    expect(await strong.getUser(user.id)).toEqual(upgraded)
  })

  test('malformed input is ValidationError', async () => {
    const { users } = await storeFixture(context().db)
    await expectCode(users.verifyPassword('not an email', 'whatever1'), 'validation')
    await expectCode(users.verifyPassword('alice@example.com', 'x'.repeat(1025)), 'validation')
    await expectCode(users.verifyPassword('alice@example.com', 42 as never), 'validation')
  })
})

const WORK_SCRYPT = { logN: 12, r: 8, p: 1 } as const
const WORK_BCRYPT_COST = 7

/** One user per kind of stored hash, and an email no user has; a wrong password for each. */
async function accountsOfEveryKind(db: Parameters<typeof createUserStore>[0], bcryptCost: number) {
  const users = createUserStore(db, { scrypt: WORK_SCRYPT, bcryptCost })
  const weakerN = createUserStore(db, { scrypt: { ...WORK_SCRYPT, logN: WORK_SCRYPT.logN - 3 }, bcryptCost })
  const weakerR = createUserStore(db, { scrypt: { ...WORK_SCRYPT, r: 4 }, bcryptCost })
  await users.createUser({ email: 'scrypt@example.com', password: 'the right one' })
  await weakerN.createUser({ email: 'scrypt-lower-n@example.com', password: 'the right one' })
  await weakerR.createUser({ email: 'scrypt-lower-r@example.com', password: 'the right one' })
  const bcryptAt = (cost: number, prefix: string) =>
    bcrypt.hashSync('the right one', cost).replace(/^\$2[ab]\$/, prefix)
  await users.createUser({ email: 'bcrypt@example.com', passwordHash: bcryptAt(bcryptCost, '$2a$') })
  await users.createUser({ email: 'bcrypt-lower@example.com', passwordHash: bcryptAt(4, '$2b$') })
  await users.createUser({ email: 'argon2@example.com', passwordHash: '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA' })
  await users.createUser({ email: 'bcrypt-2x@example.com', passwordHash: bcryptAt(bcryptCost, '$2x$') })
  await users.createUser({ email: 'no-hash@example.com' })
  const emails = [
    'nobody@example.com',
    'scrypt@example.com',
    'scrypt-lower-n@example.com',
    'scrypt-lower-r@example.com',
    'bcrypt@example.com',
    'bcrypt-lower@example.com',
    'argon2@example.com',
    'bcrypt-2x@example.com',
    'no-hash@example.com',
  ]
  return { users, emails }
}

describeEachBackend(
  'verifyPassword does the same work for every account',
  (context) => {
    test('one scrypt derivation and one bcrypt comparison of work, whatever is stored, at the default bcrypt cost', async () => {
      const { users, emails } = await accountsOfEveryKind(context().db, 10)
      const store = createUserStore(context().db, { scrypt: WORK_SCRYPT })
      const scryptCalls = watchScrypt()
      const bcryptCosts = watchBcrypt()
      try {
        const work = new Map<string, { scrypt: ScryptCall[]; bcrypt: number[] }>()
        for (const email of emails) {
          scryptCalls.length = 0
          bcryptCosts.length = 0
          expect(await store.verifyPassword(email, 'wrong guess')).toBeNull()
          work.set(email, { scrypt: [...scryptCalls], bcrypt: [...bcryptCosts] })
        }
        const at = (logN: number, r: number = WORK_SCRYPT.r) => ({ keyLength: 32, N: 2 ** logN, r, p: 1 })
        const oneOfEach = { scrypt: [at(12)], bcrypt: [10] }
        expect(work.get('nobody@example.com')).toEqual(oneOfEach)
        expect(work.get('scrypt@example.com')).toEqual(oneOfEach)
        expect(work.get('argon2@example.com')).toEqual(oneOfEach)
        expect(work.get('bcrypt-2x@example.com')).toEqual(oneOfEach)
        expect(work.get('no-hash@example.com')).toEqual(oneOfEach)
        // the stored hash's own cost, then decoys that add up to the budget
        expect(work.get('scrypt-lower-n@example.com')).toEqual({ scrypt: [at(9), at(9), at(10), at(11)], bcrypt: [10] })
        expect(work.get('scrypt-lower-r@example.com')).toEqual({ scrypt: [at(12, 4), at(11)], bcrypt: [10] })
        expect(work.get('bcrypt@example.com')).toEqual({ scrypt: [at(12)], bcrypt: [10] })
        expect(work.get('bcrypt-lower@example.com')).toEqual({ scrypt: [at(12)], bcrypt: [4, 4, 5, 6, 7, 8, 9] })
        for (const [email, { scrypt, bcrypt }] of work) {
          expect({ email, scrypt: sum(scrypt.map((call) => call.N * call.r * call.p)) }).toEqual({
            email,
            scrypt: 2 ** 12 * 8,
          })
          expect({ email, bcrypt: sum(bcrypt.map((cost) => 2 ** cost)) }).toEqual({ email, bcrypt: 2 ** 10 })
        }
      } finally {
        scryptCalls.restore()
        bcryptCosts.restore()
      }
      // the accounts still verify with the right password
      expect(await users.verifyPassword('bcrypt-lower@example.com', 'the right one')).not.toBeNull()
      expect(await users.verifyPassword('scrypt-lower-n@example.com', 'the right one')).not.toBeNull()
    })

    test('at the defaults: one OWASP-cost scrypt derivation and one cost-10 bcrypt comparison of work', async () => {
      const users = createUserStore(context().db)
      const key = (bytes: number) => Buffer.alloc(bytes, 7).toString('base64').replace(/=+$/, '')
      const stored = {
        'owasp@example.com': `$scrypt$ln=17,r=8,p=1$${key(16)}$${key(32)}`,
        'ln15@example.com': `$scrypt$ln=15,r=8,p=1$${key(16)}$${key(32)}`,
        'bcrypt10@example.com': `$2b$10$${'a'.repeat(53)}`,
        'bcrypt8@example.com': `$2a$08$${'a'.repeat(53)}`,
        'argon2@example.com': '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA',
      }
      for (const [email, passwordHash] of Object.entries(stored)) await users.createUser({ email, passwordHash })
      await users.createUser({ email: 'no-hash@example.com' })
      const scryptCalls = watchScrypt({ run: false })
      const bcryptCosts = watchBcrypt({ run: false })
      try {
        const workFor = async (email: string) => {
          scryptCalls.length = 0
          bcryptCosts.length = 0
          expect(await users.verifyPassword(email, 'wrong guess')).toBeNull()
          return { scrypt: scryptCalls.map((call) => Math.log2(call.N)), bcrypt: [...bcryptCosts] }
        }
        const oneOfEach = { scrypt: [17], bcrypt: [10] }
        expect(await workFor('nobody@example.com')).toEqual(oneOfEach)
        expect(await workFor('owasp@example.com')).toEqual(oneOfEach)
        expect(await workFor('ln15@example.com')).toEqual({ scrypt: [15, 15, 16], bcrypt: [10] })
        expect(await workFor('bcrypt10@example.com')).toEqual(oneOfEach)
        expect(await workFor('bcrypt8@example.com')).toEqual({ scrypt: [17], bcrypt: [8, 8, 9] })
        expect(await workFor('argon2@example.com')).toEqual(oneOfEach)
        expect(await workFor('no-hash@example.com')).toEqual(oneOfEach)
      } finally {
        scryptCalls.restore()
        bcryptCosts.restore()
      }
    })

    // CPU time (this process's, scrypt's pool threads included) measures the work
    // and stays within a few percent under load; wall time, what a caller sees,
    // swings by a third when the machine is busy, so its bound is looser.
    test("every account's median CPU time for a wrong password is within 0.7–1.4× of an unknown email's, wall time within 0.5–2×", async () => {
      const { users, emails } = await accountsOfEveryKind(context().db, WORK_BCRYPT_COST)
      const cpu = new Map<string, number[]>(emails.map((email) => [email, []]))
      const wall = new Map<string, number[]>(emails.map((email) => [email, []]))
      const rounds = 17
      for (let round = -2; round < rounds; round++) {
        // interleaved, in a fresh order each round, so load on the machine falls on every case alike
        for (const email of shuffled(emails)) {
          const start = performance.now()
          const startCpu = process.cpuUsage()
          expect(await users.verifyPassword(email, 'wrong guess')).toBeNull()
          const { user, system } = process.cpuUsage(startCpu)
          if (round < 0) continue
          wall.get(email)!.push(performance.now() - start)
          cpu.get(email)!.push((user + system) / 1000)
        }
      }
      expect(ratiosOutside(cpu, 'nobody@example.com', 0.7, 1.4)).toEqual({ outside: [] })
      expect(ratiosOutside(wall, 'nobody@example.com', 0.5, 2)).toEqual({ outside: [] })
    }, 90_000)

    test('a stored scrypt hash with a key too short to mean anything never matches', async () => {
      const users = createUserStore(context().db, { scrypt: TEST_SCRYPT, bcryptCost: TEST_BCRYPT_COST })
      await users.createUser({ email: 'empty-key@example.com', passwordHash: '$scrypt$ln=4,r=8,p=1$c2FsdHNhbHQ$A' })
      expect(await users.verifyPassword('empty-key@example.com', 'any password at all')).toBeNull()
    })

    test('bcryptCost outside 4–16 is ConfigError', () => {
      for (const bcryptCost of [3, 17, 10.5, Number.NaN]) {
        expect(() => createUserStore(context().db, { bcryptCost })).toThrow(ConfigError)
      }
    })
  },
  { only: ['memory'] },
)

/** Each case's median ÷ the reference case's median, and the cases whose ratio is outside [low, high]. */
function ratiosOutside(times: Map<string, number[]>, reference: string, low: number, high: number) {
  const base = median(times.get(reference)!)
  const ratios = [...times].map(([key, values]) => [key, Math.round((median(values) / base) * 100) / 100] as const)
  const outside = ratios.filter(([, ratio]) => !(ratio >= low && ratio <= high))
  return outside.length === 0
    ? { outside }
    : { outside, [`all ratios (reference median ${base.toFixed(1)} ms)`]: Object.fromEntries(ratios) }
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0)

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

function shuffled<T>(values: readonly T[]): T[] {
  const copy = [...values]
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[copy[i], copy[j]] = [copy[j]!, copy[i]!]
  }
  return copy
}

/**
 * Records the cost of every bcrypt comparison the package makes until
 * `restore()`; with `run: false` the comparisons answer false at once.
 */
function watchBcrypt({ run = true } = {}): number[] & { restore(): void } {
  const original = bcrypt.compare
  const spy = vi.spyOn(bcrypt, 'compare')
  const costs = Object.assign([] as number[], { restore: () => spy.mockRestore() })
  spy.mockImplementation(((password: string, hash: string) => {
    costs.push(Number(hash.slice(4, 6)))
    return run ? original(password, hash) : Promise.resolve(false)
  }) as typeof original)
  return costs
}

type ScryptCall = { keyLength: number; N: number; r: number; p: number }

/**
 * Records the key length and cost of every scrypt call the package makes
 * until `restore()`; with `run: false` the calls return zero keys at once.
 */
function watchScrypt({ run = true } = {}): ScryptCall[] & { restore(): void } {
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
    if (!run) return setImmediate(args[4] as (error: null, key: Buffer) => void, null, Buffer.alloc(args[2] as number))
    return (original as (...rest: unknown[]) => void)(...args)
  }) as typeof original
  // the package imports scrypt by name from node:crypto; this makes that binding see the wrapper
  syncBuiltinESMExports()
  return calls
}
