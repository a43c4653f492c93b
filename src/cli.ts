#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { createDatabase } from './db/create-database.js'
import { checkSchemaName, DEFAULT_SCHEMA } from './db/database-schema.js'
import { redact } from './db/redaction.js'
import { isTaskstoreError } from './errors/index.js'
import { migrateDown, migrateToLatest, migrationStatus } from './migrator.js'

const USAGE = `Usage: taskstore migrate <latest|down|status> [--schema NAME]

Reads the connection string from DATABASE_URL.
  latest   apply every pending migration
  down     undo the most recent migration
  status   list every migration with the date it ran, or "pending"`

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: { schema: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    })
  } catch (error) {
    // An unknown option or a missing value: say which, then how to call.
    console.error(`taskstore: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`)
    return null
  }
}

async function main(argv: string[]): Promise<number> {
  const parsed = parse(argv)
  if (!parsed) return 2
  const { positionals, values } = parsed
  const [command, action] = positionals
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  if (command !== 'migrate' || !['latest', 'down', 'status'].includes(action ?? '') || positionals.length > 2) {
    console.error(USAGE)
    return 2
  }
  const schema = checkSchemaName(values.schema ?? DEFAULT_SCHEMA)
  const db = createDatabase({ schema })
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
      if (applied.length === 0) console.log(`Nothing to revert in schema "${schema}".`)
      for (const name of applied) console.log(`reverted ${name} in schema "${schema}"`)
    }
    return 0
  } finally {
    await db.destroy()
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    const message = isTaskstoreError(error) ? `${error.name} (${error.code}): ${error.message}` : String(error)
    console.error(`taskstore: ${redact(message)}`)
    process.exitCode = 1
  },
)
