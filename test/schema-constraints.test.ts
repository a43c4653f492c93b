import { type RawBuilder, sql } from 'kysely'
import { describe, expect, test } from 'vitest'
import { describeEachBackend, type TestContext } from './support/backends.js'

/** Runs raw SQL that should fail, and returns what it failed with. */
async function failureOf(context: TestContext, statement: RawBuilder<unknown>): Promise<{ code?: string }> {
  const outcome = await statement.execute(context.db).then(
    () => null,
    (error: unknown) => error as { code?: string },
  )
  if (outcome === null) throw new Error('the database accepted a row it should reject')
  return outcome
}

async function insertUser(context: TestContext, id: string, email: string): Promise<void> {
  await sql`insert into ${sql.id(context.schema, 'users')} (id, email) values (${id}, ${email})`.execute(context.db)
}

const insertTask = (context: TestContext, columns: Record<string, unknown>) => {
  const names = Object.keys(columns)
  return sql`insert into ${sql.id(context.schema, 'tasks')} (${sql.join(names.map((name) => sql.id(name)))})
    values (${sql.join(Object.values(columns))})`
}

// What every backend must refuse; real Postgres (and PGlite) must also say why, by SQLSTATE.
const BAD_TASKS: ReadonlyArray<[what: string, columns: Record<string, unknown>, sqlstate: string]> = [
  ['an empty title', { user_id: 'u1', title: '' }, '23514'],
  ['a title of spaces only', { user_id: 'u1', title: '   ' }, '23514'],
  ['a title with untrimmed spaces', { user_id: 'u1', title: ' padded ' }, '23514'],
  ['a 201-character title', { user_id: 'u1', title: 'x'.repeat(201) }, '23514'],
  ['a 1001-character description', { user_id: 'u1', title: 'ok', description: 'x'.repeat(1001) }, '23514'],
  ['priority 0', { user_id: 'u1', title: 'ok', priority: 0 }, '23514'],
  ['priority 6', { user_id: 'u1', title: 'ok', priority: 6 }, '23514'],
  ['completed without completed_at', { user_id: 'u1', title: 'ok', completed: true }, '23514'],
  ['completed_at on an incomplete task', { user_id: 'u1', title: 'ok', completed_at: new Date() }, '23514'],
  ['a user that does not exist', { user_id: 'nobody', title: 'ok' }, '23503'],
  ['no title', { user_id: 'u1' }, '23502'],
]

describeEachBackend('the database schema', (context) => {
  test('rejects every bad task row written with raw SQL, each with its SQLSTATE', async () => {
    const ctx = context()
    await insertUser(ctx, 'u1', 'ada@example.com')
    for (const [what, columns, sqlstate] of BAD_TASKS) {
      const failure = await failureOf(ctx, insertTask(ctx, columns)).catch((error) => {
        throw new Error(`a task with ${what}: ${error.message}`)
      })
      // pg-mem raises these errors without a SQLSTATE.
      if (ctx.backend !== 'memory') expect(failure.code, `a task with ${what}`).toBe(sqlstate)
    }
    const { rows } = await sql<{ n: number }>`select count(*) as n from ${sql.id(ctx.schema, 'tasks')}`.execute(ctx.db)
    expect(Number(rows[0]?.n)).toBe(0)
  })

  test('rejects a second user with the same email, 23505', async () => {
    const ctx = context()
    await insertUser(ctx, 'u1', 'ada@example.com')
    const failure = await failureOf(
      ctx,
      sql`insert into ${sql.id(ctx.schema, 'users')} (id, email) values ('u2', 'ada@example.com')`,
    )
    if (ctx.backend !== 'memory') expect(failure.code).toBe('23505')
  })

  test('rejects an email that is not stored trimmed and lower-cased', async () => {
    const ctx = context()
    const failure = await failureOf(
      ctx,
      sql`insert into ${sql.id(ctx.schema, 'users')} (id, email) values ('u1', ' Ada@Example.com')`,
    )
    if (ctx.backend !== 'memory') expect(failure.code).toBe('23514')
  })

  test('counts a 200-emoji title as 200 characters and accepts it', async () => {
    const ctx = context()
    await insertUser(ctx, 'u1', 'ada@example.com')
    await insertTask(ctx, { user_id: 'u1', title: '🙂'.repeat(200) }).execute(ctx.db)
    const failure = await failureOf(ctx, insertTask(ctx, { user_id: 'u1', title: '🙂'.repeat(201) }))
    if (ctx.backend !== 'memory') expect(failure.code).toBe('23514')
  })

  test("deleting a user deletes that user's tasks", async () => {
    const ctx = context()
    await insertUser(ctx, 'u1', 'ada@example.com')
    await insertUser(ctx, 'u2', 'grace@example.com')
    await insertTask(ctx, { user_id: 'u1', title: 'mine' }).execute(ctx.db)
    await insertTask(ctx, { user_id: 'u2', title: 'theirs' }).execute(ctx.db)
    await sql`delete from ${sql.id(ctx.schema, 'users')} where id = 'u1'`.execute(ctx.db)
    const { rows } = await sql<{ title: string }>`select title from ${sql.id(ctx.schema, 'tasks')}`.execute(ctx.db)
    expect(rows).toEqual([{ title: 'theirs' }])
  })
})

