import type { IMemoryDb } from 'pg-mem'

// pg-mem (3.0.x) keeps every row, index entry and sequence value in one
// immutable map (`db.data`), keyed by symbols of the schema objects, and the
// schema objects themselves in each schema's `relsByNameCas`. Its public API
// offers no way to keep sequences across a restore or to forget the indexes
// of a dropped table, so these few internals are read here, and only here.

interface InternalData {
  get(key: symbol): unknown
  set(key: symbol, value: unknown): unknown
}

interface InternalRelation extends Partial<InternalSequence> {
  readonly type: string
  readonly name: string
  readonly onTable?: unknown
}

interface InternalSchema {
  readonly name: string
  readonly relsByNameCas: Map<string, InternalRelation>
  readonly _tables: Set<unknown>
  _reg_unregister(relation: InternalRelation): void
}

interface InternalSequence {
  readonly symbol: symbol
  nextValue(data: InternalData): number
  setValue(data: InternalData, value: number): void
}

interface InternalDb {
  readonly public: { parse(sql: string): unknown[] }
  readonly data: InternalData
  readonly schemas: Map<string, InternalSchema>
  listSchemas(): InternalSchema[]
  onSchemaChange(): void
}

function internals(mem: IMemoryDb): InternalDb {
  // pg-mem's types cover its public API only; InternalDb is read from its 3.0.x source.
  return mem as unknown as InternalDb
}

/** Every sequence's state, by `schema.name`: what a rollback must not undo. */
export function captureSequences(mem: IMemoryDb): Map<string, unknown> {
  const db = internals(mem)
  const states = new Map<string, unknown>()
  for (const schema of db.listSchemas()) {
    for (const relation of schema.relsByNameCas.values()) {
      if (relation.type === 'sequence' && relation.symbol) {
        states.set(`${schema.name}.${relation.name}`, db.data.get(relation.symbol))
      }
    }
  }
  return states
}

/** Puts back the states {@link captureSequences} read, for the sequences that still exist. */
export function restoreSequences(mem: IMemoryDb, states: ReadonlyMap<string, unknown>): void {
  const db = internals(mem)
  for (const schema of db.listSchemas()) {
    for (const relation of schema.relsByNameCas.values()) {
      const key = `${schema.name}.${relation.name}`
      if (relation.type === 'sequence' && relation.symbol && states.has(key)) {
        db.data.set(relation.symbol, states.get(key))
      }
    }
  }
}

/**
 * Forgets the indexes of tables that were dropped: pg-mem leaves them
 * registered, so creating the table again fails on their names
 * (`relation "users_pkey" already exists`), where Postgres drops them with the table.
 */
export function forgetOrphanIndexes(mem: IMemoryDb): void {
  for (const schema of internals(mem).listSchemas()) {
    for (const relation of [...schema.relsByNameCas.values()]) {
      if (relation.type === 'index' && !schema._tables.has(relation.onTable)) schema._reg_unregister(relation)
    }
  }
}

/** The names of the schemas a host made (and `public`), without pg-mem's catalogs. */
export function listUserSchemaNames(mem: IMemoryDb): string[] {
  return internals(mem)
    .listSchemas()
    .map((schema) => schema.name)
    .filter((name) => name !== 'pg_catalog' && name !== 'information_schema')
}

/**
 * Drops a schema and everything in it, which pg-mem cannot parse.
 *
 * @returns false when there is no such schema.
 */
export function dropSchema(mem: IMemoryDb, name: string): boolean {
  const db = internals(mem)
  if (!db.schemas.delete(name)) return false
  db.onSchemaChange()
  return true
}

// The values sequences handed out during the statement now running, by sequence.
let issued: Map<InternalSequence, number> | null = null
const patched = new WeakSet<object>()

/**
 * Makes pg-mem's sequences report the values they hand out, so that
 * {@link keepIssuedValues} can keep them when a statement fails. pg-mem
 * discards a failed statement's changes whole; Postgres keeps what its
 * sequences handed out (a failed insert still uses up its id).
 */
export function recordIssuedValues(mem: IMemoryDb): void {
  mem.public.none('create sequence taskstore_probe')
  const sequence = internals(mem)
    .listSchemas()
    .find((schema) => schema.name === 'public')
    ?.relsByNameCas.get('taskstore_probe')
  mem.public.none('drop sequence taskstore_probe')
  const prototype: InternalSequence | undefined = sequence && Object.getPrototypeOf(sequence)
  if (!prototype || patched.has(prototype)) return
  patched.add(prototype)
  const nextValue = prototype.nextValue
  prototype.nextValue = function (this: InternalSequence, data: InternalData) {
    const value = nextValue.call(this, data)
    issued?.set(this, value)
    return value
  }
}

