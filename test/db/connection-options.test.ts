import { describe, expect, test } from 'vitest'
import { ConfigError, createDatabase, type DatabaseOptions } from '../../src/index.js'

const connectionString = 'postgres://app@127.0.0.1:1/tasks'
const MALFORMED: ReadonlyArray<[label: string, value: unknown]> = [
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ["the string '5'", '5'],
  ['-1', -1],
  ['1.5', 1.5],
  ['null', null],
]
// Node's timers and Postgres's statement_timeout stop at 2^31 - 1 ms; a count of 2^31 is odd but well formed.
const TOO_LONG: ReadonlyArray<[label: string, value: unknown]> = [['2^31 ms', 2 ** 31]]

const OPTIONS: ReadonlyArray<[name: string, withValue: (value: unknown) => DatabaseOptions]> = [
  ['pool.max', (value) => ({ pool: { max: value as number } })],
  ['pool.idleTimeoutMillis', (value) => ({ pool: { idleTimeoutMillis: value as number } })],
  ['pool.connectionTimeoutMillis', (value) => ({ pool: { connectionTimeoutMillis: value as number } })],
  ['retry.attempts', (value) => ({ retry: { attempts: value as number } })],
  ['retry.baseDelayMs', (value) => ({ retry: { baseDelayMs: value as number } })],
  ['retry.maxDelayMs', (value) => ({ retry: { maxDelayMs: value as number } })],
  ['statementTimeoutMs', (value) => ({ statementTimeoutMs: value as number })],
]

function configErrorOf(options: DatabaseOptions): ConfigError {
  try {
    createDatabase({ connectionString, ...options }).destroy()
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return error as ConfigError
  }
  throw new Error(`createDatabase accepted ${JSON.stringify(options)}`)
}

describe('createDatabase numeric options', () => {
  describe.each(OPTIONS)('%s', (name, withValue) => {
    const values = /Millis|Ms$/.test(name) ? [...MALFORMED, ...TOO_LONG] : MALFORMED
    test.each(values)('%s is a ConfigError naming the option and saying what to use', (_label, value) => {
      const error = configErrorOf(withValue(value))
      expect(error.message).toContain(name)
      expect(error.message).toMatch(/use a whole number/)
    })

    test('undefined keeps the default', () => {
      expect(() => createDatabase({ connectionString, ...withValue(undefined) }).destroy()).not.toThrow()
    })
  })

  test('a pool or retry option that is not an object is a ConfigError', () => {
    expect(configErrorOf({ pool: 5 as never }).message).toMatch(/pool option/)
    expect(configErrorOf({ retry: 'fast' as never }).message).toMatch(/retry option/)
  })

  test('an option the pool does not have is a ConfigError naming the ones it has', () => {
    expect(configErrorOf({ pool: { min: 2 } as never }).message).toMatch(/pool\.min.*max, idleTimeoutMillis/)
  })

  test('preparedStatements that is not a boolean is a ConfigError', () => {
    expect(configErrorOf({ preparedStatements: 'yes' as never }).message).toMatch(/preparedStatements option/)
    expect(() => createDatabase({ connectionString, preparedStatements: true }).destroy()).not.toThrow()
  })

  test('a log hook that is not a function is a ConfigError', () => {
    expect(configErrorOf({ log: 'console' as never }).message).toMatch(/log option/)
  })

  test('the checks apply with a dialect too, before anything connects', () => {
    const dialect = { createAdapter() {}, createDriver() {}, createIntrospector() {}, createQueryCompiler() {} }
    expect(() => createDatabase({ dialect: dialect as never, retry: { attempts: 0 } })).toThrow(ConfigError)
  })

  test('whole numbers in range are accepted, zero where it means "no limit"', () => {
    const db = createDatabase({
      connectionString,
      pool: { max: 1, idleTimeoutMillis: 0, connectionTimeoutMillis: 0 },
      retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
      statementTimeoutMs: 0,
    })
    return db.destroy()
  })
})
