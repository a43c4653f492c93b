import { EventEmitter } from 'node:events'
import { describe, expect, test } from 'vitest'
import { requireIsoDateStyle, watchDateStyle } from '../../src/db/iso-date-style.js'
import { ConfigError } from '../../src/index.js'

/** A client as the pools make them, whose server reports `reported` (in order) as it connects. */
function clientReporting(...reported: string[]) {
  const connection = new EventEmitter()
  const client = { connection, user: 'app"user', database: 'tasks' }
  watchDateStyle(client)
  connection.emit('parameterStatus', { parameterName: 'TimeZone', parameterValue: 'Africa/Monrovia' })
  for (const value of reported)
    connection.emit('parameterStatus', { parameterName: 'DateStyle', parameterValue: value })
  return client
}

describe('requireIsoDateStyle', () => {
  test.each(['ISO, MDY', 'ISO, DMY', 'ISO, YMD', 'iso'])('lets a connection with DateStyle %s through', (style) => {
    expect(() => requireIsoDateStyle(clientReporting(style))).not.toThrow()
  })

  test('lets a connection through when the server reported no DateStyle at all', () => {
    expect(() => requireIsoDateStyle(clientReporting())).not.toThrow()
  })

  test.each([
    ['SQL, DMY', 'DMY'],
    ['German, DMY', 'DMY'],
    ['Postgres, MDY', 'MDY'],
    ['SQL, YMD', 'YMD'],
  ])('refuses DateStyle %s with a ConfigError giving the statement that fixes it, keeping %s', (style, order) => {
    const error = (() => {
      try {
        requireIsoDateStyle(clientReporting(style))
      } catch (caught) {
        return caught
      }
    })()
    expect(error).toBeInstanceOf(ConfigError)
    const message = (error as Error).message
    expect(message).toContain(`DateStyle is "${style}"`)
    expect(message).toContain(`ALTER ROLE "app""user" IN DATABASE "tasks" SET DateStyle = 'ISO, ${order}';`)
    expect(message).toContain(`ALTER DATABASE "tasks" SET DateStyle = 'ISO, ${order}';`)
  })

  test('judges the last value the server reported', () => {
    expect(() => requireIsoDateStyle(clientReporting('ISO, MDY', 'SQL, DMY'))).toThrow(ConfigError)
    expect(() => requireIsoDateStyle(clientReporting('SQL, DMY', 'ISO, DMY'))).not.toThrow()
  })
})
