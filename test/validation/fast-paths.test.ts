import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { ValidationError } from '../../src/errors/index.js'
import {
  MAX_CURSOR_LENGTH,
  parseTaskId,
  parseTaskInput,
  parseTaskPatch,
  parseTaskQuery,
  parseUserId,
  taskIdSchema,
  taskInputSchema,
  taskPatchSchema,
  taskQuerySchema,
  userIdSchema,
} from '../../src/validation/index.js'

/** Asserts that `parse` accepts exactly what `schema` accepts, returns what it returns, and throws ValidationError otherwise. */
function expectSameAsSchema<T>(
  values: fc.Arbitrary<T>,
  parse: (value: T) => unknown,
  schema: { safeParse(value: unknown): { success: true; data: unknown } | { success: false } },
): void {
  fc.assert(
    fc.property(values, (value) => {
      const expected = schema.safeParse(value)
      if (expected.success) expect(parse(value)).toEqual(expected.data)
      else expect(() => parse(value)).toThrow(ValidationError)
    }),
    { numRuns: 5_000 },
  )
}

test('parseUserId accepts exactly what userIdSchema accepts', () => {
  const ids = fc.oneof(
    fc.string({ maxLength: 40, unit: 'binary' }),
    fc.string({ maxLength: 40, unit: 'grapheme' }),
    fc.constantFrom('', '\u0000', '\ud800', 'x'.repeat(36), 'x'.repeat(37), '😀'.repeat(36), '😀'.repeat(37)),
    fc.anything(),
  )
  expectSameAsSchema(ids, (id) => parseUserId(id, 'userId'), userIdSchema)
})

test('parseTaskId accepts exactly what taskIdSchema accepts', () => {
  const ids = fc.oneof(
    fc.integer(),
    fc.double(),
    fc.constantFrom(0, -0, 1, 2147483647, 2147483648, Number.NaN, Number.POSITIVE_INFINITY, '1', 1n, null),
    fc.anything(),
  )
  expectSameAsSchema(ids, (id) => parseTaskId(id, 'taskId'), taskIdSchema)
})

test('parseTaskQuery accepts exactly what taskQuerySchema accepts, with the same result', () => {
  const value = fc.oneof(
    fc.constantFrom(undefined, null, true, false, 0, 1, 5, 6, 100, 101, -1, 2.5, Number.NaN, '', 'asc', 'desc'),
    fc.constantFrom('createdAt', 'updatedAt', 'priority', 'title', 'completedAt', 'id', 'x'.repeat(MAX_CURSOR_LENGTH)),
    fc.constantFrom('x'.repeat(MAX_CURSOR_LENGTH + 1), 'a\u0000', '\ud800', 'invoice'),
    fc.string({ maxLength: 8 }),
    fc.anything(),
  )
  const key = fc.constantFrom('completed', 'priority', 'search', 'sort', 'order', 'limit', 'cursor', 'userId', 'other')
  // every key the fast path knows, each valid or just outside its rule
  const nearlyValid = fc.record(
    {
      completed: fc.constantFrom(true, false, undefined, 'true'),
      priority: fc.constantFrom(1, 5, undefined, 0, 6, 2.5),
      sort: fc.constantFrom('createdAt', 'title', 'completedAt', undefined, 'id'),
      order: fc.constantFrom('asc', 'desc', undefined, 'up'),
      limit: fc.constantFrom(1, 100, undefined, 0, 101, 1.5),
      cursor: fc.constantFrom('v1.x', 'x'.repeat(MAX_CURSOR_LENGTH), undefined, 'x'.repeat(MAX_CURSOR_LENGTH + 1), 7),
    },
    { requiredKeys: [] },
  )
  // the same fields as non-enumerable own properties, which zod reads too
  const hidden = nearlyValid.map((fields) => {
    const query = {}
    for (const [name, field] of Object.entries(fields)) Object.defineProperty(query, name, { value: field })
    return query
  })
  const queries = fc.oneof(
    nearlyValid,
    hidden,
    fc.dictionary(key, value, { maxKeys: 5 }),
    fc.dictionary(key, value, { maxKeys: 3 }).map((fields) => Object.assign(Object.create(null), fields)),
    fc.constantFrom(
      undefined,
      null,
      [],
      'query',
      new Date(0),
      Object.create({ limit: 5 }),
      Object.setPrototypeOf([], Object.prototype),
    ),
    fc.anything(),
  )
  expectSameAsSchema(queries, (query) => parseTaskQuery(query), taskQuerySchema)
})

