import type { IBackup, IMemoryDb, IPreparedQuery } from 'pg-mem'
import { IndexCounts } from './index-counts.js'
import { parameterText } from './parameter-text.js'
import {
  captureSequences,
  dropSchema,
  forgetOrphanIndexes,
  keepIssuedValues,
  restoreSequences,
} from './pg-mem-internals.js'
import { StatementTemplates } from './statement-templates.js'

type ParsedQuery = Exclude<Parameters<IMemoryDb['public']['query']>[0], string>

/** What one statement returned, in the shape Kysely's Postgres driver reads. */
export interface MemoryResult {
  readonly command: string
  readonly rowCount: number
  readonly rows: Record<string, unknown>[]
}

/** Makes a fresh pg-mem database whose `now()` reads `clock` (and falls back to the wall clock). */
export type MemoryDbFactory = (clock: () => Date | null) => IMemoryDb

/** A statement that changed the database, with the time its `now()` saw. */
interface JournalEntry {
  readonly sql: string
  readonly parameters: readonly unknown[]
  readonly at: Date
}

/** Where a rollback returns to: the start of the transaction or a savepoint. */
interface RestorePoint {
  readonly name: string
  mem: IMemoryDb
  backup: IBackup
  readonly journalLength: number
}

interface OpenTransaction {
  /** `now()` for the whole transaction, as on Postgres. */
  readonly at: Date
  readonly points: RestorePoint[]
  aborted: boolean
}

/**
 * pg-mem behind one connection, with transactions that behave as on
 * Postgres. pg-mem applies every statement at once and has no ROLLBACK of
 * its own across statements; here BEGIN and each SAVEPOINT take a snapshot
 * (`backup()`, constant time), and ROLLBACK restores it. A snapshot cannot
 * span a schema change, so every statement that changed something is also
 * kept in a journal with its `now()`; a rollback across DDL rebuilds the
 * database by replaying the journal up to the restore point. Sequences
 * are not rolled back, as on Postgres.
 *
 * pg-mem parses and plans every statement it is given, which is most of its
 * time per call; a statement with parameters is prepared once per SQL text
 * and only bound after that, until the schema changes. A statement that only
 * counts rows by equalities an index covers is answered from the index
 * ({@link IndexCounts}).
 *
 * @example
 * ```ts
 * import { newDb } from 'pg-mem'
 * const engine = new MemoryEngine(() => newDb())
 * engine.execute('begin')
 * engine.execute('create table t (x int)')
 * engine.execute('rollback')
 * ```
 */
export class MemoryEngine {
  readonly #create: MemoryDbFactory
  #mem: IMemoryDb
  #clock: Date | null = null
  readonly #journal: JournalEntry[] = []
  #transaction: OpenTransaction | null = null

  // Prepared statements by SQL text, for the current database and schema; null when pg-mem cannot prepare one.
  readonly #prepared = new Map<string, IPreparedQuery | null>()
  readonly #templates = new StatementTemplates()
  readonly #counts = new IndexCounts()

  constructor(create: MemoryDbFactory) {
    this.#create = create
    this.#mem = this.#open()
  }

  /** The pg-mem database as it is now (a rollback across DDL replaces it). */
  get mem(): IMemoryDb {
    return this.#mem
  }

  /**
   * Runs one statement, with `$n` placeholders for `parameters`.
   *
   * @throws the database's error; inside a transaction, every later statement then fails until ROLLBACK, as on Postgres.
   */
  execute(sql: string, parameters: readonly unknown[] = []): MemoryResult {
    const control = transactionControl(sql)
    if (control) return this.#control(control)
    const transaction = this.#transaction
    if (transaction?.aborted) throw abortedTransactionError()
    const at = transaction?.at ?? new Date()
    let result: MemoryResult
    try {
      result = this.#run(this.#mem, sql, parameters, at)
    } catch (error) {
      if (transaction) transaction.aborted = true
      throw error
    }
    if (changesData(sql)) this.#journal.push({ sql, parameters, at })
    return result
  }

  #open(): IMemoryDb {
    const mem = this.#create(() => this.#clock)
    this.#prepared.clear()
    // A plan refers to the tables as they were: after DDL, prepare again.
    mem.on('schema-change', () => this.#prepared.clear())
    return mem
  }

