import fc from 'fast-check'
import { type Kysely, PGliteDialect, sql, type Transaction } from 'kysely'
import { afterAll, beforeAll, expect, test } from 'vitest'
import {
  createDatabase,
  createTaskStore,
  createUserStore,
  type Database,
  migrateToLatest,
  type Task,
  type User,
} from '../../src/index.js'
import { createMemoryDatabase } from '../../src/testing/index.js'
import { uniqueSchema } from '../support/backends.js'

// Store calls against fixed user ids and small task ids: both databases hand
// out the same identity values, rolled-back inserts included, so an id means
// the same task on both.
const USER_IDS = ['u0', 'u1', 'u2']
const userIndex = fc.nat(USER_IDS.length - 1)
const taskId = fc.integer({ min: 1, max: 8 })
const title = fc.constantFrom('plan', 'write', 'ship', '  trim me  ')

const call = fc.oneof(
  fc.record({ op: fc.constant('createUser' as const), user: userIndex, email: fc.nat(3) }),
  fc.record({ op: fc.constant('renameUser' as const), user: userIndex, name: fc.option(title, { nil: null }) }),
  fc.record({ op: fc.constant('deleteUser' as const), user: userIndex }),
  fc.record({ op: fc.constant('createTask' as const), user: userIndex, title, completed: fc.boolean() }),
  fc.record({
    op: fc.constant('updateTask' as const),
    user: userIndex,
    task: taskId,
    priority: fc.integer({ min: 1, max: 5 }),
  }),
  fc.record({ op: fc.constant('toggle' as const), user: userIndex, task: taskId }),
  fc.record({ op: fc.constant('deleteTask' as const), user: userIndex, task: taskId }),
  fc.record({ op: fc.constant('clearCompleted' as const), user: userIndex }),
  fc.record({ op: fc.constant('count' as const), user: userIndex }),
  // The host's own SQL through the same Kysely instance
  fc.record({ op: fc.constant('rawInsert' as const), user: userIndex, completed: fc.boolean() }),
  fc.record({ op: fc.constant('rawFlip' as const), task: taskId }),
  fc.record({ op: fc.constant('rawMove' as const), user: userIndex, task: taskId }),
  fc.record({ op: fc.constant('rawDeleteCompleted' as const), user: userIndex }),
  fc.record({ op: fc.constant('rawTruncate' as const) }),
)
type Call = typeof call extends fc.Arbitrary<infer T> ? T : never

const calls = fc.array(call, { minLength: 1, maxLength: 4 })
const block = fc.oneof(
  fc.record({ kind: fc.constant('plain' as const), calls }),
  fc.record({ kind: fc.constant('commit' as const), calls }),
  fc.record({ kind: fc.constant('rollback' as const), calls }),
  fc.record({ kind: fc.constant('savepoint' as const), calls, undone: calls, after: calls }),
)
type Block = typeof block extends fc.Arbitrary<infer T> ? T : never

/** What a call returned, without the times each database stamps. */
type Outcome = { readonly ok: unknown } | { readonly error: string }

function taskShape(task: Task) {
  const { createdAt, updatedAt, completedAt, ...rest } = task
  return { ...rest, completedAt: completedAt !== null }
}

function userShape(user: User) {
  const { createdAt, updatedAt, ...rest } = user
  return rest
}

async function perform(db: Kysely<Database>, schema: string, action: Call): Promise<Outcome> {
  if (action.op.startsWith('raw')) {
    // pg-mem's errors have no SQLSTATE: that a statement failed is what both must agree on.
    return performRaw(db, schema, action).then(
      (ok) => ({ ok }),
      () => ({ error: 'raw statement failed' }),
    )
  }
  const users = createUserStore(db)
  const tasks = createTaskStore(db)
  const userId = USER_IDS['user' in action ? action.user : 0]!
  try {
    switch (action.op) {
      case 'createUser':
        return { ok: userShape(await users.createUser({ id: userId, email: `e${action.email}@example.com` })) }
      case 'renameUser':
        return { ok: userShape(await users.updateUser(userId, { name: action.name })) }
      case 'deleteUser':
        return { ok: userShape(await users.deleteUser(userId)) }
      case 'createTask':
        return { ok: taskShape(await tasks.createTask(userId, { title: action.title, completed: action.completed })) }
      case 'updateTask':
        return { ok: taskShape(await tasks.updateTask(userId, action.task, { priority: action.priority })) }
      case 'toggle':
        return { ok: taskShape(await tasks.toggleComplete(userId, action.task)) }
      case 'deleteTask':
        return { ok: taskShape(await tasks.deleteTask(userId, action.task)) }
      case 'clearCompleted':
        return { ok: await tasks.clearCompleted(userId) }
      case 'count':
        return { ok: await tasks.countTasks(userId) }
    }
  } catch (error) {
    return { error: (error as { code?: string }).code ?? String(error) }
  }
  throw new Error(`unknown call ${action.op}`)
}

