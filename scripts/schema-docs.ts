/**
 * Writes docs/schema.md (every table, column, constraint, index and trigger)
 * and docs/schema.svg (the ER diagram), read from the catalog of a database
 * freshly migrated on the embedded Postgres, so neither is drawn by hand.
 *
 *   npm run docs:schema
 */
import { writeFile } from 'node:fs/promises'
import { PGlite } from '@electric-sql/pglite'
import { PGliteDialect, sql } from 'kysely'
import { createDatabase, migrateToLatest } from '../src/index.js'

const SCHEMA = 'public'

interface Column {
  readonly name: string
  readonly type: string
  readonly notNull: boolean
  readonly default: string | null
}
interface Table {
  readonly name: string
  readonly columns: Column[]
  readonly primaryKey: string[]
  readonly constraints: { name: string; definition: string }[]
  readonly indexes: { name: string; definition: string }[]
  readonly triggers: { name: string; definition: string }[]
  readonly references: { column: string; table: string; referencedColumn: string }[]
}

async function readCatalog(): Promise<Table[]> {
  const db = createDatabase({ dialect: new PGliteDialect({ pglite: await PGlite.create() }) })
  try {
    await migrateToLatest(db)
    const rows = async <T>(query: ReturnType<typeof sql<T>>) => (await query.execute(db)).rows
    const tables = await rows<{ name: string }>(sql`
      select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${SCHEMA} and c.relkind = 'r' and c.relname not like 'taskstore_migration%'
      order by c.relname`)
    const result: Table[] = []
    for (const { name } of tables) {
      const table = sql`${sql.lit(`${SCHEMA}.${name}`)}::regclass`
      const columns = await rows<Column>(sql`
        select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as "notNull",
          case when a.attidentity <> '' then 'generated ' || case a.attidentity when 'a' then 'always' else 'by default' end || ' as identity'
               else pg_get_expr(d.adbin, d.adrelid) end as default
        from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
        where a.attrelid = ${table} and a.attnum > 0 and not a.attisdropped order by a.attnum`)
      const constraints = await rows<{ name: string; definition: string; type: string }>(sql`
        select conname as name, pg_get_constraintdef(oid) as definition, contype as type
        from pg_constraint where conrelid = ${table} and contype <> 'n' order by contype, conname`)
      const indexes = await rows<{ name: string; definition: string }>(sql`
        select indexrelid::regclass::text as name, pg_get_indexdef(indexrelid) as definition
        from pg_index where indrelid = ${table} order by 1`)
      const triggers = await rows<{ name: string; definition: string }>(sql`
        select tgname as name, pg_get_triggerdef(oid) as definition
        from pg_trigger where tgrelid = ${table} and not tgisinternal order by tgname`)
      const references = await rows<{ column: string; table: string; referencedColumn: string }>(sql`
        select a.attname as column, c.confrelid::regclass::text as table, r.attname as "referencedColumn"
        from pg_constraint c
        join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
        join pg_attribute r on r.attrelid = c.confrelid and r.attnum = c.confkey[1]
        where c.conrelid = ${table} and c.contype = 'f' order by c.conname`)
      const primary = constraints.find((constraint) => constraint.type === 'p')
      result.push({
        name,
        columns,
        primaryKey: primary ? /\(([^)]*)\)/.exec(primary.definition)![1]!.split(', ') : [],
        constraints: constraints.map(({ name, definition }) => ({ name, definition })),
        indexes,
        triggers,
        references,
      })
    }
    return result
  } finally {
    await db.destroy()
  }
}

function markdown(tables: Table[]): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|')
  const out = [
    '# Schema reference',
    '',
    'What `migrateToLatest` builds, read from the catalog of a freshly migrated',
    'database by `npm run docs:schema` (do not edit by hand). Tables live in the',
    "schema given to `createDatabase` (default `public`); taskstore's own",
    'migration tables (`taskstore_migration`, `taskstore_migration_lock`) sit beside them.',
    '',
    '![ER diagram of the tables taskstore creates](schema.svg)',
    '',
  ]
  for (const table of tables) {
    out.push(`## \`${table.name}\``, '', '| column | type | null | default |', '|---|---|---|---|')
    for (const column of table.columns) {
      const key = table.primaryKey.includes(column.name) ? ' (PK)' : ''
      out.push(
        `| \`${column.name}\`${key} | \`${cell(column.type)}\` | ${column.notNull ? 'not null' : 'null'} | ${column.default ? `\`${cell(column.default)}\`` : ''} |`,
      )
    }
    const list = (title: string, items: { name: string; definition: string }[]) => {
      if (items.length === 0) return
      out.push('', `**${title}**`, '')
      for (const item of items) out.push(`- \`${item.name}\`: \`${cell(item.definition)}\``)
    }
    list('Constraints', table.constraints)
    list('Indexes', table.indexes)
    list('Triggers', table.triggers)
    out.push('')
  }
  return `${out.join('\n').trimEnd()}\n`
}

