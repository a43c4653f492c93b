import { type Kysely, sql } from 'kysely'
import * as taskCounts from './0004_task_counts.js'
import type { MigrationContext } from './migration.js'

const DELTAS = 'task_count_deltas'
const GUARD_TRIGGER = 'task_count_deltas_guard'
const GUARD_FUNCTION = 'taskstore_count_deltas_guard'
const TASK_TRIGGERS = ['inserted', 'deleted', 'updated', 'truncated'] as const

const taskTrigger = (event: (typeof TASK_TRIGGERS)[number]) => `tasks_count_deltas_${event}`
const taskFunction = (event: (typeof TASK_TRIGGERS)[number]) => `taskstore_count_deltas_${event}`

/**
 * Replaces 0004's per-user counter rows, which every write updated in place
 * (so writers for one user waited for each other, two transactions writing
 * for two users in opposite orders deadlocked, and REPEATABLE READ and
 * SERIALIZABLE writers failed with 40001), with an append-only table of
 * per-user deltas. The triggers only ever INSERT into it: no row is shared,
 * so a write takes no lock besides its own rows'. `countTasks` sums the
 * user's deltas and, once there are many, folds them into one row in its own
 * READ COMMITTED transaction, skipping rows another fold holds.
 *
 * An insert or delete statement adds one delta per user it touched (a bulk
 * insert, `clearCompleted` or a cascade from `deleteUser` is one row per
 * user). An update adds one per task whose `completed` or owner it changed,
 * from a row trigger whose WHEN clause skips every other row without a
 * call: a statement trigger would run its query for every update, and
 * single-task updates (`toggleComplete`, `updateTask`) are the common ones.
 * TRUNCATE empties the deltas.
 *
 * Every trigger fires ALWAYS, so writes made under
 * `session_replication_role = replica` are counted too. Deltas are written
 * only from inside these triggers: a guard drops rows inserted into the
 * table any other way, such as a data-only restore into a database the app
 * already migrated, which loads the tasks those rows counted as well (and
 * the triggers count them). Ids are random, not from a sequence such a
 * restore would rewind. The counts are taken afresh from the tasks, so
 * counts 0004 had let drift come out exact. pg-mem has no triggers: there
 * the store counts the rows.
 */
export const description = 'task_count_deltas: append-only per-user count deltas kept by triggers (real Postgres only)'

export async function up(db: Kysely<any>, context: MigrationContext) {
  const { schema, supportsTriggers } = context
  if (!supportsTriggers) return
  await taskCounts.down(db, context)
  const deltas = sql.id(schema, DELTAS)
  const tasks = sql.id(schema, 'tasks')

  await db.schema
    .createTable(DELTAS)
    .addColumn('user_id', 'varchar(36)', (col) => col.notNull())
    .addColumn('id', 'uuid', (col) => col.notNull().defaultTo(sql`gen_random_uuid()`))
    .addColumn('total', 'integer', (col) => col.notNull())
    .addColumn('completed', 'integer', (col) => col.notNull())
    // countTasks reads one user's rows through it; a logical replica applies a fold's deletes by it
    .addPrimaryKeyConstraint(`${DELTAS}_pkey`, ['user_id', 'id'])
    .execute()

  const functions = {
    inserted: sql`
      insert into ${deltas} (user_id, total, completed)
      select user_id, count(*), count(*) filter (where completed) from inserted group by user_id;`,
    deleted: sql`
      insert into ${deltas} (user_id, total, completed)
      select user_id, -count(*), -count(*) filter (where completed) from deleted group by user_id;`,
    // A move counts against the old owner and for the new one.
    updated: sql`
      if old.user_id = new.user_id then
        insert into ${deltas} (user_id, total, completed)
        values (new.user_id, 0, new.completed::int - old.completed::int);
      else
        insert into ${deltas} (user_id, total, completed)
        values (old.user_id, -1, -old.completed::int), (new.user_id, 1, new.completed::int);
      end if;`,
    // Not MVCC-safe, exactly like the TRUNCATE of tasks that fires it.
    truncated: sql`truncate ${deltas};`,
  }
  for (const event of TASK_TRIGGERS) {
    await sql`
      create function ${sql.id(schema, taskFunction(event))}() returns trigger language plpgsql as $$
      begin
        ${functions[event]}
        return null;
      end
      $$`.execute(db)
  }

  const run = (event: (typeof TASK_TRIGGERS)[number]) => sql`execute function ${sql.id(schema, taskFunction(event))}()`
  await sql`
    create trigger ${sql.id(taskTrigger('inserted'))} after insert on ${tasks}
    referencing new table as inserted for each statement ${run('inserted')}`.execute(db)
  await sql`
    create trigger ${sql.id(taskTrigger('deleted'))} after delete on ${tasks}
    referencing old table as deleted for each statement ${run('deleted')}`.execute(db)
  // No column list (`update of completed, user_id`): a host's BEFORE trigger may change either column.
  await sql`
    create trigger ${sql.id(taskTrigger('updated'))} after update on ${tasks}
    for each row when (old.completed is distinct from new.completed or old.user_id is distinct from new.user_id)
    ${run('updated')}`.execute(db)
  await sql`
    create trigger ${sql.id(taskTrigger('truncated'))} after truncate on ${tasks}
    for each statement ${run('truncated')}`.execute(db)
  for (const event of TASK_TRIGGERS) {
    await sql`alter table ${tasks} enable always trigger ${sql.id(taskTrigger(event))}`.execute(db)
  }

  // Every task there is, before the guard exists (this insert is not made by a trigger).
  await sql`
    insert into ${deltas} (user_id, total, completed)
    select user_id, count(*), count(*) filter (where completed) from ${tasks} group by user_id`.execute(db)

  await sql`
    create function ${sql.id(schema, GUARD_FUNCTION)}() returns trigger language plpgsql as $$
    begin
      return null;
    end
    $$`.execute(db)
  // The count triggers insert from inside a trigger on tasks (depth 1 or more); the WHEN clause, evaluated
  // without calling the function, lets their rows through at no cost and sends only other inserts to it.
  await sql`
    create trigger ${sql.id(GUARD_TRIGGER)} before insert on ${deltas}
    for each row when (pg_trigger_depth() = 0) execute function ${sql.id(schema, GUARD_FUNCTION)}()`.execute(db)
  await sql`alter table ${deltas} enable always trigger ${sql.id(GUARD_TRIGGER)}`.execute(db)
}

export async function down(db: Kysely<any>, context: MigrationContext) {
  const { schema, supportsTriggers } = context
  if (!supportsTriggers) return
  const tasks = sql.id(schema, 'tasks')
  for (const event of TASK_TRIGGERS) {
    await sql`drop trigger ${sql.id(taskTrigger(event))} on ${tasks}`.execute(db)
    await sql`drop function ${sql.id(schema, taskFunction(event))}()`.execute(db)
  }
  await db.schema.dropTable(DELTAS).execute()
  await sql`drop function ${sql.id(schema, GUARD_FUNCTION)}()`.execute(db)
  // 0004's table, functions and triggers, its counts taken afresh from the tasks.
  await taskCounts.up(db, context)
}
