import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { type ControlledTransaction, type Kysely, sql } from 'kysely'
import { describe, expect, test } from 'vitest'
import {
  createDatabase,
  createTaskStore,
  createUserStore,
  type Database,
  migrateDown,
  migrateToLatest,
} from '../../src/index.js'
import { FOLD_AFTER } from '../../src/stores/task-counter.js'
import { type BackendName, describeEachBackend, uniqueSchema, withDatabaseName } from '../support/backends.js'
import { storeFixture, TEST_SCRYPT } from '../support/fixtures.js'
import { countedTasks, deltaRows, expectExactCounts, settlesWithoutWaiting } from '../support/task-counts.js'
import { PG_BIN } from '../support/throwaway-server.js'

const SERVERS: readonly BackendName[] = ['postgres', 'pgbouncer', 'neon']
const POSTGRES_BACKENDS: readonly BackendName[] = ['embedded', ...SERVERS]

/** Rolls back what is still open, ignoring transactions that already ended. */
async function rollBackAll(...transactions: ControlledTransaction<Database>[]): Promise<void> {
  for (const trx of transactions) {
    if (!trx.isCommitted && !trx.isRolledBack)
      await trx
        .rollback()
        .execute()
        .catch(() => {})
  }
}

/** A promise whose rejection is kept for later instead of being reported as unhandled. */
function later<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {})
  return promise
}

describeEachBackend(
  'task counts: host transactions never lock each other out through the counts',
  (context) => {
    test('two transactions writing for two users in opposite orders both commit, with exact counts', async () => {
      const { db } = context()
      const { tasks, alice, bob } = await storeFixture(db)
      const aliceTask = await tasks.createTask(alice.id, { title: 'alice, before' })
      const bobTask = await tasks.createTask(bob.id, { title: 'bob, before' })
      const first = await db.startTransaction().execute()
      const second = await db.startTransaction().execute()
      try {
        await createTaskStore(first).createTask(alice.id, { title: 'first writes for alice' })
        await createTaskStore(second).createTask(bob.id, { title: 'second writes for bob' })
        await Promise.all([
          createTaskStore(first).toggleComplete(bob.id, bobTask.id),
          createTaskStore(second).toggleComplete(alice.id, aliceTask.id),
        ])
        await first.commit().execute()
        await second.commit().execute()
      } finally {
        await rollBackAll(first, second)
      }
      expect(await tasks.countTasks(alice.id)).toEqual({ total: 2, completed: 1, pending: 1 })
      expect(await tasks.countTasks(bob.id)).toEqual({ total: 2, completed: 1, pending: 1 })
    })

    for (const level of ['repeatable read', 'serializable'] as const) {
      test(`two ${level} transactions writing tasks of one user both commit`, async () => {
        const { db, schema } = context()
        const { tasks, alice } = await storeFixture(db)
        const [one, two] = [
          await tasks.createTask(alice.id, { title: 'one' }),
          await tasks.createTask(alice.id, { title: 'two' }),
        ]
        const first = await db.startTransaction().setIsolationLevel(level).execute()
        const second = await db.startTransaction().setIsolationLevel(level).execute()
        try {
          await createTaskStore(first).createTask(alice.id, { title: 'first' })
          await createTaskStore(first).toggleComplete(alice.id, one.id)
          // The second transaction's snapshot is taken before the first commits.
          const secondWrites = later(
            createTaskStore(second)
              .createTask(alice.id, { title: 'second' })
              .then(() => createTaskStore(second).toggleComplete(alice.id, two.id)),
          )
          await settlesWithoutWaiting(db, schema, secondWrites)
          await first.commit().execute()
          await secondWrites
          await second.commit().execute()
        } finally {
          await rollBackAll(first, second)
        }
        expect(await tasks.countTasks(alice.id)).toEqual({ total: 4, completed: 2, pending: 2 })
      })
    }

    test('an open transaction that created a task for a user holds up no other write for that user', async () => {
      const { db, schema } = context()
      const { tasks, alice } = await storeFixture(db)
      const toggled = await tasks.createTask(alice.id, { title: 'toggled' })
      const deleted = await tasks.createTask(alice.id, { title: 'deleted' })
      const done = await tasks.createTask(alice.id, { title: 'done', completed: true })
      const open = await db.startTransaction().execute()
      try {
        await createTaskStore(open).createTask(alice.id, { title: 'not committed yet' })
        const writes: Array<() => Promise<unknown>> = [
          () => tasks.createTask(alice.id, { title: 'created meanwhile' }),
          () => tasks.toggleComplete(alice.id, toggled.id),
          () => tasks.updateTask(alice.id, toggled.id, { completed: false }),
          () => tasks.deleteTask(alice.id, deleted.id),
          () => tasks.clearCompleted(alice.id),
        ]
        for (const write of writes) {
          const call = later(write())
          expect(await settlesWithoutWaiting(db, schema, call)).toBe('settled')
          await call
        }
      } finally {
        await rollBackAll(open)
      }
      expect(done.completed).toBe(true)
      expect(await tasks.countTasks(alice.id)).toEqual({ total: 2, completed: 0, pending: 2 })
      await expectExactCounts(db, [alice.id])
    })

    test('a transaction that counted and then writes finishes beside a concurrent TRUNCATE, without a deadlock', async () => {
      const { db, schema } = context()
      const { tasks, alice } = await storeFixture(db)
      await tasks.createTask(alice.id, { title: 'before the truncate' })
      const counting = await db.startTransaction().execute()
      let truncate: Promise<unknown> | undefined
      try {
        expect((await createTaskStore(counting).countTasks(alice.id)).total).toBe(1)
        truncate = later(sql`truncate ${sql.id(schema, 'tasks')}`.execute(db))
        // The TRUNCATE waits for the counting transaction, as it would after a count(*) of tasks.
        expect(await settlesWithoutWaiting(db, schema, truncate)).toBe('waited')
        await createTaskStore(counting).createTask(alice.id, { title: 'written after counting' })
        expect(await createTaskStore(counting).countTasks(alice.id)).toEqual({ total: 2, completed: 0, pending: 2 })
        await counting.commit().execute()
        await truncate
      } finally {
        await rollBackAll(counting)
        await truncate?.catch(() => {})
      }
      expect(await tasks.countTasks(alice.id)).toEqual({ total: 0, completed: 0, pending: 0 })
      await tasks.createTask(alice.id, { title: 'after the truncate' })
      await expectExactCounts(db, [alice.id])
    })
  },
  { only: SERVERS },
)

