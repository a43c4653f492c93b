import { type Kysely, sql } from 'kysely'
import type { MigrationContext } from './migration.js'

/** Users own tasks. Emails are stored trimmed and lower-cased, so a plain unique key is case-insensitive. */
export const description = 'users table with a unique lower-cased email'

export async function up(db: Kysely<any>, _context: MigrationContext) {
  await db.schema
    .createTable('users')
    .addColumn('id', 'varchar(36)', (col) => col.primaryKey())
    .addColumn('email', 'varchar(255)', (col) => col.notNull())
    // text with a code-point CHECK: pg-mem counts varchar(n) in UTF-16 units
    .addColumn('name', 'text')
    .addColumn('password_hash', 'varchar(255)')
    .addColumn('is_active', 'boolean', (col) => col.notNull().defaultTo(true))
    .addColumn('email_verified', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('created_at', sql`timestamptz(3)`, (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', sql`timestamptz(3)`, (col) => col.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('users_email_key', ['email'])
    .addCheckConstraint('users_id_check', sql`char_length(id) between 1 and 36`)
    .addCheckConstraint('users_email_check', sql`email = lower(btrim(email)) and char_length(email) between 3 and 255`)
    .addCheckConstraint('users_name_check', sql`char_length(name) <= 100`)
    .execute()
}

export async function down(db: Kysely<any>) {
  await db.schema.dropTable('users').execute()
}
