// A host service as a user writes it: its own Kysely, its own table beside
// taskstore's, one database type for both, and no cast anywhere. Type-checked
// under strict settings and run, against the installed package, for the
// lowest and the highest Kysely the peer range allows.
import assert from 'node:assert/strict'
import type { Generated, Kysely, Transaction } from 'kysely'
import {
  checkHealth,
  createTaskStore,
  createUserStore,
  type Database,
  migrateToLatest,
  migrationStatus,
  type Task,
} from 'taskstore'
import { createMemoryDatabase } from 'taskstore/testing'

interface Projects {
  id: Generated<number>
  owner_id: string
  name: string
}

type AppDB = Database & { projects: Projects }

async function addProject(trx: Transaction<AppDB>, ownerId: string, name: string): Promise<Task> {
  const project = await trx
    .insertInto('projects')
    .values({ owner_id: ownerId, name })
    .returning(['id', 'name'])
    .executeTakeFirstOrThrow()
  return createTaskStore(trx).createTask(ownerId, { title: `Kick off ${project.name}` })
}

const base = await createMemoryDatabase()
// The host's own instance, typed with its own tables, over the same connection.
const db: Kysely<AppDB> = base.withTables<{ projects: Projects }>()
await migrateToLatest(db)
await db.schema
  .createTable('projects')
  .addColumn('id', 'serial', (col) => col.primaryKey())
  .addColumn('owner_id', 'varchar(36)', (col) => col.notNull().references('users.id'))
  .addColumn('name', 'text', (col) => col.notNull())
  .execute()

const owner = await createUserStore(db).createUser({ email: 'host@example.com' })
const task = await db.transaction().execute((trx) => addProject(trx, owner.id, 'Apollo'))
assert.equal(task.title, 'Kick off Apollo')
assert.equal((await createTaskStore(db).countTasks(owner.id)).total, 1)
// A query built from request parameters, each possibly undefined, under exactOptionalPropertyTypes.
const request: { readonly cursor?: string | undefined; readonly search?: string | undefined } = {}
const page = await createTaskStore(db).getTasks(owner.id, { search: request.search, cursor: request.cursor, limit: 1 })
// the last page's null cursor, passed on as undefined: the first page again
const again = await createTaskStore(db).getTasks(owner.id, { cursor: page.nextCursor ?? undefined })
assert.equal(page.nextCursor, null)
assert.deepEqual(
  [...page.items, ...again.items].map((item) => item.id),
  [task.id, task.id],
)
const projects = await db.selectFrom('projects').select('name').execute()
assert.deepEqual(
  projects.map((row) => row.name),
  ['Apollo'],
)
assert.ok((await migrationStatus(db)).every((step) => step.executedAt !== null))
assert.equal((await checkHealth(db)).ok, true)
await db.destroy()
console.log('host-app: one database type for the host and taskstore, no cast, works')
