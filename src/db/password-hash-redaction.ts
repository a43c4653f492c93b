const HIDDEN = '[password hash]'

// Modular-crypt hashes this package writes or reads, and their usual kin:
// scrypt ($scrypt$), bcrypt ($2a$/$2b$/$2x$/$2y$), argon2, PBKDF2 and the
// SHA/MD5 crypt family. A host's own format is caught by its column instead.
// The variable part of a hash may hold commas (`ln=17,r=8,p=1`) but never
// spaces, quotes or parentheses, and does not end in a comma: that is how
// it stands in a row (`Failing row contains (u1, $scrypt$…, t)`).
const TAIL = `[^\\s'"()]*[^\\s'"(),]`
const HASH_SHAPES = [
  new RegExp(`\\$scrypt\\$${TAIL}`, 'g'),
  /\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}/g,
  new RegExp(`\\$argon2(?:id|i|d)\\$${TAIL}`, 'g'),
  new RegExp(`\\$pbkdf2[^$\\s]*\\$${TAIL}`, 'g'),
  /\$[156]\$(?:rounds=\d+\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{22,86}/g,
]

const WHOLE_HASH = HASH_SHAPES.map((shape) => new RegExp(`^(?:${shape.source})$`))

const HASH_COLUMN = /password_hash/i
// `"password_hash" = $3`, as in SET or WHERE
const ASSIGNED = /"?password_hash"?\s*(?:=|<>|!=)\s*\$(\d+)/gi
const INSERT = /\binsert\s+into\s+[^(]*\(([^()]*)\)\s*values\s*([\s\S]*)/i
const WRITES = /\b(?:insert|update|merge)\b/i

/** Which parameters (0-based) a statement binds to a password hash column, or 'all' when it cannot tell. */
type HashPositions = ReadonlySet<number> | 'all'

const NONE: ReadonlySet<number> = new Set()
const POSITIONS = new Map<string, HashPositions>()
const MAX_REMEMBERED = 1_000

/** True when a value looks like a password hash of a known format. */
export function looksLikePasswordHash(value: unknown): boolean {
  return typeof value === 'string' && value.startsWith('$') && WHOLE_HASH.some((shape) => shape.test(value))
}

/**
 * The parameters of one statement with every password hash replaced: a
 * value bound to a `password_hash` column (whatever its format), or any
 * value shaped like a known hash. Also returns the hidden values, so they
 * can be taken out of an error's text too.
 */
export function hidePasswordHashes(
  sql: string,
  parameters: readonly unknown[],
): { readonly parameters: unknown[]; readonly hidden: readonly string[] } {
  const positions = hashPositions(sql)
  const hidden: string[] = []
  const shown = parameters.map((value, index) => {
    const bound = positions === 'all' ? typeof value === 'string' : positions.has(index)
    if (!bound && !looksLikePasswordHash(value)) return value
    if (typeof value === 'string' && value.length > 0) hidden.push(value)
    return HIDDEN
  })
  return { parameters: shown, hidden }
}

/** A parameter list with the given values, and any value shaped like a password hash, replaced. */
export function hideHashValues(values: readonly unknown[], hidden: readonly string[]): unknown[] {
  return values.map((value) =>
    typeof value === 'string' && (hidden.includes(value) || looksLikePasswordHash(value)) ? HIDDEN : value,
  )
}

/** Removes the given values and anything shaped like a password hash from a text. */
export function scrubPasswordHashes(text: string, hidden: readonly string[]): string {
  let result = text
  for (const value of hidden) result = result.split(value).join(HIDDEN)
  for (const shape of HASH_SHAPES) result = result.replace(shape, HIDDEN)
  return result
}

function hashPositions(sql: string): HashPositions {
  if (!HASH_COLUMN.test(sql)) return NONE
  let positions = POSITIONS.get(sql)
  if (positions === undefined) {
    positions = findHashPositions(sql)
    if (POSITIONS.size >= MAX_REMEMBERED) POSITIONS.clear()
    POSITIONS.set(sql, positions)
  }
  return positions
}

// Reads the SQL text, so it works for statements from any source: the
// stores' compiled templates, a host's query builder or raw SQL.
function findHashPositions(sql: string): HashPositions {
  const found = new Set<number>()
  for (const match of sql.matchAll(ASSIGNED)) found.add(Number(match[1]) - 1)
  const insert = INSERT.exec(sql)
  if (insert) {
    const column = splitTopLevel(insert[1]!).findIndex((name) => HASH_COLUMN.test(name))
    if (column >= 0) {
      const rows = valueRows(insert[2]!)
      if (rows === null) return 'all'
      for (const row of rows) {
        const item = row[column]
        if (item === undefined) return 'all'
        for (const match of item.matchAll(/\$(\d+)/g)) found.add(Number(match[1]) - 1)
      }
    }
  }
  // A write that mentions the column in a shape not read above: hide every text value.
  return found.size === 0 && WRITES.test(sql) ? 'all' : found
}

/** The tuples after VALUES, each split into its items; null when they cannot be read. */
function valueRows(text: string): string[][] | null {
  const rows: string[][] = []
  let depth = 0
  let start = -1
  for (let index = 0; index < text.length; index++) {
    const char = text[index]
    if (char === "'" || char === '"') {
      const end = text.indexOf(char, index + 1)
      if (end < 0) return null
      index = end
    } else if (char === '(') {
      if (depth === 0) start = index + 1
      depth++
    } else if (char === ')') {
      depth--
      if (depth < 0) return null
      if (depth === 0) rows.push(splitTopLevel(text.slice(start, index)))
    } else if (depth === 0 && /[^\s,]/.test(char!)) {
      break // past the last tuple (RETURNING, ON CONFLICT, …)
    }
  }
  return depth === 0 && rows.length > 0 ? rows : null
}

function splitTopLevel(text: string): string[] {
  const items: string[] = []
  let depth = 0
  let current = ''
  for (const char of text) {
    if (char === '(') depth++
    if (char === ')') depth--
    if (char === ',' && depth === 0) {
      items.push(current.trim())
      current = ''
    } else {
      current += char
    }
  }
  items.push(current.trim())
  return items
}
