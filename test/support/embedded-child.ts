// One process's use of an embedded database kept in a folder, for the test
// that data survives a process restart:
//   tsx embedded-child.ts <dataDir> write <email>   creates a user
//   tsx embedded-child.ts <dataDir> read            prints {"emails": [...]}
import { createEmbeddedDatabase } from '../../src/testing/index.js'

const [dataDir, action, email] = process.argv.slice(2)
const db = await createEmbeddedDatabase({ dataDir: dataDir! })
if (action === 'write') {
  await db.insertInto('users').values({ id: 'u1', email: email! }).execute()
}
const rows = await db.selectFrom('users').select('email').orderBy('email').execute()
await db.destroy()
console.log(JSON.stringify({ emails: rows.map((row) => row.email) }))
