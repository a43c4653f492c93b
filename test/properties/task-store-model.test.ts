import fc from 'fast-check'
import { expect, test } from 'vitest'
import type { Task } from '../../src/index.js'
import { describeEachBackend } from '../support/backends.js'
import { storeFixture } from '../support/fixtures.js'

/** The plain in-memory model the store is compared with. */
interface ModelTask {
  userId: string
  title: string
  description: string | null
  completed: boolean
  priority: number
}

const USERS = 3
const text = fc
  .string({ minLength: 1, maxLength: 12, unit: 'grapheme' })
  .filter((s) => s.trim().length > 0 && !s.includes('\u0000'))

// Operations refer to users and tasks by index, resolved against what exists at run time.
const operation = fc.oneof(
  fc.record({
    op: fc.constant('create' as const),
    user: fc.nat(USERS - 1),
    title: text,
    priority: fc.integer({ min: 1, max: 5 }),
    completed: fc.boolean(),
  }),
  fc.record({ op: fc.constant('get' as const), user: fc.nat(USERS - 1), task: fc.nat(20) }),
  fc.record({
    op: fc.constant('update' as const),
    user: fc.nat(USERS - 1),
    task: fc.nat(20),
    patch: fc
      .record(
        {
          title: text,
          description: fc.option(text),
          priority: fc.integer({ min: 1, max: 5 }),
          completed: fc.boolean(),
        },
        { requiredKeys: [] },
      )
      .filter((p) => Object.keys(p).length > 0),
  }),
  fc.record({ op: fc.constant('delete' as const), user: fc.nat(USERS - 1), task: fc.nat(20) }),
  fc.record({ op: fc.constant('toggle' as const), user: fc.nat(USERS - 1), task: fc.nat(20) }),
  fc.record({ op: fc.constant('count' as const), user: fc.nat(USERS - 1) }),
  fc.record({ op: fc.constant('clear' as const), user: fc.nat(USERS - 1) }),
  fc.record({
    op: fc.constant('list' as const),
    user: fc.nat(USERS - 1),
    completed: fc.option(fc.boolean(), { nil: undefined }),
  }),
)

function shape(task: Task) {
  return {
    userId: task.userId,
    title: task.title,
    description: task.description,
    completed: task.completed,
    priority: task.priority,
  }
}

const RUNS = Number(process.env.MODEL_RUNS ?? 0)

describeEachBackend('TaskStore against a model', (context) => {
  test("every result equals the model and no call touches another user's task", async () => {
    const { db, tasks, users } = await storeFixture(context().db)
    const userIds = [(await users.createUser({ email: 'u0@example.com' })).id]
    for (let i = 1; i < USERS; i++) userIds.push((await users.createUser({ email: `u${i}@example.com` })).id)
    const runs = RUNS || (context().backend === 'memory' ? 40 : 200)

    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 25 }), async (ops) => {
        await db.deleteFrom('tasks').execute()
        const model = new Map<number, ModelTask>()
        const ids: number[] = []
        const pick = (index: number) => ids[index % Math.max(ids.length, 1)] ?? 999_999

        // What the store should say about a task the caller asks for.
        const expectedAccess = (userId: string, id: number) =>
          !model.has(id) ? 'not_found' : model.get(id)!.userId !== userId ? 'forbidden' : 'ok'
        const outcome = async <T>(call: () => Promise<T>) => {
          try {
            return { ok: true as const, value: await call() }
          } catch (error) {
            return { ok: false as const, code: (error as { code?: string }).code }
          }
        }

        for (const step of ops) {
          const userId = userIds[step.user]!
          switch (step.op) {
            case 'create': {
              const task = await tasks.createTask(userId, {
                title: step.title,
                priority: step.priority,
                completed: step.completed,
              })
              const expected = {
                userId,
                title: step.title.trim(),
                description: null,
                completed: step.completed,
                priority: step.priority,
              }
              expect(shape(task)).toEqual(expected)
              model.set(task.id, expected)
              ids.push(task.id)
              break
            }
            case 'get':
            case 'delete':
            case 'toggle': {
              const id = pick(step.task)
              const access = expectedAccess(userId, id)
              const before = model.get(id)
              const call =
                step.op === 'get'
                  ? () => tasks.getTask(userId, id)
                  : step.op === 'delete'
                    ? () => tasks.deleteTask(userId, id)
                    : () => tasks.toggleComplete(userId, id)
              const result = await outcome(call)
              if (access !== 'ok') {
                expect(result).toEqual({ ok: false, code: access })
                break
              }
              expect(result.ok).toBe(true)
              if (step.op === 'toggle') before!.completed = !before!.completed
              if (result.ok) expect(shape(result.value)).toEqual(before)
              if (step.op === 'delete') model.delete(id)
              break
            }
            case 'update': {
              const id = pick(step.task)
              const access = expectedAccess(userId, id)
              const result = await outcome(() => tasks.updateTask(userId, id, step.patch))
              if (access !== 'ok') {
                expect(result).toEqual({ ok: false, code: access })
                break
              }
              const current = model.get(id)!
              const { title, ...rest } = step.patch
              Object.assign(current, rest, title === undefined ? {} : { title: title.trim() })
              expect(result.ok && shape(result.value)).toEqual(current)
              break
            }
            case 'count': {
              const mine = [...model.values()].filter((t) => t.userId === userId)
              const completed = mine.filter((t) => t.completed).length
              expect(await tasks.countTasks(userId)).toEqual({
                total: mine.length,
                completed,
                pending: mine.length - completed,
              })
              break
            }
            case 'clear': {
              const doomed = [...model.entries()].filter(([, t]) => t.userId === userId && t.completed)
              expect(await tasks.clearCompleted(userId)).toBe(doomed.length)
              for (const [id] of doomed) model.delete(id)
              break
            }
            case 'list': {
              const page = await tasks.getTasks(userId, {
                completed: step.completed,
                limit: 100,
                sort: 'createdAt',
                order: 'asc',
              })
              const expected = [...model.entries()]
                .filter(
                  ([, t]) => t.userId === userId && (step.completed === undefined || t.completed === step.completed),
                )
                .map(([id]) => id)
              expect(page.items.map((t) => t.id)).toEqual(expected)
              expect(page.items.every((t) => t.userId === userId)).toBe(true)
              break
            }
          }
        }
        // the database holds exactly the model, owners included
        const rows = await db
          .selectFrom('tasks')
          .select(['id', 'user_id', 'completed', 'completed_at'])
          .orderBy('id')
          .execute()
        expect(rows.map((r) => [r.id, r.user_id, r.completed])).toEqual(
          [...model.entries()].map(([id, t]) => [id, t.userId, t.completed]),
        )
        for (const row of rows) expect(row.completed).toBe(row.completed_at !== null)
      }),
      { numRuns: runs },
    )
  }, 300_000)
})
