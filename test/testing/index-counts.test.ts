import fc from 'fast-check'
import { newDb } from 'pg-mem'
import { describe, expect, test } from 'vitest'
import { createTaskStore } from '../../src/index.js'
import { createMemoryDatabase } from '../../src/testing/index.js'
import { IndexCounts } from '../../src/testing/index-counts.js'
import { storeFixture } from '../support/fixtures.js'

/** A pg-mem database with a table of owned, flagged rows and an index on exactly (owner, done). */
function flaggedRows() {
  const mem = newDb({ noAstCoverageCheck: true })
  mem.public.none(`create table items (id integer generated always as identity primary key,
    owner varchar(36) not null, done boolean, label text)`)
  mem.public.none('create index items_owner_done_idx on items (owner, done)')
  return mem
}

/** What pg-mem itself returns for `sql` with `$1` written in as a literal: it reads the rows. */
function countedByPgMem(mem: ReturnType<typeof newDb>, sql: string, owner: string) {
  return mem.public.many(sql.replaceAll('$1', `'${owner}'`))[0]
}

const STORE_SHAPE =
  'select count(*)::int as "total", count(case when done then 1 end)::int as "done" from "public"."items" where "owner" = $1'

describe('IndexCounts', () => {
  test("answers the task store's own count statement", async () => {
    const statements: string[] = []
    const db = await createMemoryDatabase({ log: (event) => statements.push(event.sql) })
    try {
      const { alice } = await storeFixture(db)
      statements.length = 0
      await createTaskStore(db).countTasks(alice.id)
      expect(statements).toHaveLength(1)
      const [sql] = statements as [string]
      const mem = newDb({ noAstCoverageCheck: true })
      mem.public.none(`create table tasks (user_id varchar(36) not null, completed boolean not null)`)
      mem.public.none('create index tasks_count_idx on tasks (user_id, completed)')
      mem.public.none(`insert into tasks values ('u', true), ('u', false), ('u', true), ('v', true)`)
      expect(new IndexCounts().answer(mem, sql, ['u'])).toEqual({ total: 3, completed: 2 })
    } finally {
      await db.destroy()
    }
  })

  test('counts what pg-mem counts, null flags included, after any inserts, updates and deletes', () => {
    const owner = fc.constantFrom('a', 'b', 'c')
    const change = fc.oneof(
      fc.record({ op: fc.constant('insert' as const), owner, done: fc.constantFrom(true, false, null) }),
      fc.record({ op: fc.constant('flip' as const), id: fc.integer({ min: 1, max: 30 }) }),
      fc.record({ op: fc.constant('move' as const), id: fc.integer({ min: 1, max: 30 }), owner }),
      fc.record({ op: fc.constant('delete' as const), id: fc.integer({ min: 1, max: 30 }) }),
    )
    fc.assert(
      fc.property(fc.array(change, { maxLength: 40 }), (changes) => {
        const mem = flaggedRows()
        for (const c of changes) {
          if (c.op === 'insert') mem.public.none(`insert into items (owner, done) values ('${c.owner}', ${c.done})`)
          if (c.op === 'flip') mem.public.none(`update items set done = not done where id = ${c.id}`)
          if (c.op === 'move') mem.public.none(`update items set owner = '${c.owner}' where id = ${c.id}`)
          if (c.op === 'delete') mem.public.none(`delete from items where id = ${c.id}`)
        }
        const counts = new IndexCounts()
        for (const who of ['a', 'b', 'c']) {
          expect(counts.answer(mem, STORE_SHAPE, [who])).toEqual(countedByPgMem(mem, STORE_SHAPE, who))
        }
      }),
      { numRuns: 60 },
    )
  })

  test('answers the shapes it knows however they are written', () => {
    const mem = flaggedRows()
    mem.public.none(`insert into items (owner, done) values ('a', true), ('a', false), ('a', null), ('b', true)`)
    const counts = new IndexCounts()
    for (const [sql, expected] of [
      [STORE_SHAPE, { total: 3, done: 1 }],
      [
        'select count(case when i.done then true end) as d, count(*) as n from items i where $1 = i.owner',
        { d: 1, n: 3 },
      ],
      [
        'SELECT COUNT(*) AS n, COUNT(CASE WHEN done THEN 1 END)::bigint AS d FROM public.items WHERE owner = $1',
        { n: 3, d: 1 },
      ],
    ] as const) {
      expect(counts.answer(mem, sql, ['a'])).toEqual(expected)
      expect(countedByPgMem(mem, sql, 'a')).toEqual(expected)
    }
  })

  test('leaves to pg-mem every statement an index cannot answer exactly', () => {
    const mem = flaggedRows()
    mem.public.none(`create table plain (owner text, done boolean)`)
    mem.public.none(`create table wide (owner text, done boolean, kind text)`)
    mem.public.none('create index wide_idx on wide (owner, done, kind)')
    const counts = new IndexCounts()
    for (const sql of [
      // not only counts by the flag, or counted otherwise
      'select count(case when done then 1 else 0 end) as n from items where owner = $1',
      'select count(*) filter (where done) as n from items where owner = $1',
      'select count(distinct done) as n from items where owner = $1',
      'select count(label) as n from items where owner = $1',
      'select count(case when not done then 1 end) as n from items where owner = $1',
      'select count(*) as n, sum(id) as s from items where owner = $1',
      'select count(*) as n, count(case when done then null end) as d from items where owner = $1',
      'select count(*) from items where owner = $1',
      // rows picked otherwise
      'select count(*) as n from items',
      'select count(*) as n from items where owner = $1 or owner = $2',
      "select count(*) as n from items where owner = 'a'",
      'select count(*) as n from items where owner = $1 and label = $2',
      'select count(*) as n from items where owner = $1 group by done',
      'select count(*) as n from items where owner = $1 limit 1',
      'select count(*) as n from items i join items j on i.id = j.id where i.owner = $1',
      'select count(*) as n from items where other.owner = $1',
      // no index over exactly the columns
      'select count(*) as n from items where owner = $1',
      'select count(*) as n, count(case when done then 1 end) as d from plain where owner = $1',
      'select count(*) as n, count(case when done then 1 end) as d from wide where owner = $1',
      'select count(*) as n from no_such_table where owner = $1',
      'select count(*) as n from items where owner = $1; select 1',
    ]) {
      expect({ sql, answer: counts.answer(mem, sql, ['a', 'b']) }).toEqual({ sql, answer: null })
    }
    expect(counts.answer(mem, STORE_SHAPE, [null])).toBeNull()
    expect(counts.answer(mem, STORE_SHAPE, [])).toBeNull()
  })

  test('stops answering once the index is dropped, and answers again once one is created', () => {
    const mem = flaggedRows()
    mem.public.none(`insert into items (owner, done) values ('a', true)`)
    const counts = new IndexCounts()
    expect(counts.answer(mem, STORE_SHAPE, ['a'])).toEqual({ total: 1, done: 1 })
    mem.public.none('drop index items_owner_done_idx')
    expect(counts.answer(mem, STORE_SHAPE, ['a'])).toBeNull()
    mem.public.none('create index items_done_owner_idx on items (done, owner)')
    mem.public.none(`insert into items (owner, done) values ('a', false)`)
    expect(counts.answer(mem, STORE_SHAPE, ['a'])).toEqual({ total: 2, done: 1 })
  })
})
