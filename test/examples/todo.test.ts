import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createDatabase } from '../../src/index.js'
import { uniqueSchema } from '../support/backends.js'
import { type ProcessResult, runNode } from '../support/child-process.js'

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL
// Each command starts a process and a database: a scenario of a dozen takes a while on a busy machine.
const SCENARIO_TIMEOUT_MS = 240_000

/** Runs the console app as `npm run todo` does, in a process of its own. */
function todo(env: NodeJS.ProcessEnv, args: string[], input?: string): Promise<ProcessResult> {
  return runNode(['--import', 'tsx', 'examples/todo.ts', ...args], {
    env: { ...process.env, ...env },
    timeoutMs: 60_000,
    ...(input !== undefined && { input }),
  })
}

async function ok(env: NodeJS.ProcessEnv, args: string[], input?: string): Promise<string> {
  const result = await todo(env, args, input)
  expect(result.code, `${args.join(' ')}\n${result.stderr}`).toBe(0)
  return result.stdout
}

/** The same scenario on the embedded database and, when one is given, on a server. */
function scenario(environment: () => NodeJS.ProcessEnv) {
  test(
    'each command in a process of its own: the data persists between them',
    async () => {
      const env = environment()
      const milk = Number(await ok(env, ['add', 'Buy milk', '--priority', '2']))
      const dog = Number(await ok(env, ['add', 'Walk the dog', '--description', 'twice']))
      expect(dog).toBeGreaterThan(milk)
      expect((await ok(env, ['list'])).trim().split('\n')).toEqual([
        `${dog}\t[ ]\tp3\tWalk the dog`,
        `${milk}\t[ ]\tp2\tBuy milk`,
      ])
      expect(await ok(env, ['toggle', String(milk)])).toBe(`${milk} is now done\n`)
      expect(await ok(env, ['count'])).toBe('total 2, completed 1, pending 1\n')
      expect((await ok(env, ['list', '--done'])).trim()).toBe(`${milk}\t[x]\tp2\tBuy milk`)
      expect((await ok(env, ['list', '--pending', '--search', 'DOG'])).trim()).toBe(`${dog}\t[ ]\tp3\tWalk the dog`)
      expect(await ok(env, ['update', String(dog), '--title', 'Walk the cat', '--priority', '1'])).toBe(
        `updated ${dog}: Walk the cat\n`,
      )
      expect((await ok(env, ['list', '--sort', 'priority', '--asc'])).trim().split('\n')[0]).toBe(
        `${dog}\t[ ]\tp1\tWalk the cat`,
      )
      expect(await ok(env, ['clear'])).toBe('cleared 1 completed tasks\n')
      expect(await ok(env, ['delete', String(dog)])).toBe(`deleted ${dog}: Walk the cat\n`)
      expect(await ok(env, ['count'])).toBe('total 0, completed 0, pending 0\n')
    },
    SCENARIO_TIMEOUT_MS,
  )

  test(
    "users are kept apart: another user's task id exits 1 and says so, and nothing changes",
    async () => {
      const env = environment()
      const mine = Number(await ok(env, ['--user', 'ann@example.com', 'add', 'private']))
      const result = await todo(env, ['--user', 'ben@example.com', 'toggle', String(mine)])
      expect(result.code).toBe(1)
      expect(result.stderr.trim()).toBe(`todo: Task ${mine} belongs to another user`)
      expect(await ok(env, ['--user', 'ben@example.com', 'list'])).toBe('')
      expect(await ok(env, ['--user', 'ann@example.com', 'list'])).toBe(`${mine}\t[ ]\tp3\tprivate\n`)
    },
    SCENARIO_TIMEOUT_MS,
  )
}

describe('examples/todo.ts on the embedded database (no DATABASE_URL)', () => {
  let dataDir: string
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'todo-'))
  })
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true })
  })
  const env = () => ({ DATABASE_URL: '', TODO_DATA_DIR: dataDir })

  scenario(env)

  test(
    'with no command it reads commands from stdin, one per line, quotes grouping words',
    async () => {
      const out = await ok(env(), ['--user', 'stdin@example.com'], 'add "Read a book" --priority 5\ncount\nlist\n')
      const [id, count, listed] = out.trim().split('\n')
      expect(count).toBe('total 1, completed 0, pending 1')
      expect(listed).toBe(`${id}\t[ ]\tp5\tRead a book`)
    },
    SCENARIO_TIMEOUT_MS,
  )

  test(
    'a usage error exits 2 with the usage; a bad value for taskstore exits 1 with one line',
    async () => {
      for (const args of [['frobnicate'], ['toggle', 'x'], ['list', '--sort', 'size']]) {
        const result = await todo(env(), args)
        expect(result.code, args.join(' ')).toBe(2)
        expect(result.stderr).toContain('Usage: npm run --silent todo')
      }
      const invalid = await todo(env(), ['add', 'x', '--priority', '9'])
      expect(invalid.code).toBe(1)
      expect(invalid.stderr.trim().split('\n')).toHaveLength(1)
      expect(invalid.stderr).toMatch(/^todo: .*priority/)
    },
    SCENARIO_TIMEOUT_MS,
  )
})

// The server variant needs a server; without TEST_DATABASE_URL there is none.
describe.skipIf(!TEST_DATABASE_URL)('examples/todo.ts on the server in DATABASE_URL', () => {
  const schema = uniqueSchema('todo')
  afterAll(async () => {
    const db = createDatabase({ connectionString: TEST_DATABASE_URL, pool: { max: 1 } })
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db)
    await db.destroy()
  })
  scenario(() => ({ DATABASE_URL: TEST_DATABASE_URL, TODO_SCHEMA: schema }))
})
