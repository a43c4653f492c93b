import { isIntegerIn, isPlainObject } from './hand-checks.js'
import { parseInput } from './parse-input.js'
import {
  MAX_CURSOR_LENGTH,
  PAGE_SIZE,
  type ParsedTaskQuery,
  PRIORITY,
  TASK_SORTS,
  taskQuerySchema,
} from './task-schemas.js'

const SORTS: ReadonlySet<unknown> = new Set(TASK_SORTS)
const ORDERS: ReadonlySet<unknown> = new Set(['asc', 'desc'])

/** The hand check of each key the fast path takes; a `search` goes to zod. */
const FIELD_CHECKS = {
  completed: (value: unknown) => typeof value === 'boolean',
  priority: (value: unknown) => isIntegerIn(value, PRIORITY),
  sort: (value: unknown) => SORTS.has(value),
  order: (value: unknown) => ORDERS.has(value),
  limit: (value: unknown) => isIntegerIn(value, PAGE_SIZE),
  cursor: (value: unknown) => typeof value === 'string' && value.length <= MAX_CURSOR_LENGTH,
} as const
const FIELDS = Object.keys(FIELD_CHECKS) as (keyof typeof FIELD_CHECKS)[]
const SCHEMA_KEYS: ReadonlySet<string> = new Set(Object.keys(taskQuerySchema.shape))

/**
 * Parses a task listing's query: the same rule as `taskQuerySchema`,
 * checked by hand first for a plain object without a search (every
 * listing does it); zod runs for a search, or to explain a failure. Like
 * zod, it reads each field wherever the object gets it from (inherited,
 * non-enumerable), and it rejects own keys the schema does not know.
 *
 * @example
 * ```ts
 * const query = parseTaskQuery({ sort: 'priority', limit: 20 })
 * ```
 */
export function parseTaskQuery(value: unknown): ParsedTaskQuery {
  return fastTaskQuery(value) ?? parseInput(taskQuerySchema, value)
}

function fastTaskQuery(value: unknown): ParsedTaskQuery | undefined {
  if (!isPlainObject(value) || value.search !== undefined) return undefined
  for (const key of Object.keys(value)) if (!SCHEMA_KEYS.has(key)) return undefined
  // no prototype: a field the caller did not give can never be read from a polluted Object.prototype
  const query: Record<string, unknown> = Object.create(null)
  for (const key of FIELDS) {
    const field = value[key]
    if (field === undefined) continue
    if (!FIELD_CHECKS[key](field)) return undefined
    query[key] = field
  }
  return query as ParsedTaskQuery
}
