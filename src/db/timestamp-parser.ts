import { unreadableTimestampError } from './iso-date-style.js'

/** A driver's type registry, as node-postgres and Neon both expose it. */
export interface TypeParsers {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown
}

const TIMESTAMPTZ_OID = 1184
const ZERO = 48
const PLUS = 43
const DASH = 45
const DOT = 46
const COLON = 58
const SPACE = 32
const MS_PER_DAY = 86_400_000

/**
 * The driver's type parsers, except that `timestamptz` text in Postgres's
 * ISO output style is read by {@link parseTimestamptz}, several times
 * faster than the driver's parser: a page of tasks carries 100–150
 * timestamps, and reading them was a sixth of the client's CPU per page.
 * So task and user timestamps are `Date`s even when a host has registered
 * a parser of its own for `timestamptz` with the driver; only text in any
 * other form (BC, infinity, a five-digit year, a year before 100) goes to
 * the parser the driver has registered, looked up per value (or, where it
 * gives an invalid `Date`, by {@link readTimestamptz}). Text that
 * parser cannot read either (it gives `null`: another `DateStyle`, set on
 * the session after it connected) fails the query with a `ConfigError`
 * rather than turning a timestamp into `null`. Every other type is left to
 * the driver's registry, a host's registrations included.
 *
 * @example
 * ```ts
 * new pg.Pool({ connectionString, types: withFastTimestamps(pg.types) })
 * ```
 */
export function withFastTimestamps(types: TypeParsers): TypeParsers {
  const readByDriver = (text: string) => {
    const value = types.getTypeParser(TIMESTAMPTZ_OID, 'text')(text)
    if (value === null) throw unreadableTimestampError()
    // node-postgres makes the local time a Date before applying the offset, so the last hours of a Date's
    // range, printed in a zone east of UTC (`275760-09-13 05:45:00+05:45`), come out invalid
    if (value instanceof Date && Number.isNaN(value.getTime())) return readTimestamptz(text)
    return value
  }
  const parse = (text: string) => parseTimestamptz(text) ?? readByDriver(text)
  return {
    getTypeParser: (oid, format = 'text') =>
      oid === TIMESTAMPTZ_OID && format === 'text' ? parse : types.getTypeParser(oid, format),
  }
}

/**
 * Reads `YYYY-MM-DD HH:MM:SS[.f…]±HH[:MM[:SS]]`, the form Postgres prints
 * a `timestamptz` in under `DateStyle = ISO` (its default), as a `Date`
 * truncated to the millisecond. Returns `undefined` for any other text,
 * and for years before 100 and BC dates, which the driver's parser reads.
 *
 * @example
 * ```ts
 * parseTimestamptz('2026-11-23 07:30:00.125+05:30') // 2026-11-23T02:00:00.125Z
 * ```
 */
export function parseTimestamptz(text: string): Date | undefined {
  const length = text.length
  if (
    length < 22 ||
    text.charCodeAt(4) !== DASH ||
    text.charCodeAt(7) !== DASH ||
    text.charCodeAt(10) !== SPACE ||
    text.charCodeAt(13) !== COLON ||
    text.charCodeAt(16) !== COLON
  ) {
    return undefined
  }
  const century = twoDigitsAt(text, 0)
  const yearOfCentury = twoDigitsAt(text, 2)
  const month = twoDigitsAt(text, 5)
  const day = twoDigitsAt(text, 8)
  const hour = twoDigitsAt(text, 11)
  const minute = twoDigitsAt(text, 14)
  const second = twoDigitsAt(text, 17)
  if (century < 1 || yearOfCentury < 0 || month < 1 || month > 12 || day < 1 || day > 31) return undefined
  if (hour < 0 || minute < 0 || second < 0) return undefined

  let at = 19
  let millisecond = 0
  if (text.charCodeAt(at) === DOT) {
    const fractionStart = ++at
    // digits past the third are read (up to six) but truncated away
    for (let scale = 100; at < length && isDigit(text.charCodeAt(at)); at++, scale = (scale / 10) | 0) {
      millisecond += (text.charCodeAt(at) - ZERO) * scale
    }
    if (at === fractionStart || at - fractionStart > 6) return undefined
  }

  const sign = text.charCodeAt(at)
  if (sign !== PLUS && sign !== DASH) return undefined
  let offsetSeconds = 0
  for (let unit = 3600; unit >= 1; unit /= 60) {
    // hours follow the sign; minutes and seconds, when present, a colon
    if (unit !== 3600 && (at === length || text.charCodeAt(at) !== COLON)) break
    const part = twoDigitsAt(text, at + 1)
    if (part < 0) return undefined
    offsetSeconds += part * unit
    at += 3
  }
  if (at !== length) return undefined

  const days = daysFromCivil(century * 100 + yearOfCentury, month, day)
  const local = days * MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000 + millisecond
  return new Date(local - (sign === PLUS ? offsetSeconds : -offsetSeconds) * 1000)
}

