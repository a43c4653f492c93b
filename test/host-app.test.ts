import { CamelCasePlugin, type Generated, type Kysely, ParseJSONResultsPlugin, type Transaction } from 'kysely'
import { expect, test } from 'vitest'
import {
  ConfigError,
  createTaskStore,
  createUserStore,
  type Database,
  migrationStatus,
  type TaskStore,
} from '../src/index.js'
import { describeEachBackend } from './support/backends.js'
import { TEST_SCRYPT } from './support/fixtures.js'

interface Projects {
  id: Generated<number>
  owner_id: string
  name: string
}

/** A host's database type: taskstore's tables and its own. */
type AppDB = Database & { projects: Projects }

async function withProjectsTable(db: Kysely<Database>): Promise<Kysely<AppDB>> {
  const app = db.withTables<{ projects: Projects }>()
  await app.schema
    .createTable('projects')
    .addColumn('id', 'serial', (col) => col.primaryKey())
    .addColumn('owner_id', 'varchar(36)', (col) => col.notNull().references('users.id'))
    .addColumn('name', 'text', (col) => col.notNull())
    .execute()
  return app
}

/** What a host does in one transaction: a row of its own and a task through the store. */
async function startProject(trx: Transaction<AppDB>, ownerId: string, name: string) {
  await trx.insertInto('projects').values({ owner_id: ownerId, name }).execute()
  return createTaskStore(trx).createTask(ownerId, { title: `Kick off ${name}` })
}

describeEachBackend(
  "a host's own table and taskstore in one transaction",
  (context) => {
    test('commit together: the host row and the task are both there', async () => {
      const db = await withProjectsTable(context().db)
      const owner = await createUserStore(db, { scrypt: TEST_SCRYPT }).createUser({ email: 'host@example.com' })
      const task = await db.transaction().execute((trx) => startProject(trx, owner.id, 'Apollo'))
      expect(await createTaskStore(db).getTask(owner.id, task.id)).toEqual(task)
      expect(await db.selectFrom('projects').select(['owner_id', 'name']).execute()).toEqual([
        { owner_id: owner.id, name: 'Apollo' },
      ])
      expect((await migrationStatus(db)).every((step) => step.executedAt !== null)).toBe(true)
    })

    test('roll back together: neither the host row nor the task is left', async () => {
      const db = await withProjectsTable(context().db)
      const owner = await createUserStore(db, { scrypt: TEST_SCRYPT }).createUser({ email: 'host@example.com' })
      const failure = new Error('the host changes its mind')
      await expect(
        db.transaction().execute(async (trx) => {
          await startProject(trx, owner.id, 'Gemini')
          throw failure
        }),
      ).rejects.toBe(failure)
      expect(await db.selectFrom('projects').selectAll().execute()).toEqual([])
      expect(await createTaskStore(db).countTasks(owner.id)).toEqual({ total: 0, completed: 0, pending: 0 })
      expect(await createTaskStore(db).getTasks(owner.id)).toEqual({ items: [], nextCursor: null })
    })

    test("the host's plugins apply to its own queries, not to the stores' SQL and rows", async () => {
      const db = context().db.withPlugin(new ParseJSONResultsPlugin()).withPlugin(new CamelCasePlugin())
      const owner = await createUserStore(db, { scrypt: TEST_SCRYPT }).createUser({
        email: 'plugins@example.com',
        name: '{"admin":true}',
      })
      expect(owner.name).toBe('{"admin":true}')
      const tasks = createTaskStore(db)
      const task = await tasks.createTask(owner.id, { title: '[1, 2]', description: '{"x":1}' })
      expect(task).toMatchObject({ title: '[1, 2]', description: '{"x":1}' })
      const inTransaction = await db
        .transaction()
        .execute((trx) => createTaskStore(trx).updateTask(owner.id, task.id, { title: '["done"]' }))
      expect(inTransaction.title).toBe('["done"]')
      expect((await tasks.getTasks(owner.id)).items.map(({ title }) => title)).toEqual(['["done"]'])
      // the host's own query still goes through both plugins
      const rows = await db.selectFrom('tasks').select('title as titleJson').execute()
      expect(rows).toEqual([{ titleJson: ['done'] }])
    })

    test('a store kept past its transaction is a ConfigError that says so, and writes nothing', async () => {
      const db = context().db
      const owner = await createUserStore(db, { scrypt: TEST_SCRYPT }).createUser({ email: 'kept@example.com' })
      let committed: TaskStore | undefined
      await db.transaction().execute(async (trx) => {
        committed = createTaskStore(trx)
      })
      const controlled = await db.startTransaction().execute()
      const rolledBack = createTaskStore(controlled)
      await controlled.rollback().execute()
      for (const [store, ended] of [
        [committed!, 'committed'],
        [rolledBack, 'rolled back'],
      ] as const) {
        const failure = await store.createTask(owner.id, { title: 'too late' }).catch((error: unknown) => error)
        expect(failure).toBeInstanceOf(ConfigError)
        expect((failure as ConfigError).message).toContain(`Transaction is already ${ended}: this store was made on`)
      }
      expect(await createTaskStore(db).countTasks(owner.id)).toEqual({ total: 0, completed: 0, pending: 0 })
    })
  },
  { only: ['memory', 'embedded', 'postgres', 'pgbouncer', 'neon'] },
)
