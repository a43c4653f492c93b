/**
 * A host service that embeds taskstore beside its own table:
 *
 * - taskstore's tables live in the schema `taskstore`, the host's own in `app`;
 * - the host's `app.projects` references `taskstore.users`;
 * - each side runs its own migrations with its own migration table
 *   (`taskstore.taskstore_migration`, and Kysely's `app.kysely_migration`);
 * - one transaction writes a project and its first task: both or neither.
 *
 *   npx tsx examples/host-service.ts                      # embedded Postgres, in memory
 *   DATABASE_URL=postgres://… npx tsx examples/host-service.ts
 */
import { type Generated, type Kysely, sql, type Transaction } from 'kysely'
import { type Migration, Migrator } from 'kysely/migration'
import {
  createDatabase,
  createTaskStore,
  createUserStore,
  type Database,
  migrateToLatest,
  type Task,
} from '../src/index.js'
import { createEmbeddedDatabase } from '../src/testing/index.js'

interface Projects {
  id: Generated<number>
  owner_id: string
  name: string
}

/** One type for taskstore's tables and the host's own, schema-qualified. */
type AppDB = Database & { 'app.projects': Projects }

/** The host's own migrations, run by Kysely's Migrator with its own migration table in `app`. */
const HOST_MIGRATIONS: Record<string, Migration> = {
  '0001_projects': {
    async up(db: Kysely<any>) {
      await db.schema.createSchema('app').ifNotExists().execute()
      await db.schema
        .withSchema('app')
        .createTable('projects')
        .addColumn('id', 'integer', (col) => col.primaryKey().generatedAlwaysAsIdentity())
        .addColumn('owner_id', 'varchar(36)', (col) =>
          col.notNull().references('taskstore.users.id').onDelete('cascade'),
        )
        .addColumn('name', 'text', (col) => col.notNull())
        .execute()
    },
    async down(db: Kysely<any>) {
      await db.schema.withSchema('app').dropTable('projects').execute()
    },
  },
}

async function migrateHostTables(db: Kysely<AppDB>): Promise<void> {
  const migrator = new Migrator({
    // the host's migrations name their schemas themselves
    db: db.withoutPlugins(),
    provider: { getMigrations: async () => HOST_MIGRATIONS },
    migrationTableSchema: 'app',
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error) throw error
  for (const result of results ?? []) console.log(`host migration ${result.migrationName}: ${result.status}`)
}

/** A project and its kick-off task, in one transaction. */
async function startProject(trx: Transaction<AppDB>, ownerId: string, name: string): Promise<Task> {
  await trx.insertInto('app.projects').values({ owner_id: ownerId, name }).execute()
  return createTaskStore(trx).createTask(ownerId, { title: `Kick off ${name}`, priority: 1 })
}

async function open(): Promise<Kysely<AppDB>> {
  if (!process.env.DATABASE_URL) {
    return (await createEmbeddedDatabase({ schema: 'taskstore' })).withTables<{ 'app.projects': Projects }>()
  }
  const db = createDatabase({ schema: 'taskstore' }).withTables<{ 'app.projects': Projects }>()
  await migrateToLatest(db)
  return db
}

async function main(): Promise<void> {
  const db = await open()
  try {
    await migrateHostTables(db)
    const users = createUserStore(db)
    const email = `owner-${Date.now()}@example.com`
    const owner = await users.createUser({ email, name: 'Owner' })

    const task = await db.transaction().execute((trx) => startProject(trx, owner.id, 'Apollo'))
    console.log(`committed: project Apollo and task ${task.id} "${task.title}"`)

    await db
      .transaction()
      .execute(async (trx) => {
        await startProject(trx, owner.id, 'Gemini')
        throw new Error('budget refused')
      })
      .catch((error: Error) => console.log(`rolled back (${error.message}): no Gemini project, no Gemini task`))

    const projects = await db.selectFrom('app.projects').select('name').where('owner_id', '=', owner.id).execute()
    const { total } = await createTaskStore(db).countTasks(owner.id)
    console.log(`projects: ${projects.map((project) => project.name).join(', ')}; tasks: ${total}`)
    const tables = await sql<{ table: string }>`
      select table_schema || '.' || table_name as table from information_schema.tables
      where table_name like '%migration' and table_schema in ('app', 'taskstore') order by 1`.execute(db)
    console.log(`migration tables: ${tables.rows.map((row) => row.table).join(', ')}`)
    await users.deleteUser(owner.id)
  } finally {
    await db.destroy()
  }
}

await main()
