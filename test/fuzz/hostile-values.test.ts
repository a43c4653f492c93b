import fc from 'fast-check'
import { expect, test } from 'vitest'
import { hostileString, hostileValue } from './hostile-values.js'

test('the hostile generators cover astral characters, lone surrogates, NUL, 1 MB strings, odd numbers and prototype keys', () => {
  const strings = fc.sample(hostileString, 3_000)
  expect(strings.some((text) => /[\u{10000}-\u{10FFFF}]/u.test(text))).toBe(true)
  expect(strings.some((text) => !text.isWellFormed())).toBe(true)
  expect(strings.some((text) => text.includes('\u0000'))).toBe(true)
  expect(strings.some((text) => text.length >= 1 << 20)).toBe(true)
  const values = fc.sample(hostileValue, 5_000)
  expect(values.some((value) => Number.isNaN(value))).toBe(true)
  expect(values.some((value) => value === Number.POSITIVE_INFINITY)).toBe(true)
  expect(values.some((value) => Object.is(value, -0))).toBe(true)
  expect(values.some((value) => typeof value === 'bigint')).toBe(true)
  expect(values.some((value) => typeof value === 'number' && !Number.isInteger(value) && Number.isFinite(value))).toBe(
    true,
  )
  expect(values.some((value) => typeof value === 'object' && value !== null && Object.hasOwn(value, '__proto__'))).toBe(
    true,
  )
  expect(
    values.some((value) => typeof value === 'object' && value !== null && Object.hasOwn(value, 'constructor')),
  ).toBe(true)
})
