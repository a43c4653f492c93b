import { type Kysely, sql } from 'kysely'
import { expect, test } from 'vitest'
import {
  createDatabase,
  createTaskStore,
  createUserStore,
  type Database,
  migrateDown,
  migrateToLatest,
} from '../../src/index.js'
import { describeEachBackend, type TestContext } from '../support/backends.js'
import { expectCode, TEST_SCRYPT } from '../support/fixtures.js'
import { relaySettings } from '../support/neon-relay.js'

/** A database on one connection, so the session's prepared statements can be read back through it. */
async function openOneConnection(context: TestContext, preparedStatements?: boolean): Promise<Kysely<Database>> {
  const { connectionString, driver, relayPort } = context.reach!
  return createDatabase({
    connectionString,
    driver,
    ...(relayPort !== undefined && { neon: await relaySettings(relayPort) }),
    schema: context.schema,
    pool: { max: 1 },
    preparedStatements,
  })
}

/** Runs `use` on a database of one connection that prepares its statements, and closes it after. */
async function withPreparedConnection(
  context: TestContext,
  use: (prepared: Kysely<Database>) => Promise<void>,
): Promise<void> {
  const prepared = await openOneConnection(context, true)
  try {
    await use(prepared)
  } finally {
    await prepared.destroy()
  }
}

async function backendPid(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)
  return rows[0]!.pid
}

async function preparedOnSession(db: Kysely<Database>): Promise<Array<{ name: string; statement: string }>> {
  const { rows } = await sql<{ name: string; statement: string }>`
    select name, statement from pg_prepared_statements order by name`.execute(db)
  return rows
}

/** Every store call that sends one statement of its own, twelve times, so a generic plan has had its turn. */
async function exercise(db: Kysely<Database>, email: string) {
  const users = createUserStore(db, { scrypt: TEST_SCRYPT })
  const tasks = createTaskStore(db)
  const user = await users.createUser({ email })
  const created = []
  for (let i = 0; i < 12; i++)
    created.push(await tasks.createTask(user.id, { title: `task ${i}`, priority: 1 + (i % 5) }))
  for (const task of created) {
    expect(await tasks.getTask(user.id, task.id)).toEqual(task)
    await tasks.toggleComplete(user.id, task.id)
    await tasks.updateTask(user.id, task.id, { title: `${task.title} renamed` })
  }
  await tasks.deleteTask(user.id, created[0]!.id)
  const page = await tasks.getTasks(user.id, { sort: 'title', order: 'asc', limit: 100 })
  const found = await tasks.getTasks(user.id, { search: 'renamed', sort: 'title', order: 'asc', limit: 100 })
  expect(found.items).toEqual(page.items)
  // no match in the window: the fallback looks past it
  expect((await tasks.getTasks(user.id, { search: 'absent' })).items).toEqual([])
  return { user, created, page, counts: await tasks.countTasks(user.id) }
}

