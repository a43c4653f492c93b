#!/usr/bin/env bash
# Checks the package as npm would publish it: packs dist/ (run `npm run build`
# first), lints the tarball with publint and attw, then installs it into a
# throwaway project and uses it the ways a host would.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -f dist/index.js || ! -f dist/index.cjs || ! -f dist/cli.js ]]; then
  echo "check-package: dist/ is missing; run npm run build first." >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
bin="$PWD/node_modules/.bin"

# The README is also the npm page, where relative links lead nowhere.
relative_links="$(grep -oE '\]\([^)]+\)' README.md | grep -vE '^\]\((https?://|#)' || true)"
if [[ -n "$relative_links" ]]; then
  echo "check-package: README.md has links that break on npm (make them absolute):" >&2
  echo "$relative_links" >&2
  exit 1
fi

npm pack --silent --pack-destination "$work" >/dev/null
tarball="$(ls "$work"/taskstore-*.tgz)"
echo "check-package: packed $(basename "$tarball") ($(tar tzf "$tarball" | wc -l) files)"

# publint: exports map, types-first conditions, files present in the tarball.
"$bin/publint" run "$tarball" --strict

# attw on the tarball, every resolution: node10 (TypeScript's legacy
# moduleResolution "node", which reads typesVersions for taskstore/testing
# since it cannot see subpath exports), node16 from ESM and from CJS, and
# bundler.
# The CommonJS build is real, but it requires kysely, which is ESM-only, so
# require('taskstore') works at run time only where Node can require ES
# modules (22.12 and later), which is what package.json's engines field says
# and what the engine-strict install below enforces. attw checks
# types, not that: the consumer test below runs require('taskstore') for real.
"$bin/attw" "$tarball" --no-emoji --no-color

# A throwaway host project: install the tarball (and pg-mem for the testing
# helper) from the registry like any user would, then use it.
consumer="$work/consumer"
mkdir "$consumer"
dev_version() { node -p "require('./package.json').devDependencies['$1']"; }
cat >"$consumer/package.json" <<'JSON'
{ "name": "taskstore-consumer", "version": "0.0.0", "private": true, "type": "module" }
JSON
peers=("pg-mem@$(dev_version pg-mem)" "@electric-sql/pglite@$(dev_version @electric-sql/pglite)" "pg@$(dev_version pg)")
(cd "$consumer" && npm install --silent --no-audit --no-fund --prefer-offline --engine-strict "$tarball" "${peers[@]}")

cat >"$consumer/use.mjs" <<'JS'
import { createRequire } from 'node:module'
import assert from 'node:assert/strict'

const esm = await import('taskstore')
const cjs = createRequire(import.meta.url)('taskstore')
for (const [how, api] of [['import', esm], ['require', cjs]]) {
  for (const name of ['createDatabase', 'checkHealth', 'migrateToLatest', 'migrateDown', 'migrationStatus', 'createTaskStore', 'createUserStore']) {
    assert.equal(typeof api[name], 'function', `${how}('taskstore').${name}`)
  }
  assert.throws(() => api.createDatabase({ connectionString: '' }), (error) => error.code === 'config', how)
  // loggers that print `error.constructor.name` show the exported name, not a bundler's
  for (const name of ['TaskstoreError', 'ConfigError', 'ConflictError', 'DatabaseUnavailableError', 'ForbiddenError', 'MigrationError', 'NotFoundError', 'ValidationError']) {
    assert.equal(api[name].name, name, `${how}('taskstore').${name}.name`)
  }
  assert.equal(new api.ValidationError([]).constructor.name, 'ValidationError', how)
}

const { createMemoryDatabase } = await import('taskstore/testing')
const db = await createMemoryDatabase()
const status = await esm.migrationStatus(db)
assert.ok(status.length > 0 && status.every((step) => step.executedAt instanceof Date), 'migrated')
const users = esm.createUserStore(db)
const tasks = esm.createTaskStore(db)
const user = await users.createUser({ email: 'Ada@Example.com' })
await tasks.createTask(user.id, { title: 'packed and installed' })
assert.equal((await tasks.getTasks(user.id)).items[0].title, 'packed and installed')
await db.destroy()

