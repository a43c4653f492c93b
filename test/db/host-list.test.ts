import { expect, test } from 'vitest'
import { parseHostList } from '../../src/db/host-list.js'
import { ConfigError, createDatabase } from '../../src/index.js'

test('a connection string with one host and no target_session_attrs needs no host choice', () => {
  expect(parseHostList('postgres://app:secret@db:5432/tasks?sslmode=disable')).toBeNull()
})

test('several hosts default to read-write, each with its own connection string and the rest of the URL kept', () => {
  const list = parseHostList(
    'postgres://app:s3cret@db1:5432,db2:5433,[::1]:5434/tasks?sslmode=disable&application_name=x',
  )
  expect(list?.target).toBe('read-write')
  expect(list?.hosts.map((host) => host.label)).toEqual(['db1:5432', 'db2:5433', '[::1]:5434'])
  expect(list?.hosts[1]?.connectionString).toBe(
    'postgres://app:s3cret@db2:5433/tasks?sslmode=disable&application_name=x',
  )
})

test('target_session_attrs is taken out of the URL the driver sees, wherever it stands in the query', () => {
  const list = parseHostList(
    'postgresql://app@db1,db2/tasks?application_name=x&target_session_attrs=prefer-standby&ssl=0',
  )
  expect(list?.target).toBe('prefer-standby')
  expect(list?.hosts[0]?.connectionString).toBe('postgresql://app@db1/tasks?application_name=x&ssl=0')
})

test('one host with target_session_attrs is still checked for its role', () => {
  expect(parseHostList('postgres://app@db1/tasks?target_session_attrs=standby')?.target).toBe('standby')
})

test.each([
  [
    'an unknown target',
    'postgres://app:pw-secret-1@db1,db2/tasks?target_session_attrs=master',
    /Unknown target_session_attrs "master"/,
  ],
  [
    'a repeated target',
    'postgres://app@db1,db2/tasks?target_session_attrs=any&target_session_attrs=standby',
    /2 times/,
  ],
  ['an empty host', 'postgres://app@db1,,db2/tasks', /empty host/],
])('%s is a ConfigError at createDatabase, without the password', (_label, connectionString, message) => {
  let caught: unknown
  try {
    createDatabase({ connectionString })
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(ConfigError)
  expect((caught as Error).message).toMatch(message)
  expect((caught as Error).message).not.toContain('pw-secret-1')
})

test('the Neon driver with several hosts is a ConfigError saying to use driver pg', () => {
  expect(() => createDatabase({ connectionString: 'postgres://app@db1,db2/tasks', driver: 'neon' })).toThrow(
    /needs driver 'pg'/,
  )
})
