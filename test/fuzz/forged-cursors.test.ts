import fc from 'fast-check'
import { expect, test } from 'vitest'
import { TaskstoreError, ValidationError } from '../../src/index.js'
import { hash64 } from '../../src/stores/task-cursor.js'
import { describeEachBackend } from '../support/backends.js'
import { FUZZ_RUNS, hostileValue } from './hostile-values.js'
import { FIXTURE_USERS, FuzzWorld, forgeCursor, invariantViolations, isOutOfRangeDate } from './store-world.js'

const SORTS = ['createdAt', 'updatedAt', 'completedAt', 'priority', 'title'] as const
const ALICE = FIXTURE_USERS[0].id

// The cursor's checksum is not keyed, so anyone who reads the format can
// make one that passes it; what it carries must still be checked.
describeEachBackend(
  'forged cursors',
  (context) => {
    test('a cursor with a correct checksum and any in-range sort key either pages or is a ValidationError', async () => {
      const world = new FuzzWorld(context().db)
      await world.prepare()
      // the forger must be in step with the format, or every forged date would fail and the property pass vacuously
      const real = (await world.tasks.getTasks(ALICE, { sort: 'createdAt', limit: 1 })).nextCursor!
      const inRange = forgeCursor(real, '2000-01-01T00:00:00.000Z', 1)!
      expect((await world.tasks.getTasks(ALICE, { sort: 'createdAt', limit: 1, cursor: inRange })).items).toHaveLength(
        0,
      )
      const keys = fc.oneof(
        fc.constantFrom('1970-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z', 'not a date', null, 0, 3, 9, 1.5, 'x'),
        hostileValue.filter((value) => !isOutOfRangeDate(value)),
      )
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...SORTS),
          fc.constantFrom('asc' as const, 'desc' as const),
          fc.boolean(),
          keys,
          fc.oneof(fc.integer({ min: 1, max: 3_000 }), hostileValue),
          async (sort, order, everyone, key, id) => {
            const query = { sort, order, limit: 1 }
            const list = (cursor?: string) =>
              everyone
                ? world.tasks.listAllTasks({ ...query, cursor })
                : world.tasks.getTasks(ALICE, { ...query, cursor })
            const real = (await list()).nextCursor
            expect(real).not.toBeNull()
            const forged = forgeCursor(real!, key, id)
            // a bigint or a symbol cannot travel in a JSON cursor
            if (forged === null) return
            try {
              const page = await list(forged!)
              expect(page.items.length).toBeLessThanOrEqual(1)
            } catch (error) {
              expect(error, String(error)).toBeInstanceOf(ValidationError)
            }
          },
        ),
        { numRuns: Math.min(FUZZ_RUNS, 300) },
      )
      expect(invariantViolations(await world.snapshot())).toEqual([])
    })

    // Year -10000 parses in JavaScript but is out of range for Postgres: the cursor must refuse it first.
    test('a forged cursor carrying a date before 4714 BC, the first a timestamptz holds, is a ValidationError, not a database error', async () => {
      const world = new FuzzWorld(context().db)
      await world.prepare()
      const real = (await world.tasks.getTasks(ALICE, { sort: 'createdAt', limit: 1 })).nextCursor!
      const error = await world.tasks
        .getTasks(ALICE, { sort: 'createdAt', limit: 1, cursor: forgeCursor(real, '-010000-01-01T00:00:00.000Z', 1)! })
        .catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(TaskstoreError)
      expect(error).toBeInstanceOf(ValidationError)
    })

    test('a forged cursor at the far ends of the range pages where the backend holds such times, else is a ValidationError', async () => {
      const world = new FuzzWorld(context().db)
      await world.prepare()
      const real = (await world.tasks.getTasks(ALICE, { sort: 'createdAt', limit: 1 })).nextCursor!
      const [version, scope] = real.split('.')
      const withKey = (key: string) => `${version}.${scope}.${key}.1.${hash64(`${version}.${scope}.${key}.1`)}`
      const farEnds = [
        { cursor: forgeCursor(real, '+275760-09-13T00:00:00.000Z', 1)!, everywhere: true },
        { cursor: forgeCursor(real, '+012026-01-01T00:00:00.000Z', 1)!, everywhere: true },
        { cursor: forgeCursor(real, '-004713-11-24T00:00:00.000Z', 1)!, everywhere: false },
        { cursor: forgeCursor(real, '-000043-03-15T12:00:00.000Z', 1)!, everywhere: false },
        { cursor: withKey('dinfinity'), everywhere: false },
        { cursor: withKey('d-infinity'), everywhere: false },
      ]
      for (const { cursor, everywhere } of farEnds) {
        const outcome = await world.tasks
          .getTasks(ALICE, { sort: 'createdAt', limit: 1, cursor })
          .catch((caught: unknown) => caught)
        // pg-mem reads neither BC dates nor the infinities
        if (everywhere || context().backend !== 'memory') expect(outcome, cursor).toHaveProperty('items')
        else expect(outcome, cursor).toBeInstanceOf(ValidationError)
      }
    })
  },
  { only: ['memory', 'embedded', 'postgres'] },
)