// every backend a consumer can reach from here: embedded PGlite, and the server when one is given
const { createEmbeddedDatabase } = await import('taskstore/testing')
const embedded = await createEmbeddedDatabase()
const embeddedUser = await esm.createUserStore(embedded).createUser({ email: 'grace@example.com' })
const created = await esm.createTaskStore(embedded).createTask(embeddedUser.id, { title: 'on PGlite' })
assert.equal((await esm.createTaskStore(embedded).toggleComplete(embeddedUser.id, created.id)).completed, true)
await embedded.destroy()
if (process.env.TEST_DATABASE_URL) {
  const schema = `consumer_${process.pid}`
  const server = cjs.createDatabase({ connectionString: process.env.TEST_DATABASE_URL, schema })
  try {
    await cjs.migrateToLatest(server)
    const serverUser = await cjs.createUserStore(server).createUser({ email: 'linus@example.com' })
    await cjs.createTaskStore(server).createTask(serverUser.id, { title: 'on the server' })
    assert.deepEqual(await cjs.createTaskStore(server).countTasks(serverUser.id), { total: 1, completed: 0, pending: 1 })
  } finally {
    await server.withoutPlugins().schema.dropSchema(schema).ifExists().cascade().execute()
    await server.destroy()
  }
}
console.log(`check-package: the installed package works via import, require and taskstore/testing, on pg-mem, PGlite${process.env.TEST_DATABASE_URL ? ' and the server' : ''} (${status.length} migrations)`)
JS
(cd "$consumer" && node use.mjs)
(cd "$consumer" && ./node_modules/.bin/taskstore --help | head -1)

# The README's install line, exactly: the tarball and pg, kysely arriving as a peer.
readme_consumer="$work/readme-consumer"
mkdir "$readme_consumer"
echo '{ "name": "readme-consumer", "version": "0.0.0", "private": true, "type": "module" }' >"$readme_consumer/package.json"
(cd "$readme_consumer" && npm install --silent --no-audit --no-fund --prefer-offline --engine-strict "$tarball" pg)
(cd "$readme_consumer" && node --input-type=module -e "
  import assert from 'node:assert/strict'
  import { createDatabase, checkHealth } from 'taskstore'
  const url = process.env.TEST_DATABASE_URL
  const db = createDatabase({ connectionString: url ?? 'postgres://nobody@127.0.0.1:1/none', retry: { attempts: 1 } })
  const health = await checkHealth(db)
  assert.equal(health.ok, Boolean(url), JSON.stringify(health))
  await db.destroy()
  console.log('check-package: npm install taskstore pg works as the README says' + (url ? ', and reaches the server' : ''))
")

# A host app with its own Kysely and its own table (test/consumer), type-checked
# under strict settings against the published declarations and run, on the
# lowest and the highest Kysely that the peer range allows.
kysely_range="$(node -p "require('./package.json').peerDependencies.kysely")"
kysely_versions="$(npm view "kysely@$kysely_range" version --json | node -e '
  const found = [].concat(JSON.parse(require("fs").readFileSync(0, "utf8")))
  const key = (v) => v.split(".").map(Number)
  found.sort((a, b) => { const x = key(a), y = key(b); return x[0] - y[0] || x[1] - y[1] || x[2] - y[2] })
  console.log(found[0], found.at(-1))
')"
types_node="@types/node@$(dev_version @types/node)"
cp test/consumer/host-app.ts test/consumer/tsconfig.json "$consumer/"
for kysely_version in $kysely_versions; do
  (cd "$consumer" && npm install --silent --no-audit --no-fund --prefer-offline --engine-strict \
    "kysely@$kysely_version" "$types_node")
  (cd "$consumer" && "$bin/tsc" -p tsconfig.json) ||
    { echo "check-package: the host app does not type-check with kysely $kysely_version" >&2; exit 1; }
  (cd "$consumer" && node host-app.ts)
  echo "check-package: the host app type-checks and runs with kysely $kysely_version (peer range $kysely_range)"
done
echo "check-package: ok"
