import { randomUUID } from 'node:crypto'
import type { Kysely, Transaction } from 'kysely'
import { capabilitiesOf } from '../db/database-capabilities.js'
import { ANY_USER } from '../db/read-tokens.js'
import { asTaskstoreDatabase, type Database } from '../db/taskstore-database.js'
import { ConfigError, NotFoundError, ValidationError } from '../errors/index.js'
import { databaseAttributes, traceCalls } from '../tracing/tracing.js'
import {
  codePointLength,
  emailSchema,
  parseArgument,
  parseInput,
  parseUserId,
  type UserInput,
  type UserPatch,
  userInputSchema,
  userPatchSchema,
} from '../validation/index.js'
import { BCRYPT_COST, DEFAULT_BCRYPT_COST } from './bcrypt-hash.js'
import { checkPassword } from './password-check.js'
import { hashPassword, OWASP_SCRYPT_COST, type ScryptCost } from './password-hashing.js'
import { QueryRunner, type Route } from './query-runner.js'
import { placeholder } from './query-template.js'
import { updatedAtFor } from './updated-at.js'
import type { User } from './user.js'

/** Options of {@link createUserStore}. */
export interface UserStoreOptions {
  /** scrypt cost for new hashes. Default OWASP's (N=2^17, r=8, p=1); lower it only in tests. */
  readonly scrypt?: ScryptCost
  /**
   * The highest cost among the bcrypt hashes your users' rows may hold
   * (4–16, default 10). Every `verifyPassword` does bcrypt work of this
   * cost, whatever the account stores, so that a bcrypt account cannot be
   * told apart by timing; a stored hash of a higher cost takes longer.
   */
  readonly bcryptCost?: number
}

/** Creates, finds, updates and deletes users, and checks their passwords. */
export interface UserStore {
  /**
   * Adds a user. The email is trimmed and lower-cased; `password` is hashed with scrypt.
   * @throws {ValidationError} on bad input. {ConflictError} when the email (any case) or id is taken; its `field` says which.
   * @example
   * ```ts
   * const user = await users.createUser({ email: 'ada@example.com', name: 'Ada', password: 'correct horse' })
   * ```
   */
  createUser(input: UserInput): Promise<User>
  /**
   * Returns a user.
   * @throws {NotFoundError} when there is no such user.
   * @example
   * ```ts
   * const user = await users.getUser(id)
   * ```
   */
  getUser(id: string): Promise<User>
  /**
   * Finds a user by email, in any letter case; null when there is none.
   * @example
   * ```ts
   * const user = await users.findUserByEmail('Ada@Example.com')
   * ```
   */
  findUserByEmail(email: string): Promise<User | null>
  /**
   * Changes `email`, `name`, `isActive`, `emailVerified` or `password`.
   * @throws {ValidationError}. {NotFoundError}. {ConflictError} with `field` 'email' when the new email is taken.
   * @example
   * ```ts
   * const user = await users.updateUser(id, { emailVerified: true })
   * ```
   */
  updateUser(id: string, patch: UserPatch): Promise<User>
  /**
   * Deletes a user and, by cascade, every task of theirs; returns the user as it was.
   * @throws {NotFoundError}.
   * @example
   * ```ts
   * await users.deleteUser(id)
   * ```
   */
  deleteUser(id: string): Promise<User>
  /**
   * Returns the user when the password matches, else null. Does the same
   * work whether or not the email exists and whatever is stored (scrypt at
   * any cost up to the store's, bcrypt up to `bcryptCost`, another format,
   * none): one scrypt derivation's worth at the store's cost, then one
   * bcrypt comparison's worth. A matching bcrypt hash, or one made at a
   * lower scrypt cost, is replaced by a current scrypt hash.
   * @throws {ValidationError} when the email is malformed or the password is not a string of ≤ 1024 characters.
   * @example
   * ```ts
   * const user = await users.verifyPassword('ada@example.com', 'correct horse')
   * ```
   */
  verifyPassword(email: string, password: string): Promise<User | null>
}

const USER_COLUMNS = [
  'id',
  'email',
  'name',
  'is_active as isActive',
  'email_verified as emailVerified',
  'created_at as createdAt',
  'updated_at as updatedAt',
] as const

/**
 * Creates the user store over a database or a transaction.
 *
 * @throws {ConfigError} when `bcryptCost` is not an integer in 4–16.
 * @example
 * ```ts
 * const users = createUserStore(db)
 * const ada = await users.createUser({ email: 'ada@example.com', password: 'correct horse' })
 * ```
 */