describeEachBackend(
  'task counts: a database whose default isolation is repeatable read',
  (context) => {
    test('40 concurrent createTask and 10 concurrent toggleComplete calls for one user all succeed', async () => {
      const { db, openDatabase } = context()
      const name = uniqueSchema('rr_db')
      await sql`create database ${sql.id(name)}`.execute(db)
      await sql`alter database ${sql.id(name)} set default_transaction_isolation = 'repeatable read'`.execute(db)
      const other = openDatabase!(name, 'public')
      try {
        await migrateToLatest(other)
        const { rows } = await sql<{ level: string }>`select current_setting('transaction_isolation') as level`.execute(
          other,
        )
        expect(rows[0]!.level).toBe('repeatable read')
        const { tasks, alice } = await storeFixture(other)
        const created = await Promise.allSettled(
          Array.from({ length: 40 }, (_, i) => tasks.createTask(alice.id, { title: `task ${i}` })),
        )
        expect(created.filter((result) => result.status === 'rejected')).toEqual([])
        const ids = created.map((result) => (result as PromiseFulfilledResult<{ id: number }>).value.id)
        const toggled = await Promise.allSettled(ids.slice(0, 10).map((id) => tasks.toggleComplete(alice.id, id)))
        expect(toggled.filter((result) => result.status === 'rejected')).toEqual([])
        expect(await tasks.countTasks(alice.id)).toEqual({ total: 40, completed: 10, pending: 30 })
        await expectExactCounts(other, [alice.id])
      } finally {
        await other.destroy()
        await sql`drop database ${sql.id(name)} with (force)`.execute(db)
      }
    })
  },
  { only: SERVERS },
)

