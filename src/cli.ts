#!/usr/bin/env node
import { createRequire } from 'node:module'
import { parseArgs } from 'node:util'
import { createDatabase } from './db/create-database.js'
import { checkSchemaName, DEFAULT_SCHEMA } from './db/database-schema.js'
import { redact, rememberSecretsOf } from './db/redaction.js'
import { isTaskstoreError } from './errors/index.js'
import { migrateDown, migrateToLatest, migrationStatus } from './migrator.js'

const USAGE = `Usage: taskstore migrate <latest|down|status> [--schema NAME] [--url URL]
       taskstore --version | --help

Connects to --url, else to the DATABASE_URL environment variable.
  latest   apply every pending migration
  down     undo the most recent migration
  status   list every migration with the date it ran, or "pending"

Options:
  --schema NAME   the PostgreSQL schema holding taskstore's tables (default public)
  --url URL       a postgres:// connection string, instead of DATABASE_URL
  --version, -v   print taskstore's version
  --help, -h      print this help`

const ACTIONS = ['latest', 'down', 'status'] as const
type Action = (typeof ACTIONS)[number]

/** A usage error: printed with the usage, exit code 2. */
class UsageError extends Error {}

interface Invocation {
  readonly action: Action
  readonly schema: string | undefined
  readonly url: string | undefined
}

function parse(argv: string[]): Invocation | 'help' | 'version' {
  let parsed: ReturnType<typeof parseCommandLine>
  try {
    parsed = parseCommandLine(argv)
  } catch (error) {
    // an unknown option or a missing value: say which
    throw new UsageError(error instanceof Error ? error.message : String(error))
  }
  const { positionals, values } = parsed
  if (values.help) return 'help'
  if (values.version) return 'version'
  const [command, action, ...rest] = positionals
  if (command === undefined) throw new UsageError('no command given')
  if (command !== 'migrate') throw new UsageError(`unknown command "${command}"`)
  if (!ACTIONS.includes(action as Action)) {
    throw new UsageError(action === undefined ? 'migrate needs latest, down or status' : `unknown action "${action}"`)
  }
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`)
  return { action: action as Action, schema: values.schema, url: values.url }
}

function parseCommandLine(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      schema: { type: 'string' },
      url: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  })
}

// Replaced by the build with the version in package.json.
declare const __TASKSTORE_VERSION__: string

function packageVersion(): string {
  if (typeof __TASKSTORE_VERSION__ === 'string') return __TASKSTORE_VERSION__
  // run from source: src/cli.ts sits one folder below package.json
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version
}

async function migrate({ action, schema: schemaOption, url }: Invocation): Promise<void> {
  const schema = checkSchemaName(schemaOption ?? DEFAULT_SCHEMA)
  const connectionString = url ?? process.env.DATABASE_URL
  if (!connectionString) {
    throw new UsageError('no database given: set DATABASE_URL or pass --url postgres://user:password@host/database')
  }
  rememberSecretsOf(connectionString)
  const db = createDatabase({ connectionString, schema })
  try {
    if (action === 'status') {
      const steps = await migrationStatus(db)
      const width = Math.max(...steps.map((step) => step.name.length)) + 2
      console.log(`Migrations in schema "${schema}":`)
      for (const { name, executedAt } of steps) {
        console.log(`  ${name.padEnd(width)}${executedAt ? executedAt.toISOString() : 'pending'}`)
      }
    } else if (action === 'latest') {
      const { applied } = await migrateToLatest(db)
      if (applied.length === 0) console.log(`Schema "${schema}" is up to date.`)
      for (const name of applied) console.log(`applied ${name} in schema "${schema}"`)
    } else {
      const { applied } = await migrateDown(db)
      if (applied.length === 0) console.log(`Nothing to revert: schema "${schema}" has no taskstore migrations.`)
      for (const name of applied) console.log(`reverted ${name} in schema "${schema}"`)
    }
  } finally {
    await db.destroy()
  }
}

async function main(argv: string[]): Promise<number> {
  try {
    const invocation = parse(argv)
    if (invocation === 'help') console.log(USAGE)
    else if (invocation === 'version') console.log(packageVersion())
    else await migrate(invocation)
    return 0
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`taskstore: ${error.message}\n\n${USAGE}`)
      return 2
    }
    const message = isTaskstoreError(error) ? `${error.message} (${error.code})` : String(error)
    console.error(`taskstore: ${redact(message)}`)
    return 1
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code
})