export function createUserStore<DB extends Database>(
  database: Kysely<DB> | Transaction<DB>,
  options: UserStoreOptions = {},
): UserStore {
  const db = asTaskstoreDatabase(database)
  const cost = options.scrypt ?? OWASP_SCRYPT_COST
  const bcryptCost = options.bcryptCost ?? DEFAULT_BCRYPT_COST
  if (!Number.isInteger(bcryptCost) || bcryptCost < BCRYPT_COST.min || bcryptCost > BCRYPT_COST.max) {
    throw new ConfigError(
      `bcryptCost must be an integer from ${BCRYPT_COST.min} to ${BCRYPT_COST.max} (got ${String(bcryptCost)}); use the highest cost among your stored bcrypt hashes, or leave it out for 10`,
    )
  }
  const passwordWork = { scrypt: cost, bcryptCost }
  const runner = new QueryRunner(db)
  const updatedAt = updatedAtFor(capabilitiesOf(db).triggers)

  const byId = <Q>(query: Q) => (query as any).where('id', '=', placeholder<string>('id')) as Q

  async function one(key: string, build: () => any, values: Record<string, unknown>, context = {}, route?: Route) {
    const { rows } = await runner.run<User>(key, build, { now: updatedAt.bind(), ...values }, context, route)
    const user = rows[0]
    if (!user) throw new NotFoundError(`User ${String(values.id)} does not exist`)
    return user
  }

  return traceCalls<UserStore>(
    {
      async createUser(input) {
        const user = parseInput(userInputSchema, input)
        const id = user.id ?? randomUUID()
        const passwordHash =
          user.password !== undefined ? await hashPassword(user.password, cost) : (user.passwordHash ?? null)
        const { rows } = await runner.run<User>(
          'createUser',
          () =>
            db
              .insertInto('users')
              .values({
                id: placeholder('id'),
                email: placeholder('email'),
                name: placeholder('name'),
                password_hash: placeholder('passwordHash'),
              })
              .returning(USER_COLUMNS),
          { id, email: user.email, name: user.name ?? null, passwordHash },
          {
            duplicate: {
              email: `A user with email ${user.email} already exists`,
              id: `A user with id ${id} already exists`,
            },
          },
          { write: [id] },
        )
        return rows[0]!
      },

      async getUser(id) {
        const userId = parseUserId(id, 'id')
        return one(
          'getUser',
          () => byId(db.selectFrom('users').select(USER_COLUMNS)),
          { id: userId },
          {},
          { read: userId },
        )
      },

      async findUserByEmail(email) {
        const address = parseArgument(emailSchema, email, 'email')
        const { rows } = await runner.run<User>(
          'findUserByEmail',
          () => db.selectFrom('users').select(USER_COLUMNS).where('email', '=', placeholder<string>('email')),
          { email: address },
          {},
          { read: ANY_USER },
        )
        return rows[0] ?? null
      },

      async updateUser(id, patch) {
        const userId = parseUserId(id, 'id')
        const changes = parseInput(userPatchSchema, patch)
        const passwordHash = changes.password === undefined ? undefined : await hashPassword(changes.password, cost)
        const fields = (['email', 'name', 'isActive', 'emailVerified', 'password'] as const).filter(
          (field) => changes[field] !== undefined,
        )
        return one(
          `updateUser:${fields.join(',')}`,
          () =>
            byId(
              db
                .updateTable('users')
                .set({
                  ...(changes.email !== undefined && { email: placeholder('email') }),
                  ...(changes.name !== undefined && { name: placeholder('name') }),
                  ...(changes.isActive !== undefined && { is_active: placeholder('isActive') }),
                  ...(changes.emailVerified !== undefined && { email_verified: placeholder('emailVerified') }),
                  ...(passwordHash !== undefined && { password_hash: placeholder('passwordHash') }),
                  updated_at: updatedAt.value,
                })
                .returning(USER_COLUMNS),
            ),
          { ...changes, id: userId, passwordHash },
          { duplicate: { email: `A user with email ${changes.email} already exists` } },
          { write: [userId] },
        )
      },

      async deleteUser(id) {
        const userId = parseUserId(id, 'id')
        return one(
          'deleteUser',
          () => byId(db.deleteFrom('users').returning(USER_COLUMNS)),
          { id: userId },
          {},
          {
            write: [userId],
          },
        )
      },

      async verifyPassword(email, password) {
        const address = parseArgument(emailSchema, email, 'email')
        if (typeof password !== 'string' || codePointLength(password) > 1024) {
          throw new ValidationError([{ path: ['password'], message: 'must be a string of at most 1024 characters' }])
        }
        const { rows } = await runner.run<User & { passwordHash: string | null }>(
          'findCredentials',
          () =>
            db
              .selectFrom('users')
              .select([...USER_COLUMNS, 'password_hash as passwordHash'])
              .where('email', '=', placeholder<string>('email')),
          { email: address },
        )
        const found = rows[0]
        // checked even when no user was found: the work must not depend on it
        const { match, needsUpgrade } = await checkPassword(password, found?.passwordHash ?? null, passwordWork)
        if (!found || !match) return null
        const { passwordHash, ...user } = found
        if (!needsUpgrade) return user
        const upgraded = await hashPassword(password, cost)
        return one(
          'upgradePasswordHash',
          () =>
            byId(
              db
                .updateTable('users')
                .set({ password_hash: placeholder('passwordHash'), updated_at: updatedAt.value })
                .where('password_hash', '=', placeholder<string>('previousHash'))
                .returning(USER_COLUMNS),
            ),
          { id: user.id, passwordHash: upgraded, previousHash: passwordHash },
        ).catch(() => user)
      },
    },
    () => databaseAttributes(db),
  )
}