describeEachBackend(
  'preparedStatements',
  (context) => {
    test("prepares point statements, listings and a search's window once per connection, never a search's fallback, and answers as without", async () => {
      const prepared = await openOneConnection(context(), true)
      const plain = await openOneConnection(context(), false)
      try {
        const withPreparation = await exercise(prepared, 'prepared@example.com')
        const without = await exercise(plain, 'plain@example.com')
        for (const run of [withPreparation, without]) {
          expect(run.page.items.map((task) => task.title)).toEqual(
            run.created
              .slice(1)
              .map((task) => `${task.title} renamed`)
              .sort(),
          )
          expect(run.page.items.every((task) => task.completed)).toBe(true)
          expect(run.counts).toEqual({ total: 11, completed: 11, pending: 0 })
        }

        const statements = await preparedOnSession(prepared)
        expect(statements.every(({ name }) => name.startsWith('taskstore_'))).toBe(true)
        const texts = statements.map(({ statement }) => statement)
        expect(texts.some((text) => /^insert into "\w+"\."tasks"/.test(text))).toBe(true)
        expect(texts.some((text) => /^update "\w+"\."tasks"/.test(text))).toBe(true)
        expect(texts.some((text) => /^delete from "\w+"\."tasks"/.test(text))).toBe(true)
        // the listing, and the two searches' windows (sorted by title, and by the default)
        expect(texts.filter((text) => /order by/i.test(text))).toHaveLength(3)
        expect(texts.filter((text) => /search_window/.test(text))).toHaveLength(2)
        expect(texts.filter((text) => /search_found/.test(text))).toEqual([])
        expect(await preparedOnSession(plain)).toEqual([])
      } finally {
        await prepared.destroy()
        await plain.destroy()
      }
    })

    test("a search's window runs its generic plan from the sixth call on, for a small user beside a large one", async () => {
      const { db, schema } = context()
      const users = sql.id(schema, 'users')
      const tasks = sql.id(schema, 'tasks')
      await sql`insert into ${users} (id, email) select 'plan-' || g, 'plan' || g || '@example.com' from generate_series(0, 60) g`.execute(
        db,
      )
      // plan-0 has 20,000 tasks and 60 others 100 each, half of them with the term: told the user, the planner
      // expects a small user's window to cost a fraction of the average user's, and would plan each call for its user
      await sql`
        insert into ${tasks} (user_id, title)
        select case when g <= 20000 then 'plan-0' else 'plan-' || (g % 60 + 1) end,
               case when (g / 60) % 2 = 0 then 'needle ' || g else 'hay ' || g end
        from generate_series(1, 26000) g`.execute(db)
      await sql`analyze ${tasks}`.execute(db)
      await withPreparedConnection(context(), async (prepared) => {
        const store = createTaskStore(prepared)
        for (let i = 1; i <= 12; i++) {
          const page = await store.getTasks(`plan-${i}`, { search: 'needle' })
          expect(page.items.map((task) => task.title.startsWith('needle'))).toEqual(Array(50).fill(true))
        }
        const { rows } = await sql<{ generic_plans: string; custom_plans: string }>`
          select generic_plans, custom_plans from pg_prepared_statements where statement like '%search_window%'`.execute(
          prepared,
        )
        expect(rows.map((row) => [Number(row.custom_plans), Number(row.generic_plans)])).toEqual([[5, 7]])
      })
    })

    test('a database opened without the option prepares what one opened with it does', async () => {
      const byDefault = await openOneConnection(context())
      const prepared = await openOneConnection(context(), true)
      try {
        await exercise(byDefault, 'default@example.com')
        await exercise(prepared, 'explicit@example.com')
        const statements = (await preparedOnSession(byDefault)).map(({ statement }) => statement)
        expect(statements.length).toBeGreaterThan(0)
        expect(statements).toEqual((await preparedOnSession(prepared)).map(({ statement }) => statement))
      } finally {
        await byDefault.destroy()
        await prepared.destroy()
      }
    })

    test('a session whose prepared statements were deallocated behind the driver answers every call, and the database prepares no more', async () => {
      await withPreparedConnection(context(), async (prepared) => {
        const before = await exercise(prepared, 'deallocated@example.com')
        // the database's one connection: the driver still holds the statements prepared there
        await sql`deallocate all`.execute(prepared)
        const tasks = createTaskStore(prepared)
        expect(await tasks.getTask(before.user.id, before.created[1]!.id)).toMatchObject({ title: 'task 1 renamed' })
        expect(await tasks.toggleComplete(before.user.id, before.created[1]!.id)).toMatchObject({ completed: false })
        expect(await tasks.countTasks(before.user.id)).toEqual({ total: 11, completed: 10, pending: 1 })
        // a session that loses its statements may be shared (a transaction pooler): nothing is prepared again
        expect(await preparedOnSession(prepared)).toEqual([])
      })
    })

    test('a statement prepared before a column of its result changed type answers on a new connection, which prepares again', async () => {
      const { db, schema } = context()
      await withPreparedConnection(context(), async (prepared) => {
        const before = await exercise(prepared, 'retyped@example.com')
        const firstSession = await backendPid(prepared)
        // a later release's migration might widen a column the store reads back
        await sql`alter table ${sql.id(schema, 'tasks')} alter column priority type integer`.execute(db)
        const tasks = createTaskStore(prepared)
        expect(await tasks.getTask(before.user.id, before.created[2]!.id)).toMatchObject({ priority: 3 })
        // the connection holding the stale statement was replaced, and the new one prepares as before
        expect(await backendPid(prepared)).not.toBe(firstSession)
        expect(await tasks.updateTask(before.user.id, before.created[2]!.id, { priority: 5 })).toMatchObject({
          priority: 5,
        })
        const texts = (await preparedOnSession(prepared)).map(({ statement }) => statement)
        expect(texts.some((text) => /^update "\w+"\."tasks"/.test(text))).toBe(true)
      })
    })

    test('a statement that fails with a refusal code while it runs is not sent again', async () => {
      const { db, schema } = context()
      await withPreparedConnection(context(), async (prepared) => {
        const { user } = await exercise(prepared, 'refused@example.com')
        const session = await backendPid(prepared)
        // every insert counts itself, then fails as a statement prepared before a change of shape would
        await sql`create sequence ${sql.id(schema, 'insert_attempts')}`.execute(db)
        await sql
          .raw(`
          create function ${schema}.refuse_insert() returns trigger language plpgsql as $$
          begin
            perform nextval('${schema}.insert_attempts');
            raise exception 'inserts are off' using errcode = '0A000';
          end $$;
          create trigger refuse_insert before insert on ${schema}.tasks
            for each row execute function ${schema}.refuse_insert();
          create function ${schema}.refuse_missing() returns trigger language plpgsql as $$
          begin raise exception 'no such thing' using errcode = '26000'; end $$;
          create trigger refuse_missing before update on ${schema}.tasks
            for each row execute function ${schema}.refuse_missing()`)
          .execute(db)
        const tasks = createTaskStore(prepared)
        for (let i = 0; i < 5; i++)
          await expectCode(tasks.createTask(user.id, { title: `refused ${i}` }), 'unavailable')
        const [task] = (await tasks.getTasks(user.id, { limit: 1 })).items
        await expectCode(tasks.toggleComplete(user.id, task!.id), 'unavailable')
        const { rows } = await sql<{ attempts: string }>`
          select last_value as attempts from ${sql.id(schema, 'insert_attempts')}`.execute(db)
        expect(Number(rows[0]!.attempts)).toBe(5)
        // its connection was kept, and still prepares
        expect(await backendPid(prepared)).toBe(session)
        expect((await preparedOnSession(prepared)).length).toBeGreaterThan(0)
      })
    })

    test('statements prepared before a migration changes the schema are planned again after it', async () => {
      const { db, schema } = context()
      await withPreparedConnection(context(), async (prepared) => {
        const before = await exercise(prepared, 'before@example.com')
        // 0006 down drops indexes the prepared plans may use, and up builds them again
        await migrateDown(db, { schema })
        await migrateDown(db, { schema })
        const tasks = createTaskStore(prepared)
        expect(await tasks.getTask(before.user.id, before.created[1]!.id)).toMatchObject({ title: 'task 1 renamed' })
        await migrateToLatest(db, { schema })
        expect(await tasks.toggleComplete(before.user.id, before.created[1]!.id)).toMatchObject({ completed: false })
        expect(await tasks.countTasks(before.user.id)).toEqual({ total: 11, completed: 10, pending: 1 })
      })
    })
  },
  { only: ['postgres', 'neon'] },
)

