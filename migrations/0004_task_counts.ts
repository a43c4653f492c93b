import { type Kysely, sql } from 'kysely'
import type { MigrationContext } from './migration.js'

/**
 * Per-user task counts kept by triggers in the same transaction as the
 * change, so `countTasks` reads one row instead of counting: a plain
 * `count(*)` over a 100,000-task user takes ~10 ms right after VACUUM and
 * ~145 ms once updates leave dead rows behind. Inserts and deletes are
 * counted per statement (one counter update however many rows, e.g.
 * `clearCompleted` or a cascade); updates per row, and only when
 * `completed` or the owner changes. pg-mem has no triggers: there the store
 * counts the rows.
 */
export const description = 'task_counts kept by triggers, so countTasks reads one row (real Postgres only)'

export async function up(db: Kysely<any>, { schema, supportsTriggers }: MigrationContext) {
  if (!supportsTriggers) return
  const counts = sql.id(schema, 'task_counts')
  const tasks = sql.id(schema, 'tasks')
  await db.schema
    .createTable('task_counts')
    .addColumn('user_id', 'varchar(36)', (col) => col.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('total', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('completed', 'integer', (col) => col.notNull().defaultTo(0))
    .execute()

  await sql`
    create function ${sql.id(schema, 'taskstore_count_inserted')}() returns trigger language plpgsql as $$
    begin
      insert into ${counts} as c (user_id, total, completed)
      select user_id, count(*), count(*) filter (where completed) from inserted group by user_id
      on conflict (user_id) do update set total = c.total + excluded.total, completed = c.completed + excluded.completed;
      return null;
    end
    $$`.execute(db)
  await sql`
    create function ${sql.id(schema, 'taskstore_count_deleted')}() returns trigger language plpgsql as $$
    begin
      update ${counts} as c set total = c.total - d.total, completed = c.completed - d.completed
      from (select user_id, count(*) as total, count(*) filter (where completed) as completed
            from deleted group by user_id) as d
      where c.user_id = d.user_id;
      return null;
    end
    $$`.execute(db)
  await sql`
    create function ${sql.id(schema, 'taskstore_count_updated')}() returns trigger language plpgsql as $$
    begin
      update ${counts} set total = total - 1, completed = completed - old.completed::int where user_id = old.user_id;
      insert into ${counts} as c (user_id, total, completed) values (new.user_id, 1, new.completed::int)
      on conflict (user_id) do update set total = c.total + 1, completed = c.completed + excluded.completed;
      return null;
    end
    $$`.execute(db)

  await sql`
    create trigger tasks_count_inserted after insert on ${tasks}
    referencing new table as inserted for each statement
    execute function ${sql.id(schema, 'taskstore_count_inserted')}()`.execute(db)
  await sql`
    create trigger tasks_count_deleted after delete on ${tasks}
    referencing old table as deleted for each statement
    execute function ${sql.id(schema, 'taskstore_count_deleted')}()`.execute(db)
  await sql`
    create trigger tasks_count_updated after update of completed, user_id on ${tasks}
    for each row when (old.completed is distinct from new.completed or old.user_id is distinct from new.user_id)
    execute function ${sql.id(schema, 'taskstore_count_updated')}()`.execute(db)

  // tasks written before this step
  await sql`
    insert into ${counts} (user_id, total, completed)
    select user_id, count(*), count(*) filter (where completed) from ${tasks} group by user_id`.execute(db)
}

export async function down(db: Kysely<any>, { schema, supportsTriggers }: MigrationContext) {
  if (!supportsTriggers) return
  const tasks = sql.id(schema, 'tasks')
  for (const trigger of ['tasks_count_inserted', 'tasks_count_deleted', 'tasks_count_updated']) {
    await sql`drop trigger ${sql.id(trigger)} on ${tasks}`.execute(db)
  }
  for (const fn of ['taskstore_count_inserted', 'taskstore_count_deleted', 'taskstore_count_updated']) {
    await sql`drop function ${sql.id(schema, fn)}()`.execute(db)
  }
  await db.schema.dropTable('task_counts').execute()
}