// pg-mem has no triggers (the stores set updated_at themselves there) and no pg_indexes.
describeEachBackend(
  'the database schema on Postgres',
  (context) => {
    describe('the updated_at trigger', () => {
      test('moves updated_at forward on a raw SQL UPDATE of a task, leaving created_at alone', async () => {
        const ctx = context()
        const tasks = sql.id(ctx.schema, 'tasks')
        await insertUser(ctx, 'u1', 'ada@example.com')
        // Inserted with old timestamps, so "forward" is unmistakable.
        const old = new Date('2020-01-01T00:00:00Z')
        await insertTask(ctx, { user_id: 'u1', title: 'first', created_at: old, updated_at: old }).execute(ctx.db)
        await sql`update ${tasks} set title = 'renamed'`.execute(ctx.db)
        const { rows } = await sql<{ created_at: Date; updated_at: Date }>`
          select created_at, updated_at from ${tasks}`.execute(ctx.db)
        expect(new Date(rows[0]!.created_at).getTime()).toBe(old.getTime())
        expect(Math.abs(new Date(rows[0]!.updated_at).getTime() - Date.now())).toBeLessThan(60_000)
      })

      test('keeps updated_at moving forward even when an UPDATE sets it to an older value', async () => {
        const ctx = context()
        const users = sql.id(ctx.schema, 'users')
        await insertUser(ctx, 'u1', 'ada@example.com')
        const before = await sql<{ updated_at: Date }>`select updated_at from ${users}`.execute(ctx.db)
        await sql`update ${users} set name = 'Ada', updated_at = '2001-01-01T00:00:00Z'`.execute(ctx.db)
        const after = await sql<{ updated_at: Date }>`select updated_at from ${users}`.execute(ctx.db)
        expect(new Date(after.rows[0]!.updated_at).getTime()).toBeGreaterThan(
          new Date(before.rows[0]!.updated_at).getTime(),
        )
      })
    })

    describe('the indexes', () => {
      test('serve the lookups the stores make: email, a user’s tasks newest first, a user’s tasks by completion', async () => {
        const ctx = context()
        const { rows } = await sql<{ indexdef: string }>`
          select indexdef from pg_indexes where schemaname = ${ctx.schema}`.execute(ctx.db)
        const definitions = rows.map((row) => row.indexdef.replace(`${ctx.schema}.`, ''))
        expect(definitions).toEqual(
          expect.arrayContaining([
            expect.stringMatching(/UNIQUE INDEX users_email_key ON users USING btree \(email\)/),
            expect.stringMatching(/ON tasks USING btree \(user_id, created_at DESC, id DESC\)/),
            expect.stringMatching(/ON tasks USING btree \(user_id, completed/),
          ]),
        )
      })
    })
  },
  { only: ['embedded', 'postgres'] },
)
