// Quoted strings, quoted identifiers and comments are copied as they are: a `$1` there is not a placeholder.
const PLACEHOLDER = /'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\/\*[\s\S]*?\*\/|\$(\d+)/g

/**
 * Writes each `$n` placeholder of `sql` as a Postgres literal of its value,
 * for pg-mem, which takes statements as text only. Its own `pg` adapter
 * does the same but writes any string with a backslash as an `E'…'` string
 * that its parser then decodes wrongly (`a\ b` fails, `a\\ b` changes);
 * a standard string literal keeps every character as it is.
 *
 * @example
 * ```ts
 * bindParameters('select $1, $2', ['a\\ b', 42]) // "select 'a\\ b', '42'"
 * ```
 */
export function bindParameters(sql: string, values: readonly unknown[]): string {
  return sql.replace(PLACEHOLDER, (match, index: string | undefined) => {
    if (index === undefined) return match
    const position = Number(index)
    if (position < 1 || position > values.length) throw new Error(`No value for the parameter ${match}`)
    return toLiteral(values[position - 1])
  })
}

/** A value as a literal, converted as pg-mem's adapter does (objects as JSON), except that strings are never `E'…'`. */
function toLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'string') return quote(value)
  if (Buffer.isBuffer(value)) return quote(value.toString('utf8'))
  if (value instanceof Date) return quote(dateToUtcText(value))
  if (Array.isArray(value)) {
    return value.length === 0 ? `'{}'` : `ARRAY[${value.map((item) => toLiteral(item)).join(', ')}]`
  }
  if (typeof value === 'object') return quote(JSON.stringify(value))
  return quote(String(value))
}

function quote(text: string): string {
  return `'${text.replaceAll("'", "''")}'`
}

// The text node-postgres sends for a Date (in UTC), including years before 1 (as BC).
function dateToUtcText(date: Date): string {
  const pad = (number: number, digits: number) => String(number).padStart(digits, '0')
  const year = date.getUTCFullYear()
  const era = year < 1 ? ' BC' : ''
  return (
    `${pad(year < 1 ? 1 - year : year, 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}` +
    `T${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}` +
    `.${pad(date.getUTCMilliseconds(), 3)}+00:00${era}`
  )
}
