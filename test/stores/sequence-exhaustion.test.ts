import { sql } from 'kysely'
import { expect, test } from 'vitest'
import { ConfigError } from '../../src/index.js'
import { describeEachBackend } from '../support/backends.js'
import { storeFixture } from '../support/fixtures.js'

const INT_MAX = 2_147_483_647

describeEachBackend(
  'a tasks id sequence that has run out',
  (context) => {
    async function taskCount() {
      const { rows } = await sql<{
        n: number
      }>`select count(*)::int as n from ${sql.id(context().schema, 'tasks')}`.execute(context().db)
      return rows[0]!.n
    }

    test('createTask is a ConfigError that says the ids ran out and what to do (2200H)', async () => {
      const { db, tasks, alice } = await storeFixture(context().db)
      const table = `${context().schema}.tasks`
      await sql`select setval(pg_get_serial_sequence(${table}, 'id'), ${INT_MAX})`.execute(db)
      const before = await taskCount()
      const error = await tasks.createTask(alice.id, { title: 'one too many' }).catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(ConfigError)
      expect((error as Error).message).toMatch(/tasks table has run out of ids/)
      expect((error as Error).message).toMatch(/widens the id column and its sequence/)
      expect((error as Error).message).toContain('tasks_id_seq')
      expect(await taskCount()).toBe(before)
    })

    test('an id past the integer column from a widened sequence is the same ConfigError (22003)', async () => {
      const { db, tasks, alice } = await storeFixture(context().db)
      const sequence = `${context().schema}.wide_task_ids`
      // What an operator who widened only the sequence leaves behind: ids the column cannot hold.
      await sql`alter table ${sql.id(context().schema, 'tasks')} alter column id drop identity`.execute(db)
      await sql`create sequence ${sql.id(context().schema, 'wide_task_ids')} as bigint start ${sql.lit(INT_MAX + 1)}`.execute(
        db,
      )
      await sql`alter table ${sql.id(context().schema, 'tasks')} alter column id set default nextval(${sql.lit(sequence)}::regclass)`.execute(
        db,
      )
      const error = await tasks.createTask(alice.id, { title: 'too far' }).catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(ConfigError)
      expect((error as Error).message).toMatch(/tasks table has run out of ids \(integer out of range\)/)
    })
  },
  // pg-mem has no sequences to exhaust
  { only: ['embedded', 'postgres', 'pgbouncer', 'neon'] },
)
