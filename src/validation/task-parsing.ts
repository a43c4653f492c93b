import { isIntegerIn, isPlainObject } from './hand-checks.js'
import { parseInput } from './parse-input.js'
import {
  DESCRIPTION_LENGTH,
  type ParsedTaskInput,
  type ParsedTaskPatch,
  PRIORITY,
  TITLE_LENGTH,
  taskInputSchema,
  taskPatchSchema,
} from './task-schemas.js'
import { isBoundedText } from './text-rules.js'

/** What a field's hand check returns for a value it cannot vouch for: zod then decides, and explains. */
const UNCHECKED = Symbol('unchecked')

/** Each field's hand check: the value as the schema outputs it, or UNCHECKED. */
const FIELD_CHECKS = {
  title: (value: unknown) => {
    if (typeof value !== 'string') return UNCHECKED
    const title = value.trim()
    return isBoundedText(title, TITLE_LENGTH.min, TITLE_LENGTH.max) ? title : UNCHECKED
  },
  description: (value: unknown) =>
    value === null ||
    (typeof value === 'string' && isBoundedText(value, DESCRIPTION_LENGTH.min, DESCRIPTION_LENGTH.max))
      ? value
      : UNCHECKED,
  priority: (value: unknown) => (isIntegerIn(value, PRIORITY) ? value : UNCHECKED),
  completed: (value: unknown) => (typeof value === 'boolean' ? value : UNCHECKED),
} as const
type Field = keyof typeof FIELD_CHECKS
const FIELDS = Object.keys(FIELD_CHECKS) as Field[]
const KNOWN_KEYS: ReadonlySet<string> = new Set(FIELDS)

/**
 * Parses a new task: the same rule as `taskInputSchema`, with the same
 * result, checked by hand first because every `createTask` does it; zod
 * runs for anything the hand check cannot vouch for, to accept it or to
 * explain the failure.
 *
 * @example
 * ```ts
 * const task = parseTaskInput({ title: '  Plan the week ', priority: 2 }) // { title: 'Plan the week', priority: 2 }
 * ```
 */
export function parseTaskInput(value: unknown): ParsedTaskInput {
  const task = checkedByHand(value)
  return task?.title !== undefined ? (task as ParsedTaskInput) : parseInput(taskInputSchema, value)
}

/**
 * Parses a task patch: the same rule as `taskPatchSchema` (at least one
 * field), with the same result, checked by hand first like
 * {@link parseTaskInput}.
 *
 * @example
 * ```ts
 * const patch = parseTaskPatch({ completed: true })
 * ```
 */
export function parseTaskPatch(value: unknown): ParsedTaskPatch {
  const patch = checkedByHand(value)
  return patch && FIELDS.some((field) => patch[field] !== undefined) ? patch : parseInput(taskPatchSchema, value)
}

/**
 * The fields of a plain object whose every key is a task field and every
 * field given passes its check; undefined otherwise. Like zod, it reads
 * each field wherever the object gets it from, and rejects own keys it
 * does not know.
 */
function checkedByHand(value: unknown): ParsedTaskPatch | undefined {
  if (!isPlainObject(value)) return undefined
  for (const key of Object.keys(value)) if (!KNOWN_KEYS.has(key)) return undefined
  // no prototype: a field the caller did not give can never be read from a polluted Object.prototype
  const fields: Record<string, unknown> = Object.create(null)
  for (const field of FIELDS) {
    const given = value[field]
    if (given === undefined) continue
    const checked = FIELD_CHECKS[field](given)
    if (checked === UNCHECKED) return undefined
    fields[field] = checked
  }
  return fields as ParsedTaskPatch
}