/** Runs one statement; when it fails, the values its sequences handed out stay used, as on Postgres. */
export function keepIssuedValues<T>(mem: IMemoryDb, run: () => T): T {
  const mine = new Map<InternalSequence, number>()
  issued = mine
  try {
    return run()
  } catch (error) {
    const data = internals(mem).data
    for (const [sequence, value] of mine) {
      const state = data.get(sequence.symbol) as { nextval?: number } | undefined
      if (state?.nextval === undefined || state.nextval <= value) sequence.setValue(data, value)
    }
    throw error
  } finally {
    issued = null
  }
}

/** The statements of `sql` as pg-mem's parser reads them (it keeps the trees it parsed). */
export function parseStatements(mem: IMemoryDb, sql: string): unknown[] {
  return internals(mem).public.parse(sql)
}

interface TimestampComparisons {
  doEquals(a: unknown, b: unknown): boolean
  doGt(a: unknown, b: unknown): boolean
  doLt(a: unknown, b: unknown): boolean
}

/**
 * Makes pg-mem compare timestamps as numbers. It wraps both sides in
 * `moment` for every comparison, a third of a call's time on a table with a
 * timestamp index; two Dates compare the same by their milliseconds. Anything
 * else still goes to pg-mem's own comparison.
 */
export function compareTimestampsFast(
  mem: IMemoryDb,
  timestamptz: Parameters<IMemoryDb['public']['getType']>[0],
): void {
  const prototype = Object.getPrototypeOf(mem.public.getType(timestamptz)) as TimestampComparisons
  if (patched.has(prototype)) return
  patched.add(prototype)
  const { doEquals, doGt, doLt } = prototype
  prototype.doEquals = function (a, b) {
    return a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : doEquals.call(this, a, b)
  }
  prototype.doGt = function (a, b) {
    return a instanceof Date && b instanceof Date ? a.getTime() > b.getTime() : doGt.call(this, a, b)
  }
  prototype.doLt = function (a, b) {
    return a instanceof Date && b instanceof Date ? a.getTime() < b.getTime() : doLt.call(this, a, b)
  }
}

interface InternalEvaluator {
  readonly id?: string
  readonly hash: string
  readonly type: { readonly primary: string }
}

interface InternalIndex {
  readonly expressions: readonly InternalEvaluator[]
  readonly predicate?: unknown
  stats(data: InternalData, key: unknown[]): { readonly count: number } | null
}

interface InternalTable {
  readonly type: string
  readonly selection: { getColumn(name: string, nullIfNotFound: true): InternalEvaluator | null }
  readonly indexByHashAndName: Map<string, Map<string, { readonly index: InternalIndex }>>
}

/** An index over plain columns, which can say how many rows it holds under one key. */
export interface ColumnIndex {
  /** The indexed columns, in the index's order. */
  readonly columns: readonly string[]
  /** How many rows have exactly `key` (one value per column, in order) in the database as it is now. */
  count(key: unknown[]): number
}

/** The parts of a table a statement can be answered from. */
export interface TableIndexes {
  /** The pg-mem type of a column (`text` for `varchar(n)` too, `bool`, …), or null when there is no such column. */
  columnType(name: string): string | null
  /** Every index without a predicate whose every expression is a plain column. */
  readonly indexes: readonly ColumnIndex[]
}

/**
 * The table `schema.name` (or `name` found on the search path, as an
 * unqualified name in a statement is), with its column indexes; null when
 * there is no such table. Each index reads the data afresh on every count,
 * so it stays right through writes and rollbacks, but the list is the
 * schema as it is now: ask again after any DDL (pg-mem does not even
 * announce a dropped index).
 */
export function tableIndexes(mem: IMemoryDb, schema: string | undefined, name: string): TableIndexes | null {
  const db = internals(mem) as InternalDb & {
    readonly public: { getObject(name: { name: string; schema?: string }, options: object): unknown }
  }
  const table = db.public.getObject({ name, schema }, { nullIfNotFound: true }) as InternalTable | null
  if (table?.type !== 'table') return null
  const column = (columnName: string) => table.selection.getColumn(columnName, true)
  const indexes: ColumnIndex[] = []
  for (const byName of table.indexByHashAndName.values()) {
    for (const { index } of byName.values()) {
      if (index.predicate) continue
      const columns = index.expressions.map((expression) =>
        expression.id !== undefined && column(expression.id)?.hash === expression.hash ? expression.id : null,
      )
      if (columns.some((columnName) => columnName === null)) continue
      indexes.push({
        columns: columns as string[],
        // The database's data is replaced on a restore: read it at each count.
        count: (key) => index.stats(db.data, key)?.count ?? 0,
      })
    }
  }
  return { columnType: (columnName) => column(columnName)?.type.primary ?? null, indexes }
}
