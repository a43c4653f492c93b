import type { Dialect } from 'kysely'
import { expect, test } from 'vitest'
import { ConfigError, createDatabase, type DatabaseOptions } from '../../src/index.js'

const primary = 'postgres://app:pw-primary-1@127.0.0.1:1/tasks'
const replica = 'postgres://app:pw-replica-1@127.0.0.1:2/tasks'

test.each<[string, Partial<DatabaseOptions>, RegExp]>([
  ['replicas that are not an array of strings', { replicas: 'postgres://x' as never }, /array of connection strings/],
  ['an empty replica', { replicas: [''] }, /array of connection strings/],
  [
    'an unknown readConsistency',
    { replicas: [replica], readConsistency: 'strong' as never },
    /readConsistency "strong"/,
  ],
  ['a negative replicaWaitMs', { replicas: [replica], replicaWaitMs: -1 }, /replicaWaitMs/],
  ['a fractional maxReplicaLagMs', { replicas: [replica], maxReplicaLagMs: 1.5 }, /maxReplicaLagMs/],
  ['replicas with the Neon driver', { replicas: [replica], driver: 'neon' }, /needs driver 'pg'/],
  ['a replica naming two hosts', { replicas: ['postgres://app@r1:5432,r2:5432/tasks'] }, /one host/],
])('%s is a ConfigError at createDatabase that shows no password', (_label, options, message) => {
  let caught: unknown
  try {
    createDatabase({ connectionString: primary, ...options })
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(ConfigError)
  expect((caught as Error).message).toMatch(message)
  expect((caught as Error).message).not.toMatch(/pw-(primary|replica)-1/)
})

test('replicas with a dialect instead of a connection string is a ConfigError, before the dialect is used', () => {
  const untouched = new Proxy({} as Dialect, {
    get: () => {
      throw new Error('the dialect was used')
    },
  })
  expect(() => createDatabase({ dialect: untouched, replicas: [replica] })).toThrow(ConfigError)
})
