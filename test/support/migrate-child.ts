// A separate OS process that migrates one schema on command, for the
// concurrent-migration test. Protocol over stdio, one JSON line each way:
//   child → {"ready": true, "pid": <server backend pid>}
//   parent → "go"   child → {"applied": [...]} or {"error": "..."}
//   parent → "exit" child closes its connection and exits.
import { createInterface } from 'node:readline'
import { sql } from 'kysely'
import { createDatabase, migrateToLatest } from '../../src/index.js'

const [connectionString, schema] = process.argv.slice(2)
// One connection, so the server process that migrates is the one reported,
// and it stays open until told to exit: a leaked session lock would show.
const db = createDatabase({ connectionString, schema, pool: { max: 1 } })
// Taken now, so a line that arrives while connecting is queued, not dropped.
const input = createInterface({ input: process.stdin })
const lines = input[Symbol.asyncIterator]()
const send = (message: unknown) => process.stdout.write(`${JSON.stringify(message)}\n`)

const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)
send({ ready: true, pid: rows[0]?.pid })

for (let next = await lines.next(); !next.done; next = await lines.next()) {
  const line = next.value
  if (line === 'go') {
    try {
      const { applied } = await migrateToLatest(db)
      send({ applied })
    } catch (error) {
      send({ error: String(error) })
    }
  } else if (line === 'exit') {
    break
  }
}
input.close()
await db.destroy()
