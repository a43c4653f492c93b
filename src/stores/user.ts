import type { UserInput, UserPatch } from '../validation/index.js'
import type { ScryptCost } from './password-hashing.js'

/** A user as the store returns it. Never carries the password hash. */
export interface User {
  id: string
  email: string
  name: string | null
  isActive: boolean
  emailVerified: boolean
  createdAt: Date
  updatedAt: Date
}

/** Options of `createUserStore`. */
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
