const two = (value: number) => (value < 10 ? `0${value}` : String(value))
const three = (value: number) => (value < 10 ? `00${value}` : value < 100 ? `0${value}` : String(value))

/**
 * Writes an instant as the text of a `timestamptz` parameter that Postgres
 * reads as exactly that instant under any `DateStyle` and `TimeZone`, in
 * any process time zone: ISO 8601 in UTC to the millisecond, years past
 * 9999 in full, years before 1 as `BC`, and `±Infinity` as `infinity`.
 *
 * A `Date` bound as it is goes through node-postgres's own formatting in
 * the process's local time with a whole-minute offset, which is off by the
 * seconds of a local-mean-time offset (Africa/Monrovia until 1972 was
 * -00:44:30), and PGlite's `toISOString` text (`+010000-…`) is not one
 * Postgres reads.
 *
 * @example
 * ```ts
 * timestamptzText(new Date('1960-06-01T12:00:00.654Z')) // '1960-06-01 12:00:00.654+00'
 * timestamptzText(new Date(Date.UTC(-43, 2, 15))) // '0044-03-15 00:00:00.000+00 BC'
 * ```
 */
export function timestamptzText(value: Date | number): string {
  if (value === Number.POSITIVE_INFINITY) return 'infinity'
  if (value === Number.NEGATIVE_INFINITY) return '-infinity'
  const date = value instanceof Date ? value : new Date(value)
  if (Number.isNaN(date.getTime())) throw new RangeError('timestamptzText: not a valid instant')
  const year = date.getUTCFullYear()
  // year 0 is 1 BC, year -1 is 2 BC
  const era = year < 1 ? ' BC' : ''
  const yearText = String(year < 1 ? 1 - year : year).padStart(4, '0')
  return (
    `${yearText}-${two(date.getUTCMonth() + 1)}-${two(date.getUTCDate())} ` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}.${three(date.getUTCMilliseconds())}+00${era}`
  )
}
