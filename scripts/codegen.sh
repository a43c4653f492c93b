#!/usr/bin/env bash
# Regenerates src/db/database.ts (the Database type) with kysely-codegen from
# a freshly migrated throwaway schema, formatted in the house style.
#
# Needs a running PostgreSQL server: DATABASE_URL, else TEST_DATABASE_URL,
# else postgres://root@127.0.0.1:5432/test. The throwaway schema is dropped
# afterwards, whatever happens.
#
#   npm run codegen          rewrite src/db/database.ts
#   npm run codegen:check    exit 1 with a diff when the committed file has
#                            drifted from the migrations
set -euo pipefail
cd "$(dirname "$0")/.."

verify=false
case "${1:-}" in
  --verify) verify=true ;;
  '') ;;
  *)
    echo "usage: $0 [--verify]" >&2
    exit 2
    ;;
esac

export DATABASE_URL="${DATABASE_URL:-${TEST_DATABASE_URL:-postgres://root@127.0.0.1:5432/test}}"
export CODEGEN_SCHEMA="taskstore_codegen_$(date +%s)_$$"
target=src/db/database.ts
bin=node_modules/.bin
work="$(mktemp -d)"

drop_schema() {
  node --input-type=module -e "
    import pg from 'pg'
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL })
    await client.connect()
    await client.query('drop schema if exists \"' + process.env.CODEGEN_SCHEMA + '\" cascade')
    await client.end()
  " || echo "codegen: could not drop schema $CODEGEN_SCHEMA" >&2
  rm -rf "$work"
}
trap drop_schema EXIT

# The package's own CLI migrates, so the schema is exactly what hosts get.
"$bin/tsx" src/cli.ts migrate latest --schema "$CODEGEN_SCHEMA" >/dev/null

# Only the store's tables; its migration bookkeeping is not part of the type.
"$bin/kysely-codegen" \
  --dialect postgres \
  --default-schema "$CODEGEN_SCHEMA" \
  --include-pattern "$CODEGEN_SCHEMA.*" \
  --exclude-pattern "$CODEGEN_SCHEMA.taskstore_migration*" \
  --log-level error \
  --out-file "$work/generated.ts"

# Codegen's content in the repository's format (biome), so lint stays clean.
"$bin/biome" format --stdin-file-path="$target" <"$work/generated.ts" >"$work/database.ts"

if $verify; then
  if ! diff -u "$target" "$work/database.ts"; then
    echo "codegen: $target has drifted from migrations/. Run npm run codegen and commit the result." >&2
    exit 1
  fi
  echo "codegen: $target matches the migrations."
else
  cp "$work/database.ts" "$target"
  echo "codegen: wrote $target"
fi