describeEachBackend(
  'task counts: raw SQL',
  (context) => {
    test('TRUNCATE tasks resets every count, and later writes count from zero', async () => {
      const { db, schema } = context()
      const { tasks, alice, bob } = await storeFixture(db)
      for (let i = 0; i < FOLD_AFTER + 5; i++)
        await tasks.createTask(alice.id, { title: `a${i}`, completed: i % 2 === 0 })
      await tasks.createTask(bob.id, { title: 'b' })
      await tasks.countTasks(alice.id)
      await sql`truncate ${sql.id(schema, 'tasks')}`.execute(db)
      expect(await tasks.countTasks(alice.id)).toEqual({ total: 0, completed: 0, pending: 0 })
      expect(await tasks.countTasks(bob.id)).toEqual({ total: 0, completed: 0, pending: 0 })
      await tasks.createTask(alice.id, { title: 'after', completed: true })
      expect(await tasks.countTasks(alice.id)).toEqual({ total: 1, completed: 1, pending: 0 })
      await expectExactCounts(db, [alice.id, bob.id])
    })

    test('TRUNCATE users CASCADE resets the counts of every user', async () => {
      const { db, schema } = context()
      const { tasks, alice } = await storeFixture(db)
      await tasks.createTask(alice.id, { title: 'a' })
      await sql`truncate ${sql.id(schema, 'users')} cascade`.execute(db)
      const again = await createUserStore(db, { scrypt: TEST_SCRYPT }).createUser({
        id: alice.id,
        email: 'alice@example.com',
      })
      await tasks.createTask(again.id, { title: 'again' })
      expect(await tasks.countTasks(again.id)).toEqual({ total: 1, completed: 0, pending: 1 })
    })

    test('writes made under session_replication_role = replica are counted', async () => {
      const { db } = context()
      const { tasks, alice, bob } = await storeFixture(db)
      const kept = await tasks.createTask(alice.id, { title: 'kept' })
      await db.transaction().execute(async (trx) => {
        await sql`set local session_replication_role = replica`.execute(trx)
        await trx
          .insertInto('tasks')
          .values([
            { user_id: alice.id, title: 'replica 1' },
            { user_id: alice.id, title: 'replica 2', completed: true, completed_at: new Date() },
            { user_id: bob.id, title: 'replica 3' },
          ])
          .execute()
        await trx
          .updateTable('tasks')
          .set({ completed: true, completed_at: new Date() })
          .where('id', '=', kept.id)
          .execute()
        await trx.updateTable('tasks').set({ user_id: bob.id }).where('title', '=', 'replica 1').execute()
        await trx.deleteFrom('tasks').where('title', '=', 'replica 3').execute()
      })
      expect(await tasks.countTasks(alice.id)).toEqual({ total: 2, completed: 2, pending: 0 })
      expect(await tasks.countTasks(bob.id)).toEqual({ total: 1, completed: 0, pending: 1 })
      await expectExactCounts(db, [alice.id, bob.id])
    })

    test('rows written into task_count_deltas other than by its triggers are ignored', async () => {
      const { db, schema } = context()
      const { tasks, alice } = await storeFixture(db)
      await tasks.createTask(alice.id, { title: 'a' })
      await sql`insert into ${sql.id(schema, 'task_count_deltas')} (user_id, total, completed)
                values (${alice.id}, 100, 100)`.execute(db)
      expect(await tasks.countTasks(alice.id)).toEqual({ total: 1, completed: 0, pending: 1 })
    })

    test('INSERT … SELECT, UPDATE moving tasks between users, MERGE, an upsert, DELETE and a cascade keep counts exact', async () => {
      const { db, schema } = context()
      const { tasks, users, alice, bob } = await storeFixture(db)
      const table = sql.id(schema, 'tasks')
      await sql`insert into ${table} (user_id, title, completed, completed_at)
                select case when g % 3 = 0 then ${bob.id} else ${alice.id} end, 'bulk ' || g, g % 2 = 0,
                       case when g % 2 = 0 then now() end
                from generate_series(1, 60) g`.execute(db)
      await expectExactCounts(db, [alice.id, bob.id])
      await sql`update ${table} set user_id = case when user_id = ${alice.id} then ${bob.id} else ${alice.id} end,
                completed = not completed, completed_at = case when completed then null else now() end
                where id % 4 = 0`.execute(db)
      await expectExactCounts(db, [alice.id, bob.id])
      await sql`merge into ${table} t using (select id from ${table} where user_id = ${alice.id} order by id limit 5) s
                on t.id = s.id
                when matched and t.completed then delete
                when matched then update set user_id = ${bob.id}`.execute(db)
      await expectExactCounts(db, [alice.id, bob.id])
      const [first] = await db
        .selectFrom('tasks')
        .select('id')
        .where('user_id', '=', alice.id)
        .orderBy('id')
        .limit(1)
        .execute()
      await sql`insert into ${table} (id, user_id, title, completed, completed_at) overriding system value
                values (${first!.id}, ${bob.id}, 'upserted', true, now()), (1000000, ${alice.id}, 'inserted', false, null)
                on conflict (id) do update set user_id = excluded.user_id, completed = excluded.completed,
                completed_at = excluded.completed_at`.execute(db)
      await expectExactCounts(db, [alice.id, bob.id])
      await sql`delete from ${table} where id % 7 = 0`.execute(db)
      await expectExactCounts(db, [alice.id, bob.id])
      await users.deleteUser(bob.id)
      expect(await tasks.countTasks(bob.id)).toEqual({ total: 0, completed: 0, pending: 0 })
      await expectExactCounts(db, [alice.id])
    })
  },
  { only: POSTGRES_BACKENDS },
)

