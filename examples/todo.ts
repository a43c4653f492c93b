/**
 * A persistent, multi-user to-do list on the command line, built on taskstore.
 *
 *   npm run --silent todo -- [--user EMAIL] <command> [args]
 *
 *   add TITLE [--priority N] [--description TEXT]   prints the new task's id
 *   list [--done|--pending] [--sort createdAt|updatedAt|priority|title|completedAt]
 *        [--asc|--desc] [--search TEXT]             every matching task, one per line
 *   update ID [--title T] [--priority N] [--description T]
 *   toggle ID | delete ID | count | clear
 *
 * With no command it reads commands from stdin, one per line (with a prompt
 * on a terminal). Without DATABASE_URL the data lives in an embedded
 * Postgres under .data/todo (or TODO_DATA_DIR); with it, on that server, in
 * the schema TODO_SCHEMA (default public). The user is created on
 * first use. Exit code 0 on success, 1 with a one-line message when taskstore
 * refuses (another user's task, say), 2 on a usage error.
 */
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import type { Kysely } from 'kysely'
import {
  createDatabase,
  createTaskStore,
  createUserStore,
  type Database,
  isTaskstoreError,
  migrateToLatest,
  type TaskQuery,
  type TaskStore,
} from '../src/index.js'
import { createEmbeddedDatabase } from '../src/testing/index.js'

const DATA_DIR = process.env.TODO_DATA_DIR ?? '.data/todo'
const SCHEMA = process.env.TODO_SCHEMA ?? 'public'
const DEFAULT_USER = 'me@example.com'
const SORTS = ['createdAt', 'updatedAt', 'priority', 'title', 'completedAt'] as const

const USAGE = `Usage: npm run --silent todo -- [--user EMAIL] <command> [args]
  add TITLE [--priority N] [--description TEXT]
  list [--done|--pending] [--sort ${SORTS.join('|')}] [--asc|--desc] [--search TEXT]
  update ID [--title T] [--priority N] [--description T]
  toggle ID
  delete ID
  count
  clear
With no command, reads commands from stdin, one per line.`

/** A mistake in how the program was called: exit code 2. */
class UsageError extends Error {}

const OPTIONS = {
  user: { type: 'string' },
  priority: { type: 'string' },
  description: { type: 'string' },
  title: { type: 'string' },
  sort: { type: 'string' },
  search: { type: 'string' },
  done: { type: 'boolean' },
  pending: { type: 'boolean' },
  asc: { type: 'boolean' },
  desc: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

type Parsed = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>

function parse(args: string[]): Parsed {
  try {
    return parseArgs({ args, options: OPTIONS, allowPositionals: true })
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error))
  }
}

function integer(text: string | undefined, what: string): number {
  if (text === undefined || !/^-?\d+$/.test(text)) throw new UsageError(`${what} must be a whole number`)
  return Number(text)
}

function listQuery({ values }: Parsed): TaskQuery {
  if (values.done && values.pending) throw new UsageError('use --done or --pending, not both')
  if (values.asc && values.desc) throw new UsageError('use --asc or --desc, not both')
  const sort = values.sort
  if (sort !== undefined && !SORTS.includes(sort as (typeof SORTS)[number])) {
    throw new UsageError(`--sort must be one of ${SORTS.join(', ')}`)
  }
  return {
    ...(values.done && { completed: true }),
    ...(values.pending && { completed: false }),
    ...(sort !== undefined && { sort: sort as (typeof SORTS)[number] }),
    ...(values.asc && { order: 'asc' as const }),
    ...(values.desc && { order: 'desc' as const }),
    ...(values.search !== undefined && { search: values.search }),
    limit: 100,
  }
}