  #run(mem: IMemoryDb, sql: string, parameters: readonly unknown[], at: Date): MemoryResult {
    this.#clock = at
    try {
      const dropped = DROP_SCHEMA.exec(sql)
      if (dropped) return dropSchemaStatement(mem, identifier(dropped[2]!), dropped[1] !== undefined)
      const counted = mem === this.#mem ? this.#counts.answer(mem, sql, parameters) : null
      if (counted) return { command: 'SELECT', rowCount: 1, rows: [counted] }
      const prepared = parameters.length > 0 ? this.#prepare(mem, sql, parameters) : null
      const result = keepIssuedValues(mem, () => {
        if (prepared) return prepared.bind(parameters.map(parameterValue)).executeAll()
        if (parameters.length === 0) return mem.public.query(sql)
        return mem.public.query(this.#templates.bind(mem, sql, parameters) as ParsedQuery)
      })
      if (DROP.test(sql)) forgetOrphanIndexes(mem)
      return { command: result.command, rowCount: result.rowCount, rows: result.rows.map(plainRow) }
    } finally {
      this.#clock = null
    }
  }

  #prepare(mem: IMemoryDb, sql: string, parameters: readonly unknown[]): IPreparedQuery | null {
    // Only the live database's statements are kept; a replay builds another. Arrays
    // go as literals (ARRAY[…]): pg-mem reads no array text. pg-mem evaluates
    // CURRENT_TIMESTAMP and its kin when it plans, so a plan kept would keep the time.
    if (mem !== this.#mem || parameters.some(Array.isArray) || PLANNED_CONSTANT.test(sql)) return null
    let prepared = this.#prepared.get(sql)
    if (prepared === undefined) {
      try {
        prepared = mem.public.prepare(sql)
      } catch {
        // Run as text with the values written in: pg-mem then reports the error, if there is one.
        prepared = null
      }
      this.#prepared.set(sql, prepared)
    }
    return prepared
  }

  #control(control: TransactionControl): MemoryResult {
    const transaction = this.#transaction
    const done = (command: string): MemoryResult => ({ command, rowCount: 0, rows: [] })
    if (control.kind === 'begin') {
      // Postgres only warns about a BEGIN inside a transaction.
      if (!transaction) this.#transaction = { at: new Date(), points: [this.#restorePoint('')], aborted: false }
      return done('BEGIN')
    }
    if (!transaction) {
      if (control.kind === 'commit' || control.kind === 'rollback') return done(control.kind.toUpperCase())
      throw sqlError(`${control.kind.replace('-', ' ').toUpperCase()} can only be used in transaction blocks`, '25P01')
    }
    switch (control.kind) {
      case 'commit':
        this.#transaction = null
        // Postgres ends a failed transaction with a rollback, whatever the client asked for.
        if (!transaction.aborted) return done('COMMIT')
        this.#restore(transaction.points[0]!)
        return done('ROLLBACK')
      case 'rollback':
        this.#transaction = null
        this.#restore(transaction.points[0]!)
        return done('ROLLBACK')
      case 'savepoint':
        if (transaction.aborted) throw abortedTransactionError()
        transaction.points.push(this.#restorePoint(control.name))
        return done('SAVEPOINT')
      case 'rollback-to': {
        const at = this.#findPoint(transaction, control.name)
        this.#restore(transaction.points[at]!)
        transaction.points.length = at + 1
        transaction.aborted = false
        return done('ROLLBACK')
      }
      case 'release': {
        if (transaction.aborted) throw abortedTransactionError()
        transaction.points.length = this.#findPoint(transaction, control.name)
        return done('RELEASE')
      }
    }
  }

  #findPoint(transaction: OpenTransaction, name: string): number {
    const at = transaction.points.findLastIndex((point, index) => index > 0 && point.name === name)
    if (at > 0) return at
    transaction.aborted = true
    throw sqlError(`savepoint "${name}" does not exist`, '3B001')
  }

  #restorePoint(name: string): RestorePoint {
    return { name, mem: this.#mem, backup: this.#mem.backup(), journalLength: this.#journal.length }
  }

  #restore(point: RestorePoint): void {
    const sequences = captureSequences(this.#mem)
    if (!(point.mem === this.#mem && tryRestore(point.backup))) {
      this.#mem = this.#replay(point.journalLength)
      point.mem = this.#mem
      point.backup = this.#mem.backup()
    }
    this.#journal.length = point.journalLength
    restoreSequences(this.#mem, sequences)
  }

  // The schema changed since the restore point: build the database again from what came before it.
  #replay(journalLength: number): IMemoryDb {
    const journal = this.#journal.slice(0, journalLength)
    this.#mem = this.#open()
    for (const { sql, parameters, at } of journal) this.#run(this.#mem, sql, parameters, at)
    return this.#mem
  }
}