describeEachBackend(
  'task counts: folding the deltas',
  (context) => {
    async function manyDeltas(db: Kysely<Database>, userId: string, count = FOLD_AFTER + 8) {
      const tasks = createTaskStore(db)
      for (let i = 0; i < count; i++) await tasks.createTask(userId, { title: `t${i}`, completed: i % 3 === 0 })
    }

    test('countTasks folds many deltas of a user into one row; other users keep theirs', async () => {
      const { db } = context()
      const { tasks, alice, bob } = await storeFixture(db)
      await manyDeltas(db, alice.id)
      await tasks.createTask(bob.id, { title: 'b1' })
      await tasks.createTask(bob.id, { title: 'b2' })
      expect(await deltaRows(db, alice.id)).toBe(FOLD_AFTER + 8)
      const counts = await tasks.countTasks(alice.id)
      expect(counts).toEqual(await countedTasks(db, alice.id))
      expect(await deltaRows(db, alice.id)).toBe(1)
      expect(await deltaRows(db, bob.id)).toBe(2)
      expect(await tasks.countTasks(alice.id)).toEqual(counts)
    })

    test('an update adds one delta per task whose completion or owner it changed, and none for any other change', async () => {
      const { db, schema } = context()
      const { tasks, alice, bob } = await storeFixture(db)
      const table = sql.id(schema, 'tasks')
      await sql`insert into ${table} (user_id, title) select ${alice.id}, 't' || g from generate_series(1, 50) g`.execute(
        db,
      )
      expect(await deltaRows(db, alice.id)).toBe(1)
      const [first] = await db.selectFrom('tasks').select('id').where('user_id', '=', alice.id).limit(1).execute()
      await tasks.updateTask(alice.id, first!.id, { title: 'renamed', priority: 5 })
      await sql`update ${table} set title = title || '!'`.execute(db)
      expect(await deltaRows(db, alice.id)).toBe(1)
      await sql`update ${table} set completed = true, completed_at = now() where user_id = ${alice.id}`.execute(db)
      expect(await deltaRows(db, alice.id)).toBe(51)
      await sql`update ${table} set user_id = ${bob.id}
                where id in (select id from ${table} where user_id = ${alice.id} order by id desc limit 20)`.execute(db)
      expect(await deltaRows(db, alice.id)).toBe(71)
      expect(await deltaRows(db, bob.id)).toBe(20)
      await tasks.updateTask(alice.id, first!.id, { title: 'renamed again' })
      expect(await deltaRows(db, alice.id)).toBe(71)
      await expectExactCounts(db, [alice.id, bob.id])
    })

    test("a completion made by a host's BEFORE trigger, not by the statement's SET list, is counted", async () => {
      const { db, schema } = context()
      const { tasks, alice } = await storeFixture(db)
      const task = await tasks.createTask(alice.id, { title: 'write report' })
      const finishByTitle = sql.id(schema, 'finish_by_title')
      await sql`
        create function ${finishByTitle}() returns trigger language plpgsql as $$
        begin
          if new.title like 'done:%' then
            new.completed := true;
            new.completed_at := now();
          end if;
          return new;
        end
        $$`.execute(db)
      await sql`create trigger finish_by_title before update on ${sql.id(schema, 'tasks')}
                for each row execute function ${finishByTitle}()`.execute(db)
      await sql`update ${sql.id(schema, 'tasks')} set title = 'done: write report' where id = ${task.id}`.execute(db)
      expect(await tasks.countTasks(alice.id)).toEqual({ total: 1, completed: 1, pending: 0 })
      await expectExactCounts(db, [alice.id])
    })

    test('countTasks inside a transaction reads the deltas but never folds them', async () => {
      const { db } = context()
      const { alice } = await storeFixture(db)
      await manyDeltas(db, alice.id)
      await db.transaction().execute(async (trx) => {
        expect(await createTaskStore(trx).countTasks(alice.id)).toEqual(await countedTasks(trx, alice.id))
      })
      expect(await deltaRows(db, alice.id)).toBe(FOLD_AFTER + 8)
    })

    test('a fold that fails does not fail countTasks', async () => {
      const { db, schema } = context()
      const { tasks, alice } = await storeFixture(db)
      await manyDeltas(db, alice.id)
      await sql`create function ${sql.id(schema, 'refuse')}() returns trigger language plpgsql as $$
                begin raise exception 'no folding today'; end $$`.execute(db)
      await sql`create trigger refuse before update or delete on ${sql.id(schema, 'task_count_deltas')}
                for each row execute function ${sql.id(schema, 'refuse')}()`.execute(db)
      expect(await tasks.countTasks(alice.id)).toEqual(await countedTasks(db, alice.id))
      expect(await deltaRows(db, alice.id)).toBe(FOLD_AFTER + 8)
    })

    test('the deltas of a deleted user fold away to nothing', async () => {
      const { db, users, tasks, alice } = await storeFixture(context().db)
      await manyDeltas(db, alice.id)
      await users.deleteUser(alice.id)
      expect(await tasks.countTasks(alice.id)).toEqual({ total: 0, completed: 0, pending: 0 })
      expect(await deltaRows(db, alice.id)).toBe(0)
    })
  },
  { only: POSTGRES_BACKENDS },
)