const ISO_TIMESTAMPTZ =
  /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?( BC)?$/

/**
 * Reads any `timestamptz` text Postgres prints under `DateStyle = ISO`:
 * what {@link parseTimestamptz} reads, and also years before 100, years
 * past 9999, BC dates, `infinity` and `-infinity` (as `±Infinity`, the
 * driver's reading). An instant past what a `Date` holds (after +275760)
 * is an invalid `Date`. For drivers without node-postgres's parser (PGlite
 * reads `0050-…` as 1950 and BC as an invalid date).
 *
 * @throws {ConfigError} for text in another `DateStyle`, which cannot be read back exactly.
 * @example
 * ```ts
 * readTimestamptz('0044-03-15 11:16:52-00:43:08 BC') // -000043-03-15T12:00:00.000Z
 * ```
 */
export function readTimestamptz(text: string): Date | number {
  const fast = parseTimestamptz(text)
  if (fast) return fast
  if (text === 'infinity') return Number.POSITIVE_INFINITY
  if (text === '-infinity') return Number.NEGATIVE_INFINITY
  const match = ISO_TIMESTAMPTZ.exec(text)
  if (!match) throw unreadableTimestampError()
  const [, year, month, day, hour, minute, second, fraction = '', sign, offsetHours, offsetMinutes, offsetSeconds, bc] =
    match
  // 1 BC is year 0 of the proleptic Gregorian calendar
  const fullYear = bc ? 1 - Number(year) : Number(year)
  const millisecond = Number(fraction.padEnd(3, '0').slice(0, 3))
  const offset = (Number(offsetHours) * 60 + Number(offsetMinutes ?? 0)) * 60 + Number(offsetSeconds ?? 0)
  const local =
    daysFromCivil(fullYear, Number(month), Number(day)) * MS_PER_DAY +
    ((Number(hour) * 60 + Number(minute)) * 60 + Number(second)) * 1000 +
    millisecond
  return new Date(local - (sign === '+' ? offset : -offset) * 1000)
}

function isDigit(code: number): boolean {
  return code >= ZERO && code <= ZERO + 9
}

/** The two-digit number at `at`, or -1 if either character is not a digit (or is past the end). */
function twoDigitsAt(text: string, at: number): number {
  const high = text.charCodeAt(at)
  const low = text.charCodeAt(at + 1)
  return isDigit(high) && isDigit(low) ? (high - ZERO) * 10 + low - ZERO : -1
}

/**
 * Days from 1970-01-01 to a date of the proleptic Gregorian calendar, by
 * Howard Hinnant's `days_from_civil`: plain arithmetic, where `Date.UTC`
 * is a call into the runtime on every timestamp.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const marchYear = month <= 2 ? year - 1 : year
  const era = Math.floor(marchYear / 400)
  const yearOfEra = marchYear - era * 400
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear
  return era * 146_097 + dayOfEra - 719_468
}
