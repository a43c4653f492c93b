// Loads the built package one way, uses it, and prints which database
// driver packages ended up loaded, as one JSON line.
//   node --import ./record-imports.mjs use-package.mjs <dist folder> <scenario>
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

const DRIVERS = ['pg', 'pg-mem', '@electric-sql/pglite', '@neondatabase/serverless', 'ws']
const [dist, scenario, connectionString] = process.argv.slice(2)
const require = createRequire(import.meta.url)

/** A Kysely dialect that needs no driver package: queries return no rows. */
function driverlessDialect(kysely) {
  return {
    createAdapter: () => new kysely.PostgresAdapter(),
    createDriver: () => new kysely.DummyDriver(),
    createIntrospector: (db) => new kysely.PostgresIntrospector(db),
    createQueryCompiler: () => new kysely.PostgresQueryCompiler(),
  }
}

async function useWithDialect(taskstore) {
  const kysely = await import('kysely')
  const db = taskstore.createDatabase({ dialect: driverlessDialect(kysely) })
  await db.selectFrom('tasks').selectAll().where('user_id', '=', 'u1').execute()
  const health = await taskstore.checkHealth(db)
  await db.destroy()
  if (!health.ok) throw new Error('the driverless dialect did not answer')
}

const scenarios = {
  async 'esm-dialect'() {
    await useWithDialect(await import(join(dist, 'index.js')))
  },
  async 'cjs-dialect'() {
    await useWithDialect(require(join(dist, 'index.cjs')))
  },
  async 'esm-pg'() {
    const taskstore = await import(join(dist, 'index.js'))
    const db = taskstore.createDatabase({ connectionString, retry: { attempts: 1 } })
    await taskstore.checkHealth(db)
    await db.destroy()
  },
  async 'esm-memory'() {
    const { createMemoryDatabase } = await import(join(dist, 'testing', 'index.js'))
    const db = await createMemoryDatabase()
    await db.selectFrom('tasks').selectAll().execute()
    await db.destroy()
  },
}

await scenarios[scenario]()

const resolved = readFileSync(process.env.IMPORT_TRACE_FILE, 'utf8').split('\n')
const required = Object.keys(require.cache)
const loaded = DRIVERS.filter((name) => {
  const folder = `/node_modules/${name}/`
  return resolved.some((url) => url.includes(folder)) || required.some((path) => path.includes(folder))
})
console.log(JSON.stringify({ loaded }))
