import { randomUUID } from 'node:crypto'
import type { Compilable, Kysely, Transaction } from 'kysely'
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
  userInputSchema,
  userPatchSchema,
} from '../validation/index.js'
import { BCRYPT_COST, DEFAULT_BCRYPT_COST } from './bcrypt-hash.js'
import { checkPassword } from './password-check.js'
import { hashPassword, OWASP_SCRYPT_COST } from './password-hashing.js'
import { patchAssignments } from './patch-assignments.js'
import { type QueryBuild, QueryRunner, type Route } from './query-runner.js'
import { placeholder } from './query-template.js'
import { updatedAtFor } from './updated-at.js'
import type { User, UserStore, UserStoreOptions } from './user.js'
import type { WhereOn } from './where-on.js'

const USER_COLUMNS = [
  'id',
  'email',
  'name',
  'is_active as isActive',
  'email_verified as emailVerified',
  'created_at as createdAt',
  'updated_at as updatedAt',
] as const

// The column each field of a user patch sets; the password is set as its hash.
const USER_PATCH_COLUMNS = {
  email: 'email',
  name: 'name',
  isActive: 'is_active',
  emailVerified: 'email_verified',
  passwordHash: 'password_hash',
} as const satisfies Record<string, keyof Database['users']>

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

  const byId = <Q extends WhereOn<'users', 'id', Q>>(query: Q): Q => query.where('id', '=', placeholder<string>('id'))

  async function one(key: string, build: QueryBuild, values: Record<string, unknown>, context = {}, route?: Route) {
    const { rows } = await runner.run<User>(key, build, { now: updatedAt.bind(), ...values }, context, route)
    const user = rows[0]
    if (!user) throw new NotFoundError(`User ${String(values.id)} does not exist`)
    return user
  }

  // A statement on one user that binds nothing but the id.
  const oneById = <Q extends WhereOn<'users', 'id', Q> & Compilable<User>>(
    key: string,
    userId: string,
    route: Route,
    build: () => Q,
  ) => one(key, () => byId(build()), { id: userId }, {}, route)

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
        return oneById('getUser', userId, { read: userId }, () => db.selectFrom('users').select(USER_COLUMNS))
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
        const values = { ...changes, id: userId, passwordHash }
        const { fields, set } = patchAssignments(values, USER_PATCH_COLUMNS, updatedAt)
        return one(
          `updateUser:${fields}`,
          () => byId(db.updateTable('users').set(set()).returning(USER_COLUMNS)),
          values,
          { duplicate: { email: `A user with email ${changes.email} already exists` } },
          { write: [userId] },
        )
      },

      async deleteUser(id) {
        const userId = parseUserId(id, 'id')
        return oneById('deleteUser', userId, { write: [userId] }, () => db.deleteFrom('users').returning(USER_COLUMNS))
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
