import fc from 'fast-check'
import { expect, test } from 'vitest'
import { parseTaskId, parseUserId, taskIdSchema, userIdSchema } from '../../src/validation/index.js'

const accepts = (parse: () => unknown) => {
  try {
    parse()
    return true
  } catch {
    return false
  }
}

test('parseUserId accepts exactly what userIdSchema accepts', () => {
  const ids = fc.oneof(
    fc.string({ maxLength: 40, unit: 'binary' }),
    fc.string({ maxLength: 40, unit: 'grapheme' }),
    fc.constantFrom('', '\u0000', '\ud800', 'x'.repeat(36), 'x'.repeat(37), '😀'.repeat(36), '😀'.repeat(37)),
    fc.anything(),
  )
  fc.assert(
    fc.property(ids, (id) => {
      expect(accepts(() => parseUserId(id, 'userId'))).toBe(userIdSchema.safeParse(id).success)
    }),
    { numRuns: 2_000 },
  )
})

test('parseTaskId accepts exactly what taskIdSchema accepts', () => {
  const ids = fc.oneof(
    fc.integer(),
    fc.double(),
    fc.constantFrom(0, -0, 1, 2147483647, 2147483648, Number.NaN, Number.POSITIVE_INFINITY, '1', 1n, null),
    fc.anything(),
  )
  fc.assert(
    fc.property(ids, (id) => {
      expect(accepts(() => parseTaskId(id, 'taskId'))).toBe(taskIdSchema.safeParse(id).success)
    }),
    { numRuns: 2_000 },
  )
})
