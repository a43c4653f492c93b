import type { Kysely } from 'kysely'

/** The schema taskstore's tables live in when nothing else is said. */
export const DEFAULT_SCHEMA = 'public'

/** Valid unquoted Postgres identifiers; schema names are checked against it before use. */
export const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/

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