describeEachBackend(
  'task counts: folding beside other transactions',
  (context) => {
    test('a fold skips deltas another transaction has locked and never waits for it', async () => {
      const { db, schema } = context()
      const { tasks, alice } = await storeFixture(db)
      for (let i = 0; i < FOLD_AFTER + 8; i++) await tasks.createTask(alice.id, { title: `t${i}` })
      const holder = await db.startTransaction().execute()
      try {
        await sql`select 1 from ${sql.id(schema, 'task_count_deltas')} where user_id = ${alice.id}
                  order by id limit 5 for update`.execute(holder)
        const counting = later(tasks.countTasks(alice.id))
        expect(await settlesWithoutWaiting(db, schema, counting)).toBe('settled')
        expect(await counting).toEqual({ total: FOLD_AFTER + 8, completed: 0, pending: FOLD_AFTER + 8 })
        expect(await deltaRows(db, alice.id)).toBe(6)
      } finally {
        await rollBackAll(holder)
      }
      await expectExactCounts(db, [alice.id])
    })

    test('counts read inside repeatable read and serializable transactions match count(*) while folds run', async () => {
      const { db } = context()
      const { tasks, alice } = await storeFixture(db)
      for (let i = 0; i < FOLD_AFTER + 8; i++) await tasks.createTask(alice.id, { title: `t${i}` })
      for (const level of ['repeatable read', 'serializable'] as const) {
        const reader = await db.startTransaction().setIsolationLevel(level).execute()
        try {
          const before = await createTaskStore(reader).countTasks(alice.id)
          // Committed elsewhere after the reader's snapshot: more deltas, then a fold of them all.
          for (let i = 0; i < FOLD_AFTER; i++) await tasks.createTask(alice.id, { title: `more ${i}` })
          await tasks.countTasks(alice.id)
          expect(await deltaRows(db, alice.id)).toBe(1)
          expect(await createTaskStore(reader).countTasks(alice.id)).toEqual(before)
          expect(await createTaskStore(reader).countTasks(alice.id)).toEqual(await countedTasks(reader, alice.id))
          await reader.commit().execute()
        } finally {
          await rollBackAll(reader)
        }
      }
      await expectExactCounts(db, [alice.id])
    })
  },
  { only: SERVERS },
)

