/**
 * A parameter as the text node-postgres sends for it: a Date in UTC, a
 * Buffer as its UTF-8 text, an object as JSON, anything else as `String()`.
 * Arrays are not covered (node-postgres writes them as array literals).
 *
 * @example
 * ```ts
 * parameterText(true) // 'true'
 * ```
 */
export function parameterText(value: unknown): string {
  if (typeof value === 'string') return value
  if (Buffer.isBuffer(value)) return value.toString('utf8')
  if (value instanceof Date) return dateToUtcText(value)
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
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
