import { describe, expect, expectTypeOf, test } from 'vitest'
import {
  ConfigError,
  ConflictError,
  DatabaseUnavailableError,
  ForbiddenError,
  isTaskstoreError,
  MigrationError,
  NotFoundError,
  TaskstoreError,
  type TaskstoreErrorCode,
  ValidationError,
  type ValidationIssue,
} from '../../src/index.js'

// These checks run when the test files are type-checked (npx tsc --noEmit):
// a `@ts-expect-error` that stops erroring, or a narrowing that stops
// narrowing, fails the type check.

function afterGuard(error: unknown) {
  if (!isTaskstoreError(error)) return
  expectTypeOf(error.code).toEqualTypeOf<TaskstoreErrorCode>()
  // @ts-expect-error only a ValidationError has issues
  error.issues
  if (error.code === 'validation') {
    expectTypeOf(error).toEqualTypeOf<ValidationError>()
    expectTypeOf(error.issues).toEqualTypeOf<readonly ValidationIssue[]>()
  }
  if (error.code === 'migration') expectTypeOf(error.migrationName).toEqualTypeOf<string | null>()
  if (error.code === 'not_found') expectTypeOf(error).toEqualTypeOf<NotFoundError>()
}

function inCatch(error: unknown) {
  if (error instanceof TaskstoreError) {
    expectTypeOf(error).toEqualTypeOf<TaskstoreError>()
    switch (error.code) {
      case 'validation':
        expectTypeOf(error.issues).toEqualTypeOf<readonly ValidationIssue[]>()
        break
      case 'conflict':
        expectTypeOf(error).toEqualTypeOf<ConflictError>()
        // @ts-expect-error a ConflictError has no issues
        error.issues
        break
      case 'forbidden':
        expectTypeOf(error).toEqualTypeOf<ForbiddenError>()
        break
      case 'config':
        expectTypeOf(error).toEqualTypeOf<ConfigError>()
        break
      case 'unavailable':
        expectTypeOf(error).toEqualTypeOf<DatabaseUnavailableError>()
        break
      default:
        expectTypeOf(error).toEqualTypeOf<NotFoundError | MigrationError>()
    }
  }
  // instanceof a subclass still narrows to that subclass
  if (error instanceof ValidationError) expectTypeOf(error.issues).toEqualTypeOf<readonly ValidationIssue[]>()
  if (error instanceof MigrationError) expectTypeOf(error).toEqualTypeOf<MigrationError>()
}

function exhaustive(error: TaskstoreError): string {
  switch (error.code) {
    case 'validation':
    case 'not_found':
    case 'forbidden':
    case 'conflict':
    case 'config':
    case 'unavailable':
    case 'migration':
      return error.code
    default:
      expectTypeOf(error).toBeNever()
      return error
  }
}

describe('TaskstoreError as a union discriminated by code', () => {
  const errors = [
    new ValidationError([{ path: ['title'], message: 'too long' }]),
    new NotFoundError('no such task'),
    new ForbiddenError('not yours'),
    new ConflictError('taken', 'email'),
    new ConfigError('set DATABASE_URL'),
    new DatabaseUnavailableError('down'),
    new MigrationError('failed', '0001_create_users'),
  ]

  test('every error class is a TaskstoreError, and checking the code reaches its own fields', () => {
    for (const error of errors) {
      expect(error).toBeInstanceOf(TaskstoreError)
      expect(error).toBeInstanceOf(Error)
      expect(isTaskstoreError(error)).toBe(true)
      expect(exhaustive(error)).toBe(error.code)
      afterGuard(error)
      inCatch(error)
    }
    const [validation] = errors
    if (isTaskstoreError(validation) && validation.code === 'validation') {
      expect(validation.issues).toEqual([{ path: ['title'], message: 'too long' }])
    }
  })

  test('instanceof a subclass accepts only errors of that class', () => {
    for (const error of errors) {
      expect(error instanceof ValidationError).toBe(error.code === 'validation')
      expect(error instanceof NotFoundError).toBe(error.code === 'not_found')
      expect(error instanceof MigrationError).toBe(error.code === 'migration')
    }
  })

  test('other errors are not TaskstoreErrors, even with a matching code', () => {
    const lookalike = Object.assign(new Error('nope'), { code: 'not_found', name: 'NotFoundError' })
    for (const value of [lookalike, new Error('x'), null, undefined, 'not_found', { code: 'validation' }]) {
      expect(isTaskstoreError(value)).toBe(false)
      expect(value instanceof TaskstoreError).toBe(false)
      expect(value instanceof NotFoundError).toBe(false)
    }
  })

  test('a subclass a host derives from a taskstore class keeps plain instanceof semantics', () => {
    class HostNotFound extends NotFoundError {}
    expect(new HostNotFound('x')).toBeInstanceOf(NotFoundError)
    expect(new HostNotFound('x')).toBeInstanceOf(TaskstoreError)
    expect(new NotFoundError('x') instanceof HostNotFound).toBe(false)
  })
})