describeEachBackend(
  'task counts: migration 0005',
  (context) => {
    test('counts every existing task when migrating up from 0004, even where 0004 had drifted; down restores 0004', async () => {
      const { db, schema } = context()
      const { tasks, alice, bob } = await storeFixture(db)
      await tasks.createTask(alice.id, { title: 'a', completed: true })
      const downTo0004 = async () => {
        expect(await migrateDown(db)).toEqual({ applied: ['0007_count_index'] })
        expect(await migrateDown(db)).toEqual({ applied: ['0006_listing_indexes'] })
        expect(await migrateDown(db)).toEqual({ applied: ['0005_task_count_deltas'] })
      }
      const upFrom0004 = { applied: ['0005_task_count_deltas', '0006_listing_indexes', '0007_count_index'] }
      await downTo0004()
      const table = sql.id(schema, 'tasks')
      const counters = sql.id(schema, 'task_counts')
      /** 0004's counter rows, as { user: [total, completed] }. */
      const counterRows = async () => {
        const { rows } = await sql<{ user_id: string; total: number; completed: number }>`
          select user_id, total, completed from ${counters}`.execute(db)
        return Object.fromEntries(rows.map((row) => [row.user_id, [row.total, row.completed]]))
      }

      // 0004 counts these…
      await sql`insert into ${table} (user_id, title) values (${alice.id}, 'b'), (${bob.id}, 'c')`.execute(db)
      expect(await counterRows()).toEqual({ [alice.id]: [2, 1], [bob.id]: [1, 0] })
      // …and drifts here: TRUNCATE leaves its counters as they were.
      await sql`truncate ${table}`.execute(db)
      await sql`insert into ${table} (user_id, title) values (${bob.id}, 'd')`.execute(db)
      expect(await counterRows()).toEqual({ [alice.id]: [2, 1], [bob.id]: [2, 0] })

      expect(await migrateToLatest(db)).toEqual(upFrom0004)
      expect(await tasks.countTasks(alice.id)).toEqual({ total: 0, completed: 0, pending: 0 })
      expect(await tasks.countTasks(bob.id)).toEqual({ total: 1, completed: 0, pending: 1 })
      await tasks.createTask(alice.id, { title: 'e', completed: true })

      await downTo0004()
      expect(await counterRows()).toEqual({ [alice.id]: [1, 1], [bob.id]: [1, 0] })
      await sql`insert into ${table} (user_id, title) values (${alice.id}, 'f')`.execute(db)
      expect(await counterRows()).toEqual({ [alice.id]: [2, 1], [bob.id]: [1, 0] })
      expect(await migrateToLatest(db)).toEqual(upFrom0004)
      await expectExactCounts(db, [alice.id, bob.id])
    })
  },
  { only: ['embedded', 'postgres'] },
)

const run = promisify(execFile)
const url = process.env.TEST_DATABASE_URL