/** Runs a raw SQL call and returns how many rows it changed. */
async function performRaw(db: Kysely<Database>, schema: string, action: Call): Promise<unknown> {
  const changed = (result: { numUpdatedRows?: bigint; numDeletedRows?: bigint }) =>
    Number(result.numUpdatedRows ?? result.numDeletedRows)
  switch (action.op) {
    case 'rawInsert':
      return (
        await db
          .insertInto('tasks')
          .values({
            user_id: USER_IDS[action.user]!,
            title: 'raw',
            completed: action.completed,
            completed_at: action.completed ? sql<Date>`now()` : null,
          })
          .returning('id')
          .execute()
      ).map((row) => row.id)
    case 'rawFlip':
      return changed(
        await db
          .updateTable('tasks')
          .set({
            completed: sql<boolean>`not completed`,
            completed_at: sql<Date | null>`case when completed then null else now() end`,
          })
          .where('id', '=', action.task)
          .executeTakeFirstOrThrow(),
      )
    case 'rawMove':
      return changed(
        await db
          .updateTable('tasks')
          .set({ user_id: USER_IDS[action.user]! })
          .where('id', '=', action.task)
          .executeTakeFirstOrThrow(),
      )
    case 'rawDeleteCompleted':
      return changed(
        await db
          .deleteFrom('tasks')
          .where('user_id', '=', USER_IDS[action.user]!)
          .where('completed', '=', true)
          .executeTakeFirstOrThrow(),
      )
    case 'rawTruncate':
      return (await sql`truncate ${sql.id(schema, 'tasks')}`.execute(db)).rows
    default:
      throw new Error(`not a raw call: ${action.op}`)
  }
}

class HostRollback extends Error {}

/** Runs the blocks, each on its own or in a transaction, and records every call's outcome. */
async function play(db: Kysely<Database>, schema: string, blocks: readonly Block[]): Promise<Outcome[]> {
  const outcomes: Outcome[] = []
  const each = async (on: Kysely<Database> | Transaction<Database>, list: readonly Call[]) => {
    for (const action of list) outcomes.push(await perform(on, schema, action))
  }
  for (const { kind, calls: list, ...rest } of blocks) {
    if (kind === 'plain') await each(db, list)
    if (kind === 'commit' || kind === 'rollback') {
      await db
        .transaction()
        .execute(async (trx) => {
          await each(trx, list)
          if (kind === 'rollback') throw new HostRollback()
        })
        .catch((error) => outcomes.push({ error: error instanceof HostRollback ? 'rolled back' : String(error) }))
    }
    if (kind === 'savepoint' && 'undone' in rest) {
      const trx = await db.startTransaction().execute()
      try {
        await each(trx, list)
        const inner = await trx.savepoint('inner').execute()
        await each(inner, rest.undone)
        await inner.rollbackToSavepoint('inner').execute()
        await each(trx, rest.after)
        await trx.commit().execute()
      } catch (error) {
        outcomes.push({ error: (error as { code?: string }).code ?? String(error) })
        await trx.rollback().execute()
      }
    }
  }
  return outcomes
}

/** Every user and task, in id order, and each user's counts. */
async function stateOf(db: Kysely<Database>) {
  const users = await db.selectFrom('users').select(['id', 'email', 'name']).orderBy('id').execute()
  const tasks = await db
    .selectFrom('tasks')
    .select(['id', 'user_id', 'title', 'completed', 'priority', 'completed_at'])
    .orderBy('id')
    .execute()
  const store = createTaskStore(db)
  const counts = await Promise.all(USER_IDS.map((id) => store.countTasks(id)))
  return {
    users,
    tasks: tasks.map(({ completed_at, ...task }) => ({ ...task, completedAt: completed_at !== null })),
    counts,
  }
}

let embedded: Kysely<Database>
beforeAll(async () => {
  const { PGlite } = await import('@electric-sql/pglite')
  embedded = createDatabase({ dialect: new PGliteDialect({ pglite: await PGlite.create() }) })
})
afterAll(async () => {
  await embedded?.destroy()
})

test('random store calls and raw SQL, committed and rolled back, leave the same state and counts on memory as on embedded', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(block, { minLength: 1, maxLength: 8 }), async (blocks) => {
      const memory = await createMemoryDatabase()
      const schema = uniqueSchema('same')
      await migrateToLatest(embedded, { schema })
      const onEmbedded = embedded.withSchema(schema)
      try {
        const expected = await play(onEmbedded, schema, blocks)
        const actual = await play(memory, 'public', blocks)
        expect(actual).toEqual(expected)
        expect(await stateOf(memory)).toEqual(await stateOf(onEmbedded))
      } finally {
        await memory.destroy()
        await embedded.schema.dropSchema(schema).cascade().execute()
      }
    }),
    { numRuns: Number(process.env.PROPERTY_RUNS ?? 40) },
  )
})