test('parseTaskQuery, like zod, checks fields a polluted Object.prototype supplies, and never hands them on', () => {
  const prototype = Object.prototype as Record<string, unknown>
  for (const [name, polluted] of [
    ['limit', 'x'],
    ['priority', 9],
    ['search', 'a\u0000'],
    ['limit', 7],
  ] as const) {
    prototype[name] = polluted
    try {
      for (const query of [{}, { sort: 'title' }, Object.create(null)]) {
        const expected = taskQuerySchema.safeParse(query)
        if (expected.success) {
          const parsed = parseTaskQuery(query) as Record<string, unknown>
          // what the store reads: a field the caller gave, or nothing
          expect(parsed[name]).toBe(Object.getPrototypeOf(query) === null ? undefined : polluted)
        } else {
          expect(() => parseTaskQuery(query)).toThrow(ValidationError)
        }
      }
    } finally {
      delete prototype[name]
    }
  }
})

describe('parseTaskInput and parseTaskPatch accept exactly what their schemas accept, with the same result', () => {
  // each field valid, or just outside its rule (lengths counted in code points, after trimming for a title)
  const text = (max: number) =>
    fc.constantFrom(
      '',
      ' ',
      '  Plan the week ',
      'a\u0000b',
      '\ud800',
      'x'.repeat(max),
      'x'.repeat(max + 1),
      ` ${'x'.repeat(max)} `,
      '😀'.repeat(max),
      '😀'.repeat(max + 1),
      `${'😀'.repeat(max - 1)}xy`,
      7,
      null,
    )
  const nearlyValid = fc.record(
    {
      title: fc.oneof(text(200), fc.string({ maxLength: 6, unit: 'binary' }), fc.constant(undefined)),
      description: fc.oneof(text(1000), fc.constant(undefined)),
      priority: fc.constantFrom(1, 3, 5, undefined, 0, 6, 2.5, '3', null),
      completed: fc.constantFrom(true, false, undefined, 'true', 0, null),
    },
    { requiredKeys: [] },
  )
  // the same fields as non-enumerable own properties, which zod reads too
  const hidden = nearlyValid.map((fields) => {
    const task = {}
    for (const [name, field] of Object.entries(fields)) Object.defineProperty(task, name, { value: field })
    return task
  })
  const key = fc.constantFrom('title', 'description', 'priority', 'completed', 'userId', 'id', 'other')
  const values = fc.oneof(
    nearlyValid,
    hidden,
    nearlyValid.map((fields) => Object.assign(Object.create(null), fields)),
    nearlyValid.map((fields) => ({ ...fields, extra: 1 })),
    fc.dictionary(key, fc.anything(), { maxKeys: 4 }),
    fc.constantFrom(undefined, null, [], 'task', new Date(0), Object.create({ title: 'inherited' })),
    fc.anything(),
  )

  test('parseTaskInput', () => expectSameAsSchema(values, (task) => parseTaskInput(task), taskInputSchema))
  test('parseTaskPatch', () => expectSameAsSchema(values, (patch) => parseTaskPatch(patch), taskPatchSchema))
})

test('parseTaskPatch, like zod, checks fields a polluted Object.prototype supplies', () => {
  const prototype = Object.prototype as Record<string, unknown>
  for (const [name, polluted] of [
    ['priority', 9],
    ['title', 'a\u0000'],
    ['completed', true],
  ] as const) {
    prototype[name] = polluted
    try {
      for (const patch of [{}, { priority: 2 }, Object.create(null)]) {
        const expected = taskPatchSchema.safeParse(patch)
        if (expected.success) expect(parseTaskPatch(patch)).toEqual(expected.data)
        else expect(() => parseTaskPatch(patch)).toThrow(ValidationError)
      }
    } finally {
      delete prototype[name]
    }
  }
})
