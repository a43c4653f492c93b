// The users each store write is for, by the compiled query that carries it.
const MARKS = new WeakMap<object, readonly string[]>()

/**
 * Notes that a compiled store statement writes data of `users`, so that a
 * transaction running it records read-your-writes tokens for them when it
 * commits.
 *
 * @example
 * ```ts
 * const query = { sql: 'delete from tasks where user_id = $1', parameters: ['u1'] }
 * markWrite(query, ['u1'])
 * writeMarkOf(query) // ['u1']
 * ```
 */
export function markWrite<T extends object>(query: T, users: readonly string[]): T {
  MARKS.set(query, users)
  return query
}

/** The users a compiled statement was marked as writing for, if any. */
export function writeMarkOf(query: object): readonly string[] | undefined {
  return MARKS.get(query)
}

/** What a database does when a transaction with marked writes has committed. */
export interface CommitListener {
  /** Called with the users written for, before the commit resolves for its caller. */
  committed(users: ReadonlySet<string>): void
}
