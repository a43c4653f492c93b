import type { Kysely } from 'kysely'
import { ConfigError } from '../errors/index.js'

/** The schema taskstore's tables live in when nothing else is said. */
export const DEFAULT_SCHEMA = 'public'

/**
 * The only schema names taskstore accepts: plain lower-case identifiers of
 * at most 63 bytes (Postgres's limit; all of these characters are one byte).
 * Anything else would need quoting, would name another schema than the one
 * written (`PUBLIC` is not `public`), or breaks SQL built from it (`$$`).
 */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/

/**
 * Returns the schema name when it matches {@link SCHEMA_NAME}, before any
 * SQL uses it.
 *
 * @throws {ConfigError} naming the rule, for anything else.
 * @example
 * ```ts
 * checkSchemaName('taskstore') // 'taskstore'
 * checkSchemaName('PUBLIC') // throws ConfigError
 * ```
 */
export function checkSchemaName(schema: unknown): string {
  if (typeof schema === 'string' && SCHEMA_NAME.test(schema)) return schema
  const shown = typeof schema === 'string' ? JSON.stringify(schema.slice(0, 80)) : String(schema)
  throw new ConfigError(
    `Invalid schema name ${shown}: use a plain lower-case identifier, [a-z_][a-z0-9_]* and at most 63 characters (e.g. "taskstore").`,
  )
}

const PROBE_TABLE = 'taskstore_schema_probe'

interface ProbedNode {
  readonly from?: {
    readonly froms?: ReadonlyArray<{ readonly table?: { readonly schema?: { readonly name?: string } } }>
  }
}

/**
 * The schema a database's queries go to: the one set by `createDatabase`'s
 * `schema` option or any later `withSchema(…)`, read from how Kysely
 * compiles a query (so transactions and re-scoped instances report the
 * right one), else `public`. Compiling runs no SQL.
 */
export function schemaOf(db: Kysely<any>): string {
  const compiled = db.selectFrom(PROBE_TABLE).selectAll().compile()
  const node = compiled.query as ProbedNode
  return node.from?.froms?.[0]?.table?.schema?.name ?? DEFAULT_SCHEMA
}