describeEachBackend(
  'preparedStatements through a transaction pooler',
  (context) => {
    test('a statement missing from, or already on, the server connection a transaction gets is sent unprepared', async () => {
      const { connectionString, driver } = context().reach!
      const db = createDatabase({
        connectionString,
        driver,
        schema: context().schema,
        pool: { max: 6 },
        preparedStatements: true,
      })
      try {
        const users = createUserStore(db, { scrypt: TEST_SCRYPT })
        const tasks = createTaskStore(db)
        const user = await users.createUser({ email: 'pooled@example.com' })
        const workers = 12
        const rounds = 40
        // Before, 388 of these 480 rounds failed: "prepared statement … already exists", or "does not exist".
        const outcomes = await Promise.allSettled(
          Array.from({ length: workers * rounds }, async (_, n) => {
            const task = await tasks.createTask(user.id, { title: `round ${n}` })
            expect(await tasks.getTask(user.id, task.id)).toEqual(task)
            expect(await tasks.toggleComplete(user.id, task.id)).toMatchObject({ id: task.id, completed: true })
          }),
        )
        expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toEqual([])
        expect(await tasks.countTasks(user.id)).toEqual({
          total: workers * rounds,
          completed: workers * rounds,
          pending: 0,
        })
      } finally {
        await db.destroy()
      }
    })
  },
  { only: ['pgbouncer'] },
)
