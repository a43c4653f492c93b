#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { createDatabase } from './db/create-database.js'
import { redact } from './db/redaction.js'
import { isTaskstoreError } from './errors/index.js'
import { migrateDown, migrateToLatest, migrationStatus } from './migrator.js'

const USAGE = `Usage: taskstore migrate <latest|down|status> [--schema NAME]

Reads the connection string from DATABASE_URL.
  latest   apply every pending migration
  down     undo the most recent migration
  status   list every migration with the date it ran, or "pending"`

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { schema: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  })
  const [command, action] = positionals
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  if (command !== 'migrate' || !['latest', 'down', 'status'].includes(action ?? '') || positionals.length > 2) {
    console.error(USAGE)
    return 2
  }
  const db = createDatabase({ schema: values.schema })
  try {
    if (action === 'status') {
      for (const { name, executedAt } of await migrationStatus(db)) {
        console.log(`${name.padEnd(32)} ${executedAt ? executedAt.toISOString() : 'pending'}`)
      }
    } else {
      const { applied } = action === 'latest' ? await migrateToLatest(db) : await migrateDown(db)
      const verb = action === 'latest' ? 'applied' : 'reverted'
      if (applied.length === 0) console.log(action === 'latest' ? 'Already up to date.' : 'Nothing to revert.')
      for (const name of applied) console.log(`${verb} ${name}`)
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
