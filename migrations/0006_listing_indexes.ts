import { type Kysely, sql } from 'kysely'
import type { MigrationContext } from './migration.js'

/** One index per sort key behind equality on both filters, so each (completed, priority) range is in sort order. */
const FILTERED_INDEXES: ReadonlyArray<readonly [name: string, columns: string[]]> = [
  ['tasks_filtered_created_at_idx', ['user_id', 'completed', 'priority', 'created_at', 'id']],
  ['tasks_filtered_updated_at_idx', ['user_id', 'completed', 'priority', 'updated_at', 'id']],
  ['tasks_filtered_title_idx', ['user_id', 'completed', 'priority', 'title', 'id']],
  ['tasks_filtered_completed_at_idx', ['user_id', 'completed', 'priority', 'completed_at', 'id']],
  ['tasks_filtered_priority_idx', ['user_id', 'completed', 'priority', 'id']],
]

/** 0002's indexes that the filtered ones serve as well. */
const REPLACED_INDEXES: ReadonlyArray<readonly [name: string, columns: string[]]> = [
  ['tasks_user_id_completed_idx', ['user_id', 'completed', 'created_at desc', 'id desc']],
  ['tasks_user_id_priority_idx', ['user_id', 'priority desc', 'id desc']],
]

const SEARCH_INDEX = 'tasks_search_idx'
const SEARCH_EXTENSIONS = ['pg_trgm', 'btree_gin'] as const

/**
 * Indexes that bound every listing by its page, whatever the user's task
 * count. A listing filtered by `completed`, `priority` or both reads the
 * ranges of `(user_id, completed, priority, <sort key>, id)` that match,
 * each already in order, and merges them (`task-listing.ts`): one range
 * with both filters, two or five with one, and two (one per value of
 * `completed`) for a priority sort with none. Other unfiltered listings
 * keep 0002's `(user_id, <sort key>, id)` indexes: merging ten ranges
 * instead cost their pages about 2 ms of planning. The two indexes these
 * make redundant go, so a write maintains three more B-trees than before,
 * plus the trigram index.
 *
 * `search` of three characters or more is served by a trigram GIN index
 * over `(user_id, title, description)` (extensions `pg_trgm` and
 * `btree_gin`, both trusted). Where they are not installed and the role
 * may not create them (no CREATE on the database or on the first schema
 * of the search path), or the server does not ship them, the step leaves
 * the index out instead of failing, and searches read the user's rows in
 * sort order; a superuser can install the extensions and create the index
 * later (see docs/reliability.md). pg-mem has neither extension, and its
 * listings are one ordered query that reads none of these indexes, so it
 * gets none of them: there they would only slow every write.
 */
export const description = 'indexes for every filtered listing and a trigram index for search'

export async function up(db: Kysely<any>, context: MigrationContext) {
  if (!context.readsListingRanges) return
  for (const [name, columns] of FILTERED_INDEXES) {
    await db.schema.createIndex(name).on('tasks').columns(columns).execute()
  }
  for (const [name] of REPLACED_INDEXES) await db.schema.dropIndex(name).execute()
  if (!context.supportsExtensions) return
  const operators = await trigramOperators(db)
  if (operators === null) return
  await sql`
    create index ${sql.id(SEARCH_INDEX)} on ${sql.id(context.schema, 'tasks')}
    using gin (user_id, title ${operators}, description ${operators})`.execute(db)
}

export async function down(db: Kysely<any>, context: MigrationContext) {
  if (!context.readsListingRanges) return
  // The extensions stay: other objects in the database may use them.
  if (context.supportsExtensions) await db.schema.dropIndex(SEARCH_INDEX).ifExists().execute()
  for (const [name, columns] of REPLACED_INDEXES) {
    await db.schema.createIndex(name).on('tasks').columns(columns).execute()
  }
  for (const [name] of FILTERED_INDEXES) await db.schema.dropIndex(name).execute()
}

/**
 * `gin_trgm_ops`, qualified with the schema pg_trgm lives in, once both
 * extensions are there; null when they are not and cannot be created.
 * Checked before trying, because a failed statement would abort the
 * migration's transaction. A new extension goes into the first schema of
 * the search path (normally `public`), never the store's own: dropping
 * that schema would drop the extension, and with it every other schema's
 * index that uses it.
 */
async function trigramOperators(db: Kysely<any>) {
  let found = await searchExtensions(db)
  if (SEARCH_EXTENSIONS.some((name) => found.get(name)?.schema === null)) {
    // Two schemas migrating at once would both create it, and one would fail; the second waits and finds it.
    await sql`select pg_advisory_xact_lock(hashtext('taskstore_extensions'))`.execute(db)
    found = await searchExtensions(db)
  }
  for (const name of SEARCH_EXTENSIONS) {
    const row = found.get(name)
    if (!row || (row.schema === null && !row.creatable)) return null
  }
  for (const name of SEARCH_EXTENSIONS) {
    if (found.get(name)!.schema === null) await sql`create extension if not exists ${sql.id(name)}`.execute(db)
  }
  const { rows } = await sql<{ schema: string }>`
    select extnamespace::regnamespace::text as schema from pg_extension where extname = 'pg_trgm'`.execute(db)
  return sql`${sql.raw(rows[0]!.schema)}.gin_trgm_ops`
}

interface ExtensionState {
  /** Where it is installed, or null when it is not. */
  readonly schema: string | null
  /** Whether this role may create it here. */
  readonly creatable: boolean
}

/** The search extensions the server ships, each with where it is installed and whether this role may install it. */
async function searchExtensions(db: Kysely<any>): Promise<Map<string, ExtensionState>> {
  const { rows } = await sql<ExtensionState & { name: string }>`
    select a.name, n.nspname as schema,
           coalesce(current_schema() is not null
             and has_database_privilege(current_database(), 'CREATE')
             and has_schema_privilege(current_schema(), 'CREATE')
             and (v.trusted or (select rolsuper from pg_roles where rolname = current_user)), false) as creatable
    from pg_available_extensions a
    join pg_available_extension_versions v on v.name = a.name and v.version = a.default_version
    left join pg_extension e on e.extname = a.name
    left join pg_namespace n on n.oid = e.extnamespace
    where a.name in (${sql.join(SEARCH_EXTENSIONS.map((name) => sql.lit(name)))})`.execute(db)
  return new Map(rows.map((row) => [row.name, row]))
}