describe.skipIf(!url)('task counts: pg_dump and pg_restore', () => {
  interface Scratch {
    /** Creates a database on the test server, dropped when the test ends. */
    readonly create: (prefix: string) => Promise<string>
    /** A folder for dump files, removed when the test ends. */
    readonly dir: string
  }

  async function withScratch(use: (scratch: Scratch) => Promise<void>): Promise<void> {
    const names: string[] = []
    const admin = createDatabase({ connectionString: url, pool: { max: 1 } })
    const dir = await mkdtemp(join(tmpdir(), 'taskstore-dump-'))
    try {
      await use({
        dir,
        async create(prefix) {
          const name = uniqueSchema(prefix)
          await sql`create database ${sql.id(name)}`.execute(admin)
          names.push(name)
          return name
        },
      })
    } finally {
      for (const name of names) await sql`drop database if exists ${sql.id(name)} with (force)`.execute(admin)
      await admin.destroy()
      await rm(dir, { recursive: true, force: true })
    }
  }

  const open = (name: string) => createDatabase({ connectionString: withDatabaseName(url!, name), pool: { max: 2 } })

  /** A migrated database with tasks whose deltas have been written, folded and moved between users. */
  async function populated(scratch: Scratch): Promise<{ name: string; userIds: string[] }> {
    const name = await scratch.create('dump_src')
    const db = open(name)
    try {
      await migrateToLatest(db)
      const { tasks, alice, bob } = await storeFixture(db)
      for (let i = 0; i < FOLD_AFTER + 4; i++)
        await tasks.createTask(alice.id, { title: `a${i}`, completed: i % 4 === 0 })
      await tasks.countTasks(alice.id)
      await tasks.createTask(bob.id, { title: 'b', completed: true })
      await sql`update tasks set user_id = ${bob.id} where id in (select id from tasks where user_id = ${alice.id} limit 3)`.execute(
        db,
      )
      await expectExactCounts(db, [alice.id, bob.id])
      return { name, userIds: [alice.id, bob.id] }
    } finally {
      await db.destroy()
    }
  }

  async function dump(name: string, file: string, flags: readonly string[]): Promise<void> {
    await run(join(PG_BIN, 'pg_dump'), ['--format=custom', `--file=${file}`, ...flags, withDatabaseName(url!, name)])
  }

  /**
   * pg_restore. Into a database the app already migrated, the rows of the
   * migration table are there already and pg_restore says it could not load
   * them again: expected; any other error is not.
   */
  async function restore(name: string, file: string, flags: readonly string[]): Promise<void> {
    await run(join(PG_BIN, 'pg_restore'), [`--dbname=${withDatabaseName(url!, name)}`, ...flags, file]).catch(
      (error: { stderr?: string }) => {
        const unexpected = (error.stderr ?? '')
          .split('\n')
          .filter((line) => line.startsWith('pg_restore: error:'))
          .filter((line) => !/COPY failed for table "taskstore_migration(_lock)?"/.test(line))
        if (unexpected.length > 0) throw error
      },
    )
  }

  async function expectExactIn(name: string, userIds: readonly string[]): Promise<void> {
    const db = open(name)
    try {
      expect(await migrateToLatest(db)).toEqual({ applied: [] })
      await expectExactCounts(db, userIds)
      const tasks = createTaskStore(db)
      for (const userId of userIds) await tasks.createTask(userId, { title: 'after the restore' })
      await expectExactCounts(db, userIds)
    } finally {
      await db.destroy()
    }
  }

  test('a full dump restored into a fresh database keeps every count exact', async () => {
    await withScratch(async (scratch) => {
      const source = await populated(scratch)
      const target = await scratch.create('restored')
      await dump(source.name, join(scratch.dir, 'full.dump'), [])
      await restore(target, join(scratch.dir, 'full.dump'), [])
      await expectExactIn(target, source.userIds)
    })
  })

  for (const flags of [[], ['--disable-triggers']]) {
    const how = flags.length > 0 ? ` with ${flags.join(' ')}` : ''
    test(`a data-only dump restored${how} into a database the app already migrated does not double the counts`, async () => {
      await withScratch(async (scratch) => {
        const source = await populated(scratch)
        const target = await scratch.create('migrated')
        const db = open(target)
        await migrateToLatest(db)
        await db.destroy()
        await dump(source.name, join(scratch.dir, 'data.dump'), ['--data-only'])
        await restore(target, join(scratch.dir, 'data.dump'), flags)
        await expectExactIn(target, source.userIds)
      })
    })
  }
})
