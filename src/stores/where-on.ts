import type { WhereInterface } from 'kysely'
import type { Database } from '../db/taskstore-database.js'

/**
 * A select, update or delete on `Table` whose `where` on `Column` returns
 * the same kind of statement, `Q`: what a helper that scopes any of them
 * takes and gives back. Kysely's `WhereInterface` holds it to the table;
 * the signature before it says what `where` returns.
 *
 * @example
 * ```ts
 * import { placeholder } from './query-template.js'
 * const byId = <Q extends WhereOn<'users', 'id', Q>>(query: Q): Q => query.where('id', '=', placeholder<string>('id'))
 * const query = byId(db.deleteFrom('users'))
 * ```
 */
export type WhereOn<Table extends keyof Database, Column extends keyof Database[Table] & string, Q> = {
  where(column: Column, operator: '=', value: unknown): Q
} & WhereInterface<Database, Table>
