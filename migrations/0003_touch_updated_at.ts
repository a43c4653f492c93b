import { type Kysely, sql } from 'kysely'
import type { MigrationContext } from './migration.js'

const FUNCTION_NAME = 'taskstore_touch_updated_at'

/**
 * Keeps `updated_at` current for every UPDATE, including ones a host runs
 * with its own SQL. `greatest` keeps it moving forward even when the
 * statement sets it explicitly to an older value.
 */
export const description = 'trigger keeping updated_at current on every update (real Postgres only)'

export async function up(db: Kysely<any>, { schema, supportsTriggers }: MigrationContext) {
  if (!supportsTriggers) return
  const fn = sql.id(schema, FUNCTION_NAME)
  await sql`
    create function ${fn}() returns trigger language plpgsql as $$
    begin
      new.updated_at := greatest(now(), old.updated_at + interval '1 millisecond');
      return new;
    end
    $$`.execute(db)
  for (const table of ['users', 'tasks']) {
    await sql`
      create trigger ${sql.id(`${table}_touch_updated_at`)}
      before update on ${sql.id(schema, table)}
      for each row execute function ${fn}()`.execute(db)
  }
}

export async function down(db: Kysely<any>, { schema, supportsTriggers }: MigrationContext) {
  if (!supportsTriggers) return
  for (const table of ['users', 'tasks']) {
    await sql`drop trigger ${sql.id(`${table}_touch_updated_at`)} on ${sql.id(schema, table)}`.execute(db)
  }
  await sql`drop function ${sql.id(schema, FUNCTION_NAME)}()`.execute(db)
}