/** Runs one command for one user, printing its result. */
async function runCommand(tasks: TaskStore, userId: string, parsed: Parsed): Promise<void> {
  const [command, ...rest] = parsed.positionals
  const { values } = parsed
  const id = () => {
    if (rest.length !== 1) throw new UsageError(`${command} takes one task id`)
    return integer(rest[0], 'the task id')
  }
  switch (command) {
    case 'add': {
      if (rest.length !== 1) throw new UsageError('add takes one TITLE (quote it if it has spaces)')
      const task = await tasks.createTask(userId, {
        title: rest[0]!,
        ...(values.priority !== undefined && { priority: integer(values.priority, '--priority') }),
        ...(values.description !== undefined && { description: values.description }),
      })
      console.log(task.id)
      return
    }
    case 'list': {
      if (rest.length > 0) throw new UsageError('list takes no arguments, only options')
      const query = listQuery(parsed)
      let cursor: string | undefined
      do {
        const page = await tasks.getTasks(userId, { ...query, ...(cursor && { cursor }) })
        for (const task of page.items) {
          console.log(`${task.id}\t[${task.completed ? 'x' : ' '}]\tp${task.priority}\t${task.title}`)
        }
        cursor = page.nextCursor ?? undefined
      } while (cursor)
      return
    }
    case 'update': {
      const taskId = id()
      const patch = {
        ...(values.title !== undefined && { title: values.title }),
        ...(values.priority !== undefined && { priority: integer(values.priority, '--priority') }),
        ...(values.description !== undefined && { description: values.description }),
      }
      if (Object.keys(patch).length === 0) throw new UsageError('update needs --title, --priority or --description')
      const task = await tasks.updateTask(userId, taskId, patch)
      console.log(`updated ${task.id}: ${task.title}`)
      return
    }
    case 'toggle': {
      const task = await tasks.toggleComplete(userId, id())
      console.log(`${task.id} is now ${task.completed ? 'done' : 'pending'}`)
      return
    }
    case 'delete': {
      const task = await tasks.deleteTask(userId, id())
      console.log(`deleted ${task.id}: ${task.title}`)
      return
    }
    case 'count': {
      if (rest.length > 0) throw new UsageError('count takes no arguments')
      const { total, completed, pending } = await tasks.countTasks(userId)
      console.log(`total ${total}, completed ${completed}, pending ${pending}`)
      return
    }
    case 'clear': {
      if (rest.length > 0) throw new UsageError('clear takes no arguments')
      console.log(`cleared ${await tasks.clearCompleted(userId)} completed tasks`)
      return
    }
    default:
      throw new UsageError(command === undefined ? 'no command given' : `unknown command "${command}"`)
  }
}

/** Splits a line into words like a shell: spaces separate, quotes group, a backslash escapes. */
function splitWords(line: string): string[] {
  const words: string[] = []
  let word: string | null = null
  let quote: '"' | "'" | null = null
  for (let at = 0; at < line.length; at++) {
    const char = line[at]!
    if (quote) {
      if (char === quote) quote = null
      else if (char === '\\' && quote === '"' && at + 1 < line.length) word += line[++at]!
      else word += char
    } else if (char === '"' || char === "'") {
      quote = char
      word ??= ''
    } else if (char === '\\' && at + 1 < line.length) {
      word = (word ?? '') + line[++at]!
    } else if (/\s/.test(char)) {
      if (word !== null) words.push(word)
      word = null
    } else {
      word = (word ?? '') + char
    }
  }
  if (quote) throw new UsageError('unclosed quote')
  if (word !== null) words.push(word)
  return words
}

async function openDatabase(): Promise<Kysely<Database>> {
  if (!process.env.DATABASE_URL) return createEmbeddedDatabase({ dataDir: DATA_DIR, schema: SCHEMA })
  const db = createDatabase({ schema: SCHEMA })
  await migrateToLatest(db)
  return db
}

/** The user's id, creating the user the first time the email is seen. */
async function userIdFor(db: Kysely<Database>, email: string): Promise<string> {
  const users = createUserStore(db)
  const existing = await users.findUserByEmail(email)
  if (existing) return existing.id
  return (await users.createUser({ email })).id
}

/** Prints how a command failed and returns the exit code it earns. */
function report(error: unknown): number {
  if (error instanceof UsageError) {
    console.error(`todo: ${error.message}\n${USAGE}`)
    return 2
  }
  if (isTaskstoreError(error)) {
    console.error(`todo: ${error.message}`)
    return 1
  }
  throw error
}

async function interactive(tasks: TaskStore, userId: string): Promise<number> {
  const lines = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY })
  if (process.stdin.isTTY) {
    lines.setPrompt('todo> ')
    lines.prompt()
  }
  let status = 0
  for await (const line of lines) {
    if (line.trim() !== '' && !['quit', 'exit'].includes(line.trim())) {
      try {
        await runCommand(tasks, userId, parse(splitWords(line)))
      } catch (error) {
        status = Math.max(status, report(error))
      }
    } else if (line.trim() !== '') {
      break
    }
    if (process.stdin.isTTY) lines.prompt()
  }
  lines.close()
  return status
}

async function main(args: string[]): Promise<number> {
  let parsed: Parsed
  try {
    parsed = parse(args)
    if (parsed.values.help) {
      console.log(USAGE)
      return 0
    }
  } catch (error) {
    return report(error)
  }
  const db = await openDatabase()
  try {
    const userId = await userIdFor(db, parsed.values.user ?? DEFAULT_USER)
    const tasks = createTaskStore(db)
    if (parsed.positionals.length === 0) return await interactive(tasks, userId)
    await runCommand(tasks, userId, parsed)
    return 0
  } catch (error) {
    return report(error)
  } finally {
    await db.destroy()
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    console.error(error)
    process.exitCode = 1
  },
)
