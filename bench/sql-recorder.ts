import { createHash } from 'node:crypto'
import pg from 'pg'

/** One statement as the driver sent it. */
export interface RecordedStatement {
  readonly text: string
  readonly values: readonly unknown[]
  /** True when it was sent as a named (server-side prepared) statement. */
  readonly named: boolean
}

/** Values a template fills in per call. */
export interface Slots {
  readonly userId: string
  readonly taskId?: number
}

/** The statements one store call sends, with the places its user and task ids go. */
export interface QueryTemplate {
  readonly statements: readonly TemplateStatement[]
}

interface TemplateStatement {
  readonly text: string
  readonly values: readonly unknown[]
  /** The name it goes under when the baseline prepares what the store prepared; undefined when the store did not. */
  readonly name: string | undefined
  readonly slots: ReadonlyArray<readonly [index: number, slot: keyof Slots]>
}

type QueryFunction = (...args: unknown[]) => unknown

// The statements of the recording in progress, if any.
let recording: RecordedStatement[] | null = null

/** `pg`'s own query method, wrapped to note what it sends while a recording is in progress. */
const prototype = pg.Client.prototype as unknown as { query: QueryFunction }
const unrecorded = prototype.query
const recorded: QueryFunction = function (this: unknown, ...args: unknown[]) {
  recording?.push(describe(args))
  return unrecorded.apply(this, args)
}

/**
 * Runs `call` and returns every statement `pg` clients sent meanwhile, as
 * the driver got them: `begin`/`commit` included, and named when the store
 * prepared them, so the raw baseline can send the same. Nothing else may
 * run queries while it records. A client first used during a recording
 * keeps the recording method (the store's pools bind it then); it records
 * only while a recording is in progress.
 */
export async function recordStatements(call: () => Promise<unknown>): Promise<RecordedStatement[]> {
  const statements: RecordedStatement[] = []
  recording = statements
  prototype.query = recorded
  try {
    await call()
  } finally {
    prototype.query = unrecorded
    recording = null
  }
  return statements
}

function describe(args: unknown[]): RecordedStatement {
  const [first, second] = args
  if (typeof first === 'string') return { text: first, values: Array.isArray(second) ? second : [], named: false }
  const config = first as { text: string; values?: unknown[]; name?: string }
  return { text: config.text, values: config.values ?? (Array.isArray(second) ? second : []), named: !!config.name }
}

/**
 * Turns recorded statements into a template: every parameter equal to the
 * sentinel user id or task id becomes a slot filled per call.
 */
export function toTemplate(statements: readonly RecordedStatement[], sentinel: Slots): QueryTemplate {
  return {
    statements: statements.map(({ text, values, named }) => ({
      text,
      values,
      name: named ? `raw_${createHash('sha256').update(text).digest('hex').slice(0, 40)}` : undefined,
      slots: values.flatMap((value, index): Array<readonly [number, keyof Slots]> => {
        if (value === sentinel.userId) return [[index, 'userId']]
        if (sentinel.taskId !== undefined && (value === sentinel.taskId || value === String(sentinel.taskId))) {
          return [[index, 'taskId']]
        }
        return []
      }),
    })),
  }
}

function valuesFor(statement: TemplateStatement, slots: Slots): unknown[] {
  if (statement.slots.length === 0) return statement.values as unknown[]
  const values = [...statement.values]
  for (const [index, slot] of statement.slots) values[index] = slots[slot]
  return values
}

/** How a raw client sends a template: as plain `pg` code would (unnamed), or preparing what the store prepared. */
export interface RawSending {
  readonly prepare?: boolean
}

function queryOf(statement: TemplateStatement, slots: Slots, { prepare = false }: RawSending): pg.QueryConfig {
  const values = valuesFor(statement, slots)
  return prepare && statement.name !== undefined
    ? { name: statement.name, text: statement.text, values }
    : { text: statement.text, values }
}

/**
 * Sends a template's statements with plain `pg` — the driver's own type
 * parsing, no mapping; unnamed unless `sending.prepare` — and returns the
 * last result. A single statement goes through `pool.query`; several share
 * one client, as they did in the store.
 */
export async function runTemplate(
  pool: pg.Pool,
  template: QueryTemplate,
  slots: Slots,
  sending: RawSending = {},
): Promise<pg.QueryResult> {
  const { statements } = template
  if (statements.length === 1) return pool.query(queryOf(statements[0]!, slots, sending))
  const client = await pool.connect()
  try {
    let result: pg.QueryResult | undefined
    for (const statement of statements) result = await client.query(queryOf(statement, slots, sending))
    return result!
  } finally {
    client.release()
  }
}

/** The template's statements, one per line, for the report. */
export function templateText(template: QueryTemplate): string[] {
  return template.statements.map(({ text }) => text.replace(/\s+/g, ' ').trim())
}
