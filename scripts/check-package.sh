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

npm pack --silent --pack-destination "$work" >/dev/null
tarball="$(ls "$work"/taskstore-*.tgz)"
echo "check-package: packed $(basename "$tarball") ($(tar tzf "$tarball" | wc -l) files)"

# publint: exports map, types-first conditions, files present in the tarball.
"$bin/publint" run "$tarball" --strict

# attw on the tarball with the node16 profile: node16 from ESM and from CJS,
# and bundler resolution. It leaves out node10 (TypeScript's legacy
# moduleResolution "node"), which cannot see subpath exports such as
# taskstore/testing; hosts need moduleResolution node16, nodenext or bundler.
# The CommonJS build is real, but it requires kysely, which is ESM-only, so
# require('taskstore') works at run time only on Node >= 20.19 (require of
# ES modules), which is what package.json's engines field says. attw checks
# types, not that: the consumer test below runs require('taskstore') for real.
"$bin/attw" "$tarball" --profile node16 --no-emoji --no-color

# A throwaway host project: install the tarball (and pg-mem for the testing
# helper) from the registry like any user would, then use it.
consumer="$work/consumer"
mkdir "$consumer"
pg_mem_version="$(node -p "require('./package.json').devDependencies['pg-mem']")"
cat >"$consumer/package.json" <<'JSON'
{ "name": "taskstore-consumer", "version": "0.0.0", "private": true, "type": "module" }
JSON
(cd "$consumer" && npm install --silent --no-audit --no-fund --prefer-offline "$tarball" "pg-mem@$pg_mem_version")

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
console.log(`check-package: the installed package works via import, require and taskstore/testing (${status.length} migrations)`)
JS
(cd "$consumer" && node use.mjs)
(cd "$consumer" && ./node_modules/.bin/taskstore --help | head -1)
echo "check-package: ok"
