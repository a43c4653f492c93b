import type pg from 'pg'

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
  readonly slots: ReadonlyArray<readonly [index: number, slot: keyof Slots]>
}

type QueryFunction = (...args: unknown[]) => unknown

/**
 * Watches every statement a `pg.Pool`'s clients send. Given to the store
 * through a Kysely dialect, it shows exactly what the store puts on the
 * wire — `begin`/`commit` included — so the raw baseline can send the same.
 */
export class SqlRecorder {
  #current: RecordedStatement[] | null = null

  /** Patches every client the pool opens from now on. */
  attach(pool: pg.Pool): void {
    pool.on('connect', (client) => {
      const original = client.query.bind(client) as QueryFunction
      const recording: QueryFunction = (...args) => {
        this.#current?.push(describe(args))
        return original(...args)
      }
      ;(client as unknown as { query: QueryFunction }).query = recording
    })
  }

  /** Runs `call` and returns the statements it sent. */
  async record(call: () => Promise<unknown>): Promise<RecordedStatement[]> {
    const statements: RecordedStatement[] = []
    this.#current = statements
    try {
      await call()
    } finally {
      this.#current = null
    }
    return statements
  }
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
    statements: statements.map(({ text, values }) => ({
      text,
      values,
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

/**
 * Sends a template's statements with plain `pg` — unnamed statements, the
 * driver's own type parsing, no mapping — and returns the last result. A
 * single statement goes through `pool.query`; several share one client, as
 * they did in the store.
 */
export async function runTemplate(pool: pg.Pool, template: QueryTemplate, slots: Slots): Promise<pg.QueryResult> {
  const { statements } = template
  if (statements.length === 1) {
    const only = statements[0]!
    return pool.query(only.text, valuesFor(only, slots))
  }
  const client = await pool.connect()
  try {
    let result: pg.QueryResult | undefined
    for (const statement of statements) result = await client.query(statement.text, valuesFor(statement, slots))
    return result!
  } finally {
    client.release()
  }
}

/** The template's statements, one per line, for the report. */
export function templateText(template: QueryTemplate): string[] {
  return template.statements.map(({ text }) => text.replace(/\s+/g, ' ').trim())
}
