import { expect, test } from 'vitest'
import type { z } from 'zod'
import {
  type TaskstoreError,
  taskInputSchema,
  taskPatchSchema,
  userInputSchema,
  userPatchSchema,
  type ValidationIssue,
} from '../../src/index.js'
import { allTasksQuerySchema, taskQuerySchema } from '../../src/validation/index.js'
import { describeEachBackend } from '../support/backends.js'
import { expectCode, type StoreFixture, storeFixture } from '../support/fixtures.js'

type Schema = z.ZodType

/** A store call, the exported schema that describes its input, and inputs both must reject. */
interface Case {
  readonly call: string
  readonly schema: Schema
  readonly run: (fixture: StoreFixture, input: unknown) => Promise<unknown>
  readonly inputs: readonly unknown[]
}

const TASK_INPUTS = [
  { title: '' },
  { title: '   ' },
  { title: 'x'.repeat(201) },
  {},
  { title: 5 },
  { title: 'ok', priority: 0 },
  { title: 'ok', priority: 2.5 },
  { title: 'ok', description: 'x'.repeat(1001) },
  { title: 'ok', description: 5 },
  { title: 'ok', completed: 'yes' },
  { title: 'ok', extra: 1 },
  { title: 'nul\u0000' },
  { title: '', priority: 9, extra: true },
  'not an object',
  null,
  [],
]

const TASK_PATCHES = [
  {},
  { title: '' },
  { priority: 6 },
  { description: 5 },
  { completed: null },
  { foo: 1 },
  { title: 'x'.repeat(201), priority: 0 },
  'not an object',
  null,
]

const TASK_QUERIES = [
  { limit: 0 },
  { limit: 101 },
  { limit: 'ten' },
  { sort: 'nope' },
  { order: 'up' },
  { priority: 0 },
  { search: 'x'.repeat(201) },
  { search: 5 },
  { cursor: 5 },
  { completed: 'true' },
  { bogus: 1 },
  { limit: 0, sort: 'nope' },
  'not an object',
  null,
]

const USER_INPUTS = [
  { email: 'not-an-email' },
  { email: '' },
  { email: 5 },
  {},
  { email: 'e@example.com', password: 'short' },
  { email: 'e@example.com', password: 'x'.repeat(1025) },
  { email: 'e@example.com', password: 'long enough', passwordHash: 'h' },
  { email: 'e@example.com', name: 'n'.repeat(101) },
  { email: 'e@example.com', name: 5 },
  { email: 'e@example.com', id: '' },
  { email: 'e@example.com', id: 'x'.repeat(37) },
  { email: 'e@example.com', role: 'admin' },
  { email: 'bad', password: 'short', name: 5 },
  'not an object',
  null,
]

const USER_PATCHES = [
  {},
  { email: 'bad' },
  { passwordHash: 'x' },
  { isActive: 'yes' },
  { password: 'short' },
  { name: 'n'.repeat(101) },
  { email: 'bad', emailVerified: 1 },
  'not an object',
  null,
]

const CASES: readonly Case[] = [
  {
    call: 'createTask',
    schema: taskInputSchema,
    run: ({ tasks, alice }, input) => tasks.createTask(alice.id, input as never),
    inputs: TASK_INPUTS,
  },
  {
    call: 'updateTask',
    schema: taskPatchSchema,
    run: async ({ tasks, alice }, patch) => {
      const task = await tasks.createTask(alice.id, { title: 'to change' })
      return tasks.updateTask(alice.id, task.id, patch as never)
    },
    inputs: TASK_PATCHES,
  },
  {
    call: 'getTasks',
    schema: taskQuerySchema,
    run: ({ tasks, alice }, query) => tasks.getTasks(alice.id, query as never),
    inputs: TASK_QUERIES,
  },
  {
    call: 'listAllTasks',
    schema: allTasksQuerySchema,
    run: ({ tasks }, query) => tasks.listAllTasks(query as never),
    inputs: [...TASK_QUERIES, { userId: '' }, { userId: 'x'.repeat(37) }, { userId: 5, limit: 0 }],
  },
  {
    call: 'createUser',
    schema: userInputSchema,
    run: ({ users }, input) => users.createUser(input as never),
    inputs: USER_INPUTS,
  },
  {
    call: 'updateUser',
    schema: userPatchSchema,
    run: ({ users, alice }, patch) => users.updateUser(alice.id, patch as never),
    inputs: USER_PATCHES,
  },
]

/** The ValidationError a call throws, as data: its issues, and its message. */
async function rejectionOf(promise: Promise<unknown>) {
  const error = (await expectCode(promise, 'validation')) as TaskstoreError & { issues: ValidationIssue[] }
  return { issues: error.issues.map(({ path, message }) => ({ path, message })), message: error.message }
}

function schemaIssues(schema: Schema, input: unknown) {
  const result = schema.safeParse(input)
  expect(result.success).toBe(false)
  return result.error!.issues.map(({ path, message }) => ({ path, message }))
}

/** How many times `part` occurs in `text`. */
const occurrences = (text: string, part: string) => text.split(part).length - 1

describeEachBackend('ValidationError issues', (context) => {
  for (const { call, schema, run, inputs } of CASES) {
    test(`${call}: each issue has the path and message the exported schema reports, and no prefix is repeated`, async () => {
      const fixture = await storeFixture(context().db)
      for (const input of inputs) {
        const { issues, message } = await rejectionOf(run(fixture, input))
        expect({ input, issues }).toEqual({ input, issues: schemaIssues(schema, input) })
        expect({ input, invalidInput: occurrences(message, 'Invalid input') }).toEqual({ input, invalidInput: 1 })
        for (const { path } of issues) {
          if (path.length === 0) continue
          const prefix = `${path.join('.')}:`
          const samePath = issues.filter((issue) => issue.path.join('.') === path.join('.')).length
          expect({ input, prefix, count: occurrences(message, prefix) }).toEqual({ input, prefix, count: samePath })
        }
      }
    })
  }

  test('plain arguments are named by their path: userId, taskId, id, email, password, and a cursor by its query key', async () => {
    const { tasks, users, alice } = await storeFixture(context().db)
    const pathsOf = async (promise: Promise<unknown>) => (await rejectionOf(promise)).issues.map((issue) => issue.path)
    expect(await pathsOf(tasks.getTask('', 1))).toEqual([['userId']])
    expect(await pathsOf(tasks.getTask(alice.id, 0))).toEqual([['taskId']])
    expect(await pathsOf(tasks.createTask(5 as never, { title: 'x' }))).toEqual([['userId']])
    expect(await pathsOf(users.getUser(''))).toEqual([['id']])
    expect(await pathsOf(users.findUserByEmail('nope'))).toEqual([['email']])
    expect(await pathsOf(users.verifyPassword('alice@example.com', 5 as never))).toEqual([['password']])
    expect(await pathsOf(tasks.getTasks(alice.id, { cursor: 'not a cursor' }))).toEqual([['cursor']])
    const { message } = await rejectionOf(tasks.getTask(5 as never, 1))
    expect(message).toBe('Invalid input: userId: must be a string')
  })

  test('a value that is not an object is reported at the root, naming what was expected', async () => {
    const { tasks, alice } = await storeFixture(context().db)
    expect(await rejectionOf(tasks.createTask(alice.id, 'buy milk' as never))).toEqual({
      issues: [{ path: [], message: 'a task must be an object' }],
      message: 'Invalid input: a task must be an object',
    })
  })
})
