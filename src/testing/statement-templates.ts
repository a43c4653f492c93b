import type { IMemoryDb } from 'pg-mem'
import { parameterText } from './parameter-text.js'
import { parseStatements } from './pg-mem-internals.js'

/** A parsed statement: pg-mem's syntax tree, plain objects and arrays. */
type SyntaxNode = unknown

// Statement texts come from the code that runs them, so there are few; a host
// that writes values into its SQL could make many, hence the bound.
const MAX_TEMPLATES = 1000

/**
 * Parsed statements by their text with `$n` placeholders, so that pg-mem,
 * which parses every statement it is given (most of its time per call),
 * parses each text once: a call gets a copy of the tree with each
 * placeholder replaced by its value as a string literal, exactly what
 * writing the value into the text as a quoted string would parse to.
 *
 * @example
 * ```ts
 * import { newDb } from 'pg-mem'
 * const mem = newDb()
 * mem.public.none('create table t (x text)')
 * const templates = new StatementTemplates()
 * mem.public.query(templates.bind(mem, 'insert into t values ($1)', ['a']) as never)
 * ```
 */
export class StatementTemplates {
  readonly #parsed = new Map<string, SyntaxNode[]>()

  /** The statements of `sql` with `parameters` in place of the placeholders. */
  bind(mem: IMemoryDb, sql: string, parameters: readonly unknown[]): SyntaxNode[] {
    let parsed = this.#parsed.get(sql)
    if (!parsed) {
      parsed = parseStatements(mem, sql)
      if (this.#parsed.size >= MAX_TEMPLATES) this.#parsed.clear()
      this.#parsed.set(sql, parsed)
    }
    return parsed.map((statement) => substitute(statement, parameters))
  }
}

interface ParameterNode {
  readonly type: 'parameter'
  readonly name: string
}

function isParameter(node: object): node is ParameterNode {
  return (node as { type?: unknown }).type === 'parameter'
}

// A copy of the tree with its placeholders replaced; pg-mem never changes a tree it is given.
function substitute(node: SyntaxNode, parameters: readonly unknown[]): SyntaxNode {
  if (Array.isArray(node)) return node.map((item) => substitute(item, parameters))
  if (node === null || typeof node !== 'object') return node
  if (isParameter(node)) {
    const position = Number(node.name.slice(1))
    if (!(position >= 1 && position <= parameters.length)) throw new Error(`No value for the parameter ${node.name}`)
    return literal(parameters[position - 1])
  }
  const copy: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(node)) copy[key] = substitute(value, parameters)
  return copy
}

function literal(value: unknown): SyntaxNode {
  if (value === null || value === undefined) return { type: 'null' }
  if (Array.isArray(value)) {
    return value.length === 0 ? { type: 'string', value: '{}' } : { type: 'array', expressions: value.map(literal) }
  }
  return { type: 'string', value: parameterText(value) }
}
