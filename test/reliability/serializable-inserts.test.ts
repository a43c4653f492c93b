import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createDatabase, createTaskStore, type Database, migrateToLatest } from '../../src/index.js'
import { uniqueSchema } from '../support/backends.js'
import { storeFixture } from '../support/fixtures.js'
import { PREPARED_PIVOT_REASON, serializationFailureReason } from '../support/task-counts.js'
import {
  startThrowawayServer,
  type ThrowawayServer,
  throwawayServerUnavailableReason,
} from '../support/throwaway-server.js'

const COUNT_TRIGGERS = ['inserted', 'deleted', 'updated', 'truncated'].map((event) => `tasks_count_deltas_${event}`)

const serverSkip = throwawayServerUnavailableReason()

/**
 * Under SERIALIZABLE, a transaction that only inserts reads nothing another
 * transaction writes, so it is never the pivot of a dangerous structure. It
 * can still fail: when a pivot that read the rows it wrote is already
 * committing, PostgreSQL cannot cancel the pivot and cancels the committer.
 * Two-phase commit holds the pivot in that state, so the race a concurrent
 * workload meets now and then happens every time here, with and without
 * the count triggers.
 */
describe.skipIf(serverSkip !== null)(
  `an insert-only SERIALIZABLE transaction fails exactly where plain inserts fail${serverSkip ? ` (${serverSkip})` : ''}`,
  () => {
    let server: ThrowawayServer
    const databases: Kysely<Database>[] = []

    beforeAll(async () => {
      server = await startThrowawayServer({ settings: ['max_prepared_transactions = 4'] })
    })
    afterAll(async () => {
      for (const db of databases) await db.destroy()
      await server?.dispose()
    })

    /** A migrated schema; `plain` drops the count triggers, leaving the table and its indexes as they are. */
    async function migratedSchema(plain: boolean): Promise<{ db: Kysely<Database>; schema: string }> {
      const schema = uniqueSchema('ssi')
      const db = createDatabase({ connectionString: server.url(), schema, pool: { max: 4 } })
      databases.push(db)
      await migrateToLatest(db)
      if (plain) {
        for (const trigger of COUNT_TRIGGERS)
          await sql`drop trigger ${sql.id(trigger)} on ${sql.id(schema, 'tasks')}`.execute(db)
      }
      return { db, schema }
    }

    /**
     * A reader of Alice's tasks, a pivot that reads Bob's tasks and counts and
     * then completes one of Alice's, and an insert-only transaction creating a
     * task for Bob. The pivot either commits before the insert does, or is
     * prepared (committing) when the insert commits. Resolves to why the
     * insert-only transaction failed, or null when it committed.
     */
    async function insertBesidePivot(plain: boolean, pivotEnds: 'committed' | 'prepared'): Promise<string | null> {
      const { db } = await migratedSchema(plain)
      const { tasks, alice, bob } = await storeFixture(db)
      const aliceTask = await tasks.createTask(alice.id, { title: 'alice' })
      await tasks.createTask(bob.id, { title: 'bob' })
      const gid = `pivot_${plain ? 'plain' : 'counted'}_${pivotEnds}`

      const reader = await db.startTransaction().setIsolationLevel('serializable').execute()
      const pivot = await db.startTransaction().setIsolationLevel('serializable').execute()
      const inserter = await db.startTransaction().setIsolationLevel('serializable').execute()
      try {
        await createTaskStore(reader).getTasks(alice.id)
        await createTaskStore(pivot).getTasks(bob.id)
        await createTaskStore(pivot).countTasks(bob.id)
        await createTaskStore(pivot).toggleComplete(alice.id, aliceTask.id)
        await createTaskStore(inserter).createTask(bob.id, { title: 'insert only' })
        if (pivotEnds === 'committed') await pivot.commit().execute()
        else await sql`prepare transaction ${sql.lit(gid)}`.execute(pivot)
        const failure = await inserter
          .commit()
          .execute()
          .then(
            () => null,
            (error: unknown) => serializationFailureReason(error) ?? String(error),
          )
        await reader.commit().execute()
        return failure
      } finally {
        for (const trx of [reader, pivot, inserter]) {
          if (!trx.isCommitted && !trx.isRolledBack) await trx.rollback().execute()
        }
        if (pivotEnds === 'prepared') await sql`commit prepared ${sql.lit(gid)}`.execute(db)
      }
    }

    test('with a committing pivot, plain inserts fail and so do inserts counted by the triggers, for the same reason', async () => {
      expect(await insertBesidePivot(true, 'prepared')).toBe(PREPARED_PIVOT_REASON)
      expect(await insertBesidePivot(false, 'prepared')).toBe(PREPARED_PIVOT_REASON)
    })

    test('with the pivot already committed, both commit', async () => {
      expect(await insertBesidePivot(true, 'committed')).toBeNull()
      expect(await insertBesidePivot(false, 'committed')).toBeNull()
    })
  },
)
