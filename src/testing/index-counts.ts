import type { IMemoryDb } from 'pg-mem'
import { parameterText } from './parameter-text.js'
import { type ColumnIndex, parseStatements, tableIndexes } from './pg-mem-internals.js'

/** One counted column of a statement: `count(*)`, or `count(case when <flag> then … end)`. */
interface CountOutput {
  readonly alias: string
  /** The boolean column counted where true; null for `count(*)`. */
  readonly flag: string | null
}

/** A statement that only counts rows of one table picked by `column = $n` equalities. */
interface CountStatement {
  readonly schema: string | undefined
  readonly table: string
  /** Each equality's column and its parameter's position (from 0). */
  readonly equalities: ReadonlyArray<{ readonly column: string; readonly parameter: number }>
  readonly outputs: readonly CountOutput[]
}

/** The index that answers a count statement. */
interface CountPlan {
  readonly index: ColumnIndex
  /** The index column of the flag the statement counts by, or null when it only counts rows. */
  readonly flag: string | null
}

// Statement texts come from the code that runs them, so there are few; a host
// that writes values into its SQL could make many, hence the bound.
const MAX_STATEMENTS = 1000
const COUNT_CALL = /\bcount\s*\(/i
const INTEGER_CASTS = new Set(['int', 'integer', 'int4', 'bigint', 'int8'])

/**
 * Answers, without running them through pg-mem, the statements that only
 * count the rows of one table picked by equalities with parameters, such as
 * the task store's
 * `select count(*) as total, count(case when completed then 1 end) as completed from tasks where user_id = $1`,
 * when the table has an index on exactly the compared columns plus the
 * counted flag. pg-mem itself would read every matching row (and plan the
 * statement on every call, since it cannot prepare a comparison of an
 * indexed column with a parameter); the index already holds the rows under
 * each key, and pg-mem keeps it current through every write, cascade,
 * TRUNCATE and rollback, so its sizes are the counts. Any other statement,
 * or one whose index is missing, gets null and runs as usual.
 *
 * @example
 * ```ts
 * import { newDb } from 'pg-mem'
 * const mem = newDb()
 * mem.public.none('create table t (owner text, done boolean); create index on t (owner, done)')
 * const counts = new IndexCounts()
 * counts.answer(mem, 'select count(*) as n, count(case when done then 1 end) as d from t where owner = $1', ['a'])
 * // { n: 0, d: 0 }
 * ```
 */
export class IndexCounts {
  // By SQL text: what the statement is, or null when it is not a count this class answers.
  readonly #statements = new Map<string, CountStatement | null>()

  /** The single row `sql` returns with `parameters`, or null when it must run through pg-mem. */
  answer(mem: IMemoryDb, sql: string, parameters: readonly unknown[]): Record<string, number> | null {
    const statement = this.#statement(mem, sql)
    // Looked up on every call: pg-mem announces no schema change when an index is dropped.
    const plan = statement && planFor(mem, statement)
    if (!plan) return null
    const values = new Map<string, string>()
    for (const { column, parameter } of statement.equalities) {
      const value = parameters[parameter]
      // `column = null` matches nothing, and a missing value is an error: pg-mem says which.
      if (value === null || value === undefined) return null
      values.set(column, parameterText(value))
    }
    const count = (flag: boolean | null) =>
      plan.index.count(plan.index.columns.map((column) => (column === plan.flag ? flag : values.get(column))))
    const row: Record<string, number> = {}
    for (const { alias, flag } of statement.outputs) {
      if (flag !== null) row[alias] = count(true)
      else row[alias] = plan.flag === null ? count(null) : count(false) + count(true) + count(null)
    }
    return row
  }

  #statement(mem: IMemoryDb, sql: string): CountStatement | null {
    let statement = this.#statements.get(sql)
    if (statement !== undefined) return statement
    if (!COUNT_CALL.test(sql)) return null
    try {
      const parsed = parseStatements(mem, sql)
      statement = parsed.length === 1 ? countStatement(parsed[0]) : null
    } catch {
      // pg-mem reports the error when it runs the statement.
      statement = null
    }
    if (this.#statements.size >= MAX_STATEMENTS) this.#statements.clear()
    this.#statements.set(sql, statement)
    return statement
  }
}

/** The index over exactly the compared columns and the counted flag, when the columns have the types compared. */
function planFor(mem: IMemoryDb, statement: CountStatement): CountPlan | null {
  const table = tableIndexes(mem, statement.schema, statement.table)
  if (!table) return null
  const flags = new Set(statement.outputs.flatMap(({ flag }) => (flag === null ? [] : [flag])))
  if (flags.size > 1) return null
  const [flag = null] = flags
  const compared = statement.equalities.map(({ column }) => column)
  // Text compares by equality of the strings, as the index does; citext and the rest would need their casts.
  if (compared.some((column) => table.columnType(column) !== 'text')) return null
  if (flag !== null && (table.columnType(flag) !== 'bool' || compared.includes(flag))) return null
  const wanted = flag === null ? compared : [...compared, flag]
  if (new Set(wanted).size !== wanted.length) return null
  const index = table.indexes.find(
    ({ columns }) => columns.length === wanted.length && wanted.every((column) => columns.includes(column)),
  )
  return index ? { index, flag } : null
}

type Node = Record<string, unknown>

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** True when the node has no set keys besides `keys` (and the parser's location). */
function hasOnly(node: Node, keys: readonly string[]): boolean {
  return Object.entries(node).every(
    ([key, value]) => value === null || value === undefined || key === '_location' || keys.includes(key),
  )
}

/** The statement as a count this class answers, or null. */
function countStatement(node: unknown): CountStatement | null {
  if (!isNode(node) || node.type !== 'select' || !hasOnly(node, ['type', 'columns', 'from', 'where'])) return null
  const source = tableSource(node.from)
  if (!source || !Array.isArray(node.columns) || node.columns.length === 0) return null
  const column = (ref: unknown) => columnName(ref, source.qualifier)
  const outputs: CountOutput[] = []
  for (const item of node.columns) {
    if (!isNode(item) || !hasOnly(item, ['expr', 'alias']) || !isNode(item.alias)) return null
    const alias = item.alias.name
    if (typeof alias !== 'string' || !hasOnly(item.alias, ['name'])) return null
    const counted = countCall(integerCastOperand(item.expr), column)
    if (counted === undefined || outputs.some((output) => output.alias === alias)) return null
    outputs.push({ alias, flag: counted })
  }
  const equalities: Array<{ column: string; parameter: number }> = []
  if (!collectEqualities(node.where, column, equalities)) return null
  if (new Set(equalities.map(({ column: name }) => name)).size !== equalities.length) return null
  return { schema: source.schema, table: source.table, equalities, outputs }
}

/** The one table read, and the name its columns may be qualified with. */
function tableSource(from: unknown): { schema: string | undefined; table: string; qualifier: string } | null {
  if (!Array.isArray(from) || from.length !== 1) return null
  const [item] = from
  if (!isNode(item) || item.type !== 'table' || !hasOnly(item, ['type', 'name']) || !isNode(item.name)) return null
  const { name, schema, alias } = item.name
  if (!hasOnly(item.name, ['name', 'schema', 'alias'])) return null
  if (typeof name !== 'string' || (schema !== undefined && typeof schema !== 'string')) return null
  if (alias !== undefined && typeof alias !== 'string') return null
  return { schema, table: name, qualifier: alias ?? name }
}

/** A plain column reference's name, unqualified or qualified by the table's name (or its alias). */
function columnName(node: unknown, qualifier: string): string | null {
  if (!isNode(node) || node.type !== 'ref' || !hasOnly(node, ['type', 'name', 'table'])) return null
  if (typeof node.name !== 'string' || node.name === '*') return null
  if (node.table !== undefined && node.table !== null) {
    if (!isNode(node.table) || !hasOnly(node.table, ['name']) || node.table.name !== qualifier) return null
  }
  return node.name
}

/** The operand of a cast to an integer type, or the node itself when it is no cast. */
function integerCastOperand(node: unknown): unknown {
  if (!isNode(node) || node.type !== 'cast') return node
  const to = node.to
  if (!hasOnly(node, ['type', 'operand', 'to']) || !isNode(to) || !hasOnly(to, ['name'])) return null
  return typeof to.name === 'string' && INTEGER_CASTS.has(to.name) ? node.operand : null
}

/**
 * What a count call counts: null for `count(*)`, the flag column for
 * `count(case when <flag> then <constant> end)`, undefined for anything
 * else (DISTINCT, FILTER, a window, other expressions).
 */
function countCall(node: unknown, column: (ref: unknown) => string | null): string | null | undefined {
  if (!isNode(node) || node.type !== 'call' || !hasOnly(node, ['type', 'function', 'args'])) return undefined
  const { function: called, args } = node
  if (!isNode(called) || called.name !== 'count' || !hasOnly(called, ['name'])) return undefined
  if (!Array.isArray(args) || args.length !== 1) return undefined
  const [argument] = args
  if (isNode(argument) && argument.type === 'ref' && argument.name === '*' && hasOnly(argument, ['type', 'name'])) {
    return null
  }
  if (!isNode(argument) || argument.type !== 'case' || !hasOnly(argument, ['type', 'whens'])) return undefined
  const whens = argument.whens
  if (!Array.isArray(whens) || whens.length !== 1) return undefined
  const [when] = whens
  if (!isNode(when) || !hasOnly(when, ['when', 'value']) || !isConstant(when.value)) return undefined
  return column(when.when) ?? undefined
}

// A literal that is never null, so the count counts every row where the flag is true.
function isConstant(node: unknown): boolean {
  return (
    isNode(node) &&
    ['integer', 'numeric', 'string', 'boolean'].includes(node.type as string) &&
    node.value !== null &&
    node.value !== undefined &&
    hasOnly(node, ['type', 'value'])
  )
}

/** Adds each `column = $n` of a conjunction to `into`; false when the condition is anything else. */
function collectEqualities(
  node: unknown,
  column: (ref: unknown) => string | null,
  into: Array<{ column: string; parameter: number }>,
): boolean {
  if (!isNode(node) || node.type !== 'binary' || !hasOnly(node, ['type', 'op', 'left', 'right'])) return false
  if (node.op === 'AND')
    return collectEqualities(node.left, column, into) && collectEqualities(node.right, column, into)
  if (node.op !== '=') return false
  for (const [ref, value] of [
    [node.left, node.right],
    [node.right, node.left],
  ]) {
    const name = column(ref)
    const parameter = parameterPosition(value)
    if (name !== null && parameter !== null) {
      into.push({ column: name, parameter })
      return true
    }
  }
  return false
}

function parameterPosition(node: unknown): number | null {
  if (!isNode(node) || node.type !== 'parameter' || typeof node.name !== 'string') return null
  const position = Number(node.name.slice(1))
  return Number.isInteger(position) && position >= 1 ? position - 1 : null
}
