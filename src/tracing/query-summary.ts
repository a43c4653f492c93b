/** What a statement does, as the database semantic conventions name it. */
export interface QuerySummary {
  /** `SELECT`, `INSERT`, `UPDATE`, `DELETE` or `MERGE`. */
  readonly operation: string
  /** The table it works on, unqualified (`tasks`), when one is named. */
  readonly collection?: string
  /** `{operation} {collection}`, the span's name: `INSERT tasks`. */
  readonly summary: string
}

const IDENTIFIER = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)`
const TABLE = String.raw`(${IDENTIFIER}(?:\s*\.\s*${IDENTIFIER})?)`
/** A data-changing statement names its table right after its keywords. */
const WRITE = new RegExp(String.raw`\b(insert\s+into|update|delete\s+from|merge\s+into)\s+${TABLE}`, 'gi')
const SELECT = /\bselect\b/i
/** A quoted string, with its doubled quotes. */
const STRING_LITERAL = "'(?:[^']|'')*'"
/** Each table a statement reads from, in the order it names them. */
const READ_FROM = new RegExp(String.raw`\bfrom\s+${TABLE}`, 'gi')
/** The name of each common table expression: `with "hits" as (`, `, "window" as materialized (`. */
const CTE = new RegExp(String.raw`(${IDENTIFIER})\s+as\s+(?:not\s+)?(?:materialized\s+)?\(`, 'gi')
/** Words that follow UPDATE without naming a table: `for update skip locked`, `do update set`, `for update of`. */
const NOT_A_TABLE = new Set(['set', 'skip', 'nowait', 'of'])

/**
 * Summarises a statement the stores or the migrator send, from its SQL text
 * alone (never its parameters): the outermost statement, not its common
 * table expressions or subqueries, and for a read the first table it reads,
 * looking into a subquery or a common table expression when the outermost
 * select reads one of those.
 *
 * @example
 * ```ts
 * summarizeQuery('insert into "app"."tasks" ("user_id") values ($1) returning *')
 * // { operation: 'INSERT', collection: 'tasks', summary: 'INSERT tasks' }
 * ```
 */
export function summarizeQuery(sql: string): QuerySummary {
  const outer = outermost(sql)
  for (const match of outer.matchAll(WRITE)) {
    const collection = tableName(match[2]!)
    if (NOT_A_TABLE.has(collection.toLowerCase())) continue
    const operation = match[1]!.split(/\s+/)[0]!.toUpperCase()
    return { operation, collection, summary: `${operation} ${collection}` }
  }
  if (SELECT.test(outer)) {
    const collection = firstTableRead(outer, sql)
    if (collection) return { operation: 'SELECT', collection, summary: `SELECT ${collection}` }
  }
  const operation = /^\s*(\w+)/.exec(outer)?.[1]?.toUpperCase() ?? 'QUERY'
  return { operation, summary: operation }
}

/** The first table `outer` reads, or failing that the first `sql` reads anywhere; never a common table expression. */
function firstTableRead(outer: string, sql: string): string | undefined {
  const text = withoutLiterals(sql)
  const expressions = new Set([...text.matchAll(CTE)].map((match) => tableName(match[1]!)))
  for (const source of [outer, text]) {
    for (const match of source.matchAll(READ_FROM)) {
      const table = tableName(match[1]!)
      if (!expressions.has(table)) return table
    }
  }
  return undefined
}

function withoutLiterals(sql: string): string {
  return sql.replace(new RegExp(STRING_LITERAL, 'g'), ' ')
}

/** The statement with string literals blanked out and everything inside parentheses left as `()`. */
function outermost(sql: string): string {
  let depth = 0
  let text = ''
  for (const part of sql.split(new RegExp(`(${STRING_LITERAL})`))) {
    if (part.startsWith("'")) {
      text += ' '
      continue
    }
    for (const char of part) {
      if (char === '(') depth++
      else if (char === ')') {
        depth = Math.max(0, depth - 1)
        if (depth === 0) text += ' () '
      } else if (depth === 0) text += char
    }
  }
  return text
}

function tableName(qualified: string): string {
  const last = qualified.split(/\s*\.\s*(?=[^.]*$)/).pop()!
  return last.startsWith('"') ? last.slice(1, -1).replaceAll('""', '"') : last
}