const CHAR = 7.4
const ROW = 20
const GAP = 90

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** Tables side by side, referenced tables to the left; an arrow from each foreign key to its target. */
function diagram(tables: Table[]): string {
  const depth = new Map<string, number>()
  const depthOf = (name: string, seen = new Set<string>()): number => {
    if (depth.has(name)) return depth.get(name)!
    const table = tables.find((candidate) => candidate.name === name)
    const parents = (table?.references ?? []).filter((ref) => ref.table !== name && !seen.has(ref.table))
    const value = parents.length === 0 ? 0 : 1 + Math.max(...parents.map((ref) => depthOf(ref.table, new Set([...seen, name]))))
    depth.set(name, value)
    return value
  }
  const boxes = new Map<string, { x: number; y: number; width: number; table: Table }>()
  const columnsX: number[] = []
  const maxDepth = Math.max(...tables.map((table) => depthOf(table.name)))
  let x = 20
  for (let level = 0; level <= maxDepth; level++) {
    const here = tables.filter((table) => depthOf(table.name) === level)
    const width = Math.max(
      ...here.flatMap((table) => table.columns.map((column) => (column.name.length + column.type.length + 6) * CHAR)),
      ...here.map((table) => table.name.length * CHAR + 30),
    )
    let y = 20
    for (const table of here) {
      boxes.set(table.name, { x, y, width, table })
      y += (table.columns.length + 1) * ROW + 40
    }
    columnsX.push(x)
    x += width + GAP
  }
  const height = Math.max(...[...boxes.values()].map((box) => box.y + (box.table.columns.length + 1) * ROW)) + 20
  const parts: string[] = []
  for (const { x, y, width, table } of boxes.values()) {
    const h = (table.columns.length + 1) * ROW
    parts.push(`<rect x="${x}" y="${y}" width="${width}" height="${h}" rx="4" fill="#fff" stroke="#334"/>`)
    parts.push(`<rect x="${x}" y="${y}" width="${width}" height="${ROW}" rx="4" fill="#334"/>`)
    parts.push(`<text x="${x + 8}" y="${y + 14}" fill="#fff" font-weight="bold">${escapeXml(table.name)}</text>`)
    table.columns.forEach((column, index) => {
      const rowY = y + (index + 1) * ROW
      const mark = table.primaryKey.includes(column.name)
        ? 'PK '
        : table.references.some((ref) => ref.column === column.name)
          ? 'FK '
          : ''
      parts.push(`<text x="${x + 8}" y="${rowY + 14}">${escapeXml(`${mark}${column.name}`)}</text>`)
      parts.push(
        `<text x="${x + width - 8}" y="${rowY + 14}" text-anchor="end" fill="#556">${escapeXml(column.type)}${column.notNull ? '' : '?'}</text>`,
      )
    })
  }
  for (const { x, y, table } of boxes.values()) {
    for (const ref of table.references) {
      const target = boxes.get(ref.table)
      if (!target) continue
      const fromY = y + (table.columns.findIndex((column) => column.name === ref.column) + 1.5) * ROW
      const toY = target.y + (target.table.columns.findIndex((column) => column.name === ref.referencedColumn) + 1.5) * ROW
      const toX = target.x + target.width
      const mid = (x + toX) / 2
      parts.push(
        `<path d="M${x} ${fromY} C${mid} ${fromY} ${mid} ${toY} ${toX + 6} ${toY}" fill="none" stroke="#c44" marker-end="url(#arrow)"/>`,
      )
    }
  }
  const width = x - GAP + 20
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.round(width)}" height="${Math.round(height)}" viewBox="0 0 ${Math.round(width)} ${Math.round(height)}" font-family="ui-monospace, Menlo, Consolas, monospace" font-size="12">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="#c44"/></marker></defs>
<rect width="100%" height="100%" fill="#f8f8fa"/>
${parts.join('\n')}
</svg>
`
}

const tables = await readCatalog()
await writeFile('docs/schema.md', markdown(tables))
await writeFile('docs/schema.svg', diagram(tables))
console.log(`docs:schema: wrote docs/schema.md and docs/schema.svg (${tables.map((table) => table.name).join(', ')})`)
