import {
  type DatabaseIntrospector,
  type Dialect,
  type Kysely,
  PostgresAdapter,
  PostgresDialect,
  type SchemaMetadata,
  type TableMetadata,
} from 'kysely'
import { DATABASE_CAPABILITIES, type DatabaseCapabilities } from '../db/database-capabilities.js'
import type { MemoryEngine } from './memory-engine.js'
import { MemoryPool } from './memory-pool.js'

/** The part of a pg-mem database the dialect uses. */
export interface MemoryDb {
  listSchemaNames(): string[]
  listTableNames(schema: string): string[]
}

/** What pg-mem lacks; rollbacks it has, through the memory engine's snapshots. */
const MEMORY_CAPABILITIES: DatabaseCapabilities = {
  triggers: false,
  advisoryLocks: false,
  catalog: false,
  isolationLevels: false,
  rowComparison: false,
  likeEscape: false,
  fullTimestampRange: false,
  extensions: false,
  orderedSubqueries: false,
}

/** pg-mem has no advisory locks and a single connection: no lock is needed. */
class MemoryAdapter extends PostgresAdapter {
  readonly [DATABASE_CAPABILITIES] = MEMORY_CAPABILITIES
  override async acquireMigrationLock(): Promise<void> {}
  override async releaseMigrationLock(): Promise<void> {}
}

/** pg-mem cannot run Kysely's catalog queries (`text !~ text`); read its own catalog instead. */
class MemoryIntrospector implements DatabaseIntrospector {
  readonly #mem: MemoryDb
  constructor(mem: MemoryDb) {
    this.#mem = mem
  }
  async getSchemas(): Promise<SchemaMetadata[]> {
    return this.#mem.listSchemaNames().map((name) => ({ name }))
  }
  async getTables(): Promise<TableMetadata[]> {
    return this.#mem
      .listSchemaNames()
      .flatMap((schema) =>
        this.#mem
          .listTableNames(schema)
          .map((name) => ({ name, schema, isView: false, isForeign: false, columns: [] })),
      )
  }
  async getMetadata(): Promise<{ tables: TableMetadata[] }> {
    return { tables: await this.getTables() }
  }
}

/**
 * A Kysely dialect over a pg-mem database, with the adapter, introspector
 * and one-connection pool it needs.
 */
export class MemoryDialect extends PostgresDialect implements Dialect {
  readonly #mem: MemoryDb
  constructor(engine: MemoryEngine, mem: MemoryDb) {
    super({ pool: new MemoryPool(engine) })
    this.#mem = mem
  }
  override createAdapter() {
    return new MemoryAdapter()
  }
  override createIntrospector(_db: Kysely<any>): DatabaseIntrospector {
    return new MemoryIntrospector(this.#mem)
  }
}
