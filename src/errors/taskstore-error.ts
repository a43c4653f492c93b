import type { ConfigError } from './config-error.js'
import type { ConflictError } from './conflict-error.js'
import type { DatabaseUnavailableError } from './database-unavailable-error.js'
import type { ForbiddenError } from './forbidden-error.js'
import type { MigrationError } from './migration-error.js'
import type { NotFoundError } from './not-found-error.js'
import type { ValidationError } from './validation-error.js'

/** Stable machine-readable codes carried by every {@link TaskstoreError}. */
export type TaskstoreErrorCode =
  | 'validation'
  | 'not_found'
  | 'forbidden'
  | 'conflict'
  | 'config'
  | 'unavailable'
  | 'migration'

const CODES: ReadonlySet<unknown> = new Set<TaskstoreErrorCode>([
  'validation',
  'not_found',
  'forbidden',
  'conflict',
  'config',
  'unavailable',
  'migration',
])

// A registered symbol: the ESM and CommonJS builds, and any other installed
// copy of the package, all mark their errors with this same key, so each
// recognises the others' errors where class identity would not.
const BRAND = Symbol.for('taskstore.error')

// The code each of the package's own classes stands for, so `instanceof
// NotFoundError` accepts a not_found error from another copy and nothing else.
const CLASS_CODES = new WeakMap<object, TaskstoreErrorCode>()

function isBranded(value: unknown): value is { readonly code: TaskstoreErrorCode } {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[BRAND] === true &&
    CODES.has((value as { code?: unknown }).code)
  )
}

function recognises(errorClass: object, value: unknown): boolean {
  if (Function.prototype[Symbol.hasInstance].call(errorClass, value)) return true
  if (!isBranded(value)) return false
  if (errorClass === TaskstoreErrorBase) return true
  return CLASS_CODES.get(errorClass) === value.code
}

/**
 * The class every error of this package extends. Its `instanceof` checks
 * the brand and the code rather than the prototype chain, so an error from
 * another build or copy of the package passes it too.
 *
 * @internal Public code names {@link TaskstoreError}, which is this class typed as the union of its subclasses.
 * @example
 * ```ts
 * class TeapotError extends TaskstoreErrorBase {
 *   readonly code = 'config'
 * }
 * brandErrorClass(TeapotError, 'config')
 * ```
 */
export abstract class TaskstoreErrorBase extends Error {
  abstract readonly code: TaskstoreErrorCode
  override name = 'TaskstoreError'

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
  }

  // Declared to return boolean, not a type predicate, so TypeScript narrows
  // `instanceof` by each class's own instance type, as for any class.
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class on the right of instanceof, maybe a subclass
    return recognises(this, value)
  }
}
Object.defineProperty(TaskstoreErrorBase.prototype, BRAND, { value: true })
// Exported as TaskstoreError; its name is that one's, as its instances' is.
Object.defineProperty(TaskstoreErrorBase, 'name', { value: 'TaskstoreError' })

/**
 * Declares which code a subclass stands for, so that `instanceof` on it
 * recognises errors of that code from any copy of the package. Called after
 * the class, not in a static block of it: a class that names itself in its
 * own body is bundled as `var X = class _X`, and its `name` would be `_X`.
 *
 * @example
 * ```ts
 * class TeapotError extends TaskstoreErrorBase {
 *   readonly code = 'config'
 * }
 * brandErrorClass(TeapotError, 'config')
 * ```
 */
export function brandErrorClass(
  errorClass: abstract new (...args: any[]) => TaskstoreErrorBase,
  code: TaskstoreErrorCode,
) {
  CLASS_CODES.set(errorClass, code)
}

/**
 * Every error taskstore throws: a union discriminated by `code`, so that
 * checking the code narrows to the class (`error.code === 'validation'`
 * gives `error.issues`). Switch on `code`, which never changes between
 * releases; `message` is for people and may.
 *
 * @example
 * ```ts
 * try {
 *   await tasks.getTask(userId, 42)
 * } catch (error) {
 *   if (error instanceof TaskstoreError && error.code === 'not_found') return null
 *   throw error
 * }
 * ```
 */
export type TaskstoreError =
  | ValidationError
  | NotFoundError
  | ForbiddenError
  | ConflictError
  | ConfigError
  | DatabaseUnavailableError
  | MigrationError

/** The value side of {@link TaskstoreError}: what `instanceof` is checked against. */
export interface TaskstoreErrorClass {
  /** True for an error of any build (ESM or CommonJS) or installed copy of taskstore. */
  [Symbol.hasInstance](value: unknown): value is TaskstoreError
  readonly prototype: TaskstoreError
}

/**
 * The base class of every error taskstore throws, for `instanceof`. Errors
 * from the package's other build (ESM or CommonJS) or from another
 * installed copy pass the check too.
 *
 * @example
 * ```ts
 * try {
 *   await tasks.getTask(userId, 42)
 * } catch (error) {
 *   if (error instanceof TaskstoreError && error.code === 'not_found') return null
 *   throw error
 * }
 * ```
 */
// A class cannot type its instances as the union of its subclasses, so the base class is retyped as that union's class.
export const TaskstoreError: TaskstoreErrorClass = TaskstoreErrorBase as unknown as TaskstoreErrorClass

/**
 * Tells whether a value is an error thrown by taskstore, from either build
 * or any installed copy of the package.
 *
 * @example
 * ```ts
 * if (isTaskstoreError(error) && error.code === 'validation') console.log(error.issues)
 * ```
 */
export function isTaskstoreError(value: unknown): value is TaskstoreError {
  return value instanceof TaskstoreErrorBase
}
