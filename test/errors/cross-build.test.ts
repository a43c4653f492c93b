import { randomBytes } from 'node:crypto'
import { cp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { builtPackage } from '../support/built-package.js'

type Taskstore = typeof import('../../src/index.js')
type Testing = typeof import('../../src/testing/index.js')

/** One loaded copy of the built package: its main entry and its testing entry. */
interface Build {
  readonly name: string
  readonly taskstore: Taskstore
  readonly testing: Testing
}

const require = createRequire(import.meta.url)
const builds: Build[] = []
let secondCopy: string | undefined

beforeAll(async () => {
  const dist = await builtPackage()
  // Another installed copy of the package: the same files under another path,
  // so Node loads them as separate modules with classes of their own.
  secondCopy = join(dist, '..', `second-copy-${randomBytes(4).toString('hex')}`)
  await cp(dist, secondCopy, { recursive: true })
  const esm = (folder: string, entry: string) => import(pathToFileURL(join(folder, entry)).href)
  builds.push(
    { name: 'ESM build', taskstore: await esm(dist, 'index.js'), testing: await esm(dist, 'testing/index.js') },
    {
      name: 'CommonJS build',
      taskstore: require(join(dist, 'index.cjs')),
      testing: require(join(dist, 'testing/index.cjs')),
    },
    {
      name: 'second copy',
      taskstore: await esm(secondCopy, 'index.js'),
      testing: await esm(secondCopy, 'testing/index.js'),
    },
  )
}, 180_000)

afterAll(async () => {
  if (secondCopy) await rm(secondCopy, { recursive: true, force: true })
})

/** A NotFoundError thrown by a store of the given build, on an in-memory database. */
async function notFoundFrom(build: Build): Promise<unknown> {
  const db = await build.testing.createMemoryDatabase()
  try {
    return await build.taskstore
      .createTaskStore(db)
      .getTask('someone', 42)
      .then(
        () => new Error('expected getTask to fail'),
        (error: unknown) => error,
      )
  } finally {
    await db.destroy()
  }
}

describe('errors thrown by one build are recognised by another', () => {
  test('the builds really are separate: each has its own classes', () => {
    expect(builds.map((build) => build.name)).toEqual(['ESM build', 'CommonJS build', 'second copy'])
    const classes = new Set(builds.map((build) => build.taskstore.NotFoundError))
    expect(classes.size).toBe(3)
  })

  test('a store error from any build passes isTaskstoreError and instanceof of every build', async () => {
    for (const thrower of builds) {
      const error = await notFoundFrom(thrower)
      for (const checker of builds) {
        const { taskstore } = checker
        const where = `${thrower.name} → ${checker.name}`
        expect(taskstore.isTaskstoreError(error), where).toBe(true)
        expect(error instanceof taskstore.TaskstoreError, where).toBe(true)
        expect(error instanceof taskstore.NotFoundError, where).toBe(true)
        expect(error instanceof taskstore.ValidationError, where).toBe(false)
        expect(error instanceof taskstore.DatabaseUnavailableError, where).toBe(false)
      }
    }
  })

  test('every error class of one build is recognised by its own class, and only by it, in the others', () => {
    const names = [
      'ValidationError',
      'NotFoundError',
      'ForbiddenError',
      'ConflictError',
      'ConfigError',
      'DatabaseUnavailableError',
      'MigrationError',
    ] as const
    const make = (taskstore: Taskstore, name: (typeof names)[number]) =>
      name === 'ValidationError'
        ? new taskstore.ValidationError([{ path: ['title'], message: 'required' }])
        : name === 'MigrationError'
          ? new taskstore.MigrationError('failed', '0001_create_users')
          : name === 'ConflictError'
            ? new taskstore.ConflictError('taken', 'email')
            : new taskstore[name]('message')
    for (const thrower of builds) {
      for (const name of names) {
        const error = make(thrower.taskstore, name)
        for (const checker of builds) {
          for (const other of names) {
            expect(
              error instanceof checker.taskstore[other],
              `${thrower.name} ${name} vs ${checker.name} ${other}`,
            ).toBe(other === name)
          }
          expect(checker.taskstore.isTaskstoreError(error)).toBe(true)
        }
      }
    }
  })

  test('a host that mixes require and import still tells a missing task from a server fault', async () => {
    const { NotFoundError } = builds[0]!.taskstore
    const statusOf = (error: unknown) => (error instanceof NotFoundError ? 404 : 500)
    expect(statusOf(await notFoundFrom(builds[1]!))).toBe(404)
    expect(statusOf(new Error('boom'))).toBe(500)
  })
})
