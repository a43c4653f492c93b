// A process that keeps an embedded database in a folder open, for the lock
// tests. It prints {"ready": pid}, then answers JSON lines:
//   open <dataDir>    {"opened": true} or {"opened": false, "code", "message"}
//   write <email>     inserts a user, then {"written": email} once committed
//   read              {"emails": [...]}
//   close             db.destroy(), then {"closed": true}
import { createInterface } from 'node:readline'
import type { Kysely } from 'kysely'
import type { Database } from '../../src/index.js'
import { createEmbeddedDatabase } from '../../src/testing/index.js'

const say = (message: object) => console.log(JSON.stringify(message))
let db: Kysely<Database> | undefined

say({ ready: process.pid })
for await (const line of createInterface({ input: process.stdin })) {
  const [command, argument] = line.split(' ')
  if (command === 'open') {
    try {
      db = await createEmbeddedDatabase({ dataDir: argument! })
      say({ opened: true })
    } catch (error) {
      say({ opened: false, code: (error as { code?: string }).code, message: (error as Error).message })
    }
  } else if (command === 'write') {
    await db!.insertInto('users').values({ id: argument!, email: argument! }).execute()
    say({ written: argument })
  } else if (command === 'read') {
    const rows = await db!.selectFrom('users').select('email').orderBy('email').execute()
    say({ emails: rows.map((row) => row.email) })
  } else if (command === 'close') {
    await db!.destroy()
    say({ closed: true })
  }
}