function tryRestore(backup: IBackup): boolean {
  try {
    // Throws when the schema changed since the backup was taken.
    backup.restore()
    return true
  } catch {
    return false
  }
}

type TransactionControl =
  | { readonly kind: 'begin' | 'commit' | 'rollback' }
  | { readonly kind: 'savepoint' | 'rollback-to' | 'release'; readonly name: string }

const BEGIN = /^\s*(?:begin|start\s+transaction)\b/i
const COMMIT = /^\s*(?:commit|end)\s*(?:transaction|work)?\s*;?\s*$/i
const ROLLBACK = /^\s*(?:rollback|abort)\s*(?:transaction|work)?\s*;?\s*$/i
const SAVEPOINT = /^\s*savepoint\s+("(?:[^"]|"")+"|\w+)\s*;?\s*$/i
const ROLLBACK_TO = /^\s*rollback\s+(?:transaction\s+|work\s+)?to\s+(?:savepoint\s+)?("(?:[^"]|"")+"|\w+)\s*;?\s*$/i
const RELEASE = /^\s*release\s+(?:savepoint\s+)?("(?:[^"]|"")+"|\w+)\s*;?\s*$/i
const DROP = /^\s*drop\s/i
const PLANNED_CONSTANT = /\b(?:current_(?:timestamp|date|time)|localtime(?:stamp)?)\b/i
const DROP_SCHEMA = /^\s*drop\s+schema\s+(if\s+exists\s+)?("(?:[^"]|"")+"|\w+)(?:\s+(?:cascade|restrict))?\s*;?\s*$/i
// A plain read changes nothing and need not be replayed.
const READ = /^\s*(?:select|with|show|explain)\b/i
const SEQUENCE_CALL = /\b(?:nextval|setval)\s*\(/i

function transactionControl(sql: string): TransactionControl | null {
  if (BEGIN.test(sql)) return { kind: 'begin' }
  if (COMMIT.test(sql)) return { kind: 'commit' }
  if (ROLLBACK.test(sql)) return { kind: 'rollback' }
  let match = ROLLBACK_TO.exec(sql)
  if (match) return { kind: 'rollback-to', name: identifier(match[1]!) }
  match = SAVEPOINT.exec(sql)
  if (match) return { kind: 'savepoint', name: identifier(match[1]!) }
  match = RELEASE.exec(sql)
  if (match) return { kind: 'release', name: identifier(match[1]!) }
  return null
}

function dropSchemaStatement(mem: IMemoryDb, name: string, ifExists: boolean): MemoryResult {
  if (!dropSchema(mem, name) && !ifExists) throw sqlError(`schema "${name}" does not exist`, '3F000')
  return { command: 'DROP', rowCount: 0, rows: [] }
}

function identifier(text: string): string {
  return text.startsWith('"') ? text.slice(1, -1).replaceAll('""', '"') : text.toLowerCase()
}

function changesData(sql: string): boolean {
  return !READ.test(sql) || SEQUENCE_CALL.test(sql) || /\b(?:insert|update|delete)\b/i.test(sql)
}

// Text, as node-postgres sends every parameter: pg-mem then casts it as Postgres would.
function parameterValue(value: unknown): string | null {
  return value === null || value === undefined ? null : parameterText(value)
}

// A copy without the symbols pg-mem keeps on its rows.
function plainRow(row: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {}
  for (const key in row) copy[key] = row[key]
  return copy
}

function sqlError(message: string, code: string): Error & { code: string } {
  return Object.assign(new Error(message), { code })
}

function abortedTransactionError(): Error & { code: string } {
  return sqlError('current transaction is aborted, commands ignored until end of transaction block', '25P02')
}
