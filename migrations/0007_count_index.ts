import type { Kysely } from 'kysely'
import type { MigrationContext } from './migration.js'

const COUNT_INDEX = 'tasks_user_id_completed_count_idx'

/**
 * Where there are no triggers (pg-mem), there are no count deltas either and
 * `countTasks` counts the user's rows. pg-mem uses an index only when its
 * columns are exactly the ones a query looks up, so none of the indexes that
 * lead with `user_id` serve `where user_id = $1`: without this one every
 * count read every user's tasks. With it, the memory database answers the
 * count from the sizes of the index entries `(user_id, false)` and
 * `(user_id, true)`, which pg-mem keeps up to date through every write,
 * cascade and rollback. On Postgres the deltas serve the counts, so the
 * index would only slow writes: it is not built there.
 */
export const description = 'tasks(user_id, completed), which the memory database counts from (pg-mem only)'

export async function up(db: Kysely<any>, { supportsTriggers }: MigrationContext) {
  if (supportsTriggers) return
  await db.schema.createIndex(COUNT_INDEX).on('tasks').columns(['user_id', 'completed']).execute()
}

export async function down(db: Kysely<any>, { supportsTriggers }: MigrationContext) {
  if (supportsTriggers) return
  await db.schema.dropIndex(COUNT_INDEX).execute()
}
