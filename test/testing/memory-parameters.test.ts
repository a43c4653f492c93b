import { CompiledQuery, type Kysely, sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import type { Database } from '../../src/index.js'
import { createMemoryDatabase } from '../../src/testing/index.js'

describe('createMemoryDatabase: bound parameters', () => {
  let db: Kysely<Database>
  beforeEach(async () => {
    db = await createMemoryDatabase()
  })
  afterEach(async () => {
    await db.destroy()
  })

  test('a string parameter comes back exactly, backslashes, quotes and placeholders included', async () => {
    for (const value of [
      'a\\ b',
      'a\\\\ b',
      '\\',
      "\\'",
      "E'\\n'",
      '\\\t\\\n\\',
      '$1 \\$2',
      "'; drop table users; --",
    ]) {
      const { rows } = await sql<{ value: string }>`select ${value} as value`.execute(db)
      expect(rows).toEqual([{ value }])
    }
    expect(await db.selectFrom('users').selectAll().execute()).toEqual([])
  })

  test('placeholder text inside quotes and comments is left alone', async () => {
    const { rows } = await sql<{ a: string; b: string }>`select ${'x'} as a, '$1 -- ''$2''' /* $3 */ as b`.execute(db)
    expect(rows).toEqual([{ a: 'x', b: "$1 -- '$2'" }])
  })

  test('dates, numbers, nulls, arrays and objects bind as before', async () => {
    const date = new Date('2024-02-29T23:59:58.123Z')
    const { rows } = await sql<Record<string, unknown>>`select ${date}::timestamptz as date, ${7}::integer as number,
      ${null}::text as nothing, ${['a\\ b', "it's"]}::text[] as list, ${{ k: 'a\\ b' }}::jsonb as object`.execute(db)
    expect(rows).toEqual([{ date, number: 7, nothing: null, list: ['a\\ b', "it's"], object: { k: 'a\\ b' } }])
  })

  test('current_timestamp in a statement with parameters is read at each call, not when it was first planned', async () => {
    const read = async () =>
      (await sql<{ at: Date }>`select current_timestamp as at, ${1}::integer as n`.execute(db)).rows[0]!.at
    const first = await read()
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect((await read()).getTime()).toBeGreaterThan(first.getTime())
  })

  test('a statement naming a parameter it was not given is refused', async () => {
    await expect(db.executeQuery(CompiledQuery.raw('select $1 as a, $2 as b', ['only one']))).rejects.toThrow('$2')
  })
})
