import { type Kysely, sql } from 'kysely'
import type { MigrationContext } from './migration.js'

/**
 * Tasks, owned by a user and removed with them. Every index leads with
 * `user_id`, so no user-scoped query reads another user's rows; one index
 * per sort key lets keyset pages start at the cursor instead of sorting.
 */
export const description = 'tasks table, its constraints and one index per sort key'

export async function up(db: Kysely<any>, _context: MigrationContext) {
  await db.schema
    .createTable('tasks')
    .addColumn('id', 'integer', (col) => col.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('user_id', 'varchar(36)', (col) => col.notNull().references('users.id').onDelete('cascade'))
    // text with code-point CHECKs: pg-mem counts varchar(n) in UTF-16 units
    .addColumn('title', 'text', (col) => col.notNull())
    .addColumn('description', 'text')
    .addColumn('completed', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('completed_at', sql`timestamptz(3)`)
    .addColumn('priority', 'smallint', (col) => col.notNull().defaultTo(3))
    .addColumn('created_at', sql`timestamptz(3)`, (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', sql`timestamptz(3)`, (col) => col.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('tasks_title_check', sql`char_length(btrim(title)) between 1 and 200 and title = btrim(title)`)
    .addCheckConstraint('tasks_description_check', sql`char_length(description) <= 1000`)
    .addCheckConstraint('tasks_priority_check', sql`priority between 1 and 5`)
    .addCheckConstraint('tasks_completed_at_check', sql`completed = (completed_at is not null)`)
    .execute()

  const indexes: Array<[name: string, columns: string[]]> = [
    ['tasks_user_id_created_at_idx', ['user_id', 'created_at desc', 'id desc']],
    ['tasks_user_id_completed_idx', ['user_id', 'completed', 'created_at desc', 'id desc']],
    ['tasks_user_id_updated_at_idx', ['user_id', 'updated_at desc', 'id desc']],
    ['tasks_user_id_priority_idx', ['user_id', 'priority desc', 'id desc']],
    ['tasks_user_id_title_idx', ['user_id', 'title', 'id']],
    ['tasks_user_id_completed_at_idx', ['user_id', 'completed_at', 'id']],
    ['tasks_created_at_idx', ['created_at desc', 'id desc']],
  ]
  for (const [name, columns] of indexes) {
    await db.schema.createIndex(name).on('tasks').columns(columns).execute()
  }
}

export async function down(db: Kysely<any>) {
  await db.schema.dropTable('tasks').execute()
}
