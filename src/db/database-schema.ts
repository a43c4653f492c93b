import type { Kysely } from 'kysely'

/** The schema taskstore's tables live in when nothing else is said. */
export const DEFAULT_SCHEMA = 'public'

const SCHEMA_OF = new WeakMap<object, string>()

/** Records which schema a database made by `createDatabase` is scoped to. */
export function rememberSchema(db: Kysely<any>, schema: string): void {
  SCHEMA_OF.set(db, schema)
}

/** The schema `createDatabase` scoped this database to, or `public`. */
export function schemaOf(db: Kysely<any>): string {
  return SCHEMA_OF.get(db) ?? DEFAULT_SCHEMA
}
