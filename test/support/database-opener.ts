import { type Kysely, PGliteDialect, sql } from 'kysely'
import { afterAll, describe } from 'vitest'
import { createDatabase, type Database, type DatabaseOptions, migrateToLatest } from '../../src/index.js'
import { createMemoryDialect } from '../../src/testing/memory-database.js'
import { ALL_BACKENDS, type BackendName, backendSkipReasons, uniqueSchema } from './backends.js'
import { type NeonRelay, startNeonRelay } from './neon-relay.js'
import { type PgBouncer, startPgBouncer } from './pgbouncer.js'

/** What a test may add to `createDatabase`: everything but where the database is. */
export type ExtraOptions = Omit<DatabaseOptions, 'connectionString' | 'dialect' | 'driver' | 'neon' | 'schema'>

/** A fresh, migrated database a test opened itself, so it controls the options and `destroy()`. */
export interface OpenedDatabase {
  readonly backend: BackendName
  readonly db: Kysely<Database>
  readonly schema: string
  /**
   * Another database on the same data (a server backend's own pool), for
   * checking what was committed after `db` was destroyed; null for the
   * in-process backends, whose data goes with them.
   */
  readonly observer: Kysely<Database> | null
}

/**
 * Opens databases on one backend with the options a test chooses (a `log`
 * hook, a small pool), each migrated in a schema or engine of its own, and
 * closes whatever is left at the end of the file.
 */
export class DatabaseOpener {
  readonly backend: BackendName
  readonly #opened: Kysely<Database>[] = []
  readonly #schemas: string[] = []
  #observer: Kysely<Database> | undefined
  #bouncer: Promise<PgBouncer> | undefined
  #relay: Promise<NeonRelay> | undefined

  constructor(backend: BackendName) {
    this.backend = backend
  }

  async open(options: ExtraOptions = {}): Promise<OpenedDatabase> {
    const { backend } = this
    if (backend === 'memory' || backend === 'embedded') {
      const dialect =
        backend === 'memory'
          ? await createMemoryDialect()
          : new PGliteDialect({ pglite: await (await import('@electric-sql/pglite')).PGlite.create() })
      const db = this.#track(createDatabase({ ...options, dialect }))
      await migrateToLatest(db)
      return { backend, db, schema: 'public', observer: null }
    }
    this.#observer ??= createDatabase({ connectionString: process.env.TEST_DATABASE_URL })
    const observer = this.#observer
    const schema = uniqueSchema('open')
    await migrateToLatest(observer, { schema })
    this.#schemas.push(schema)
    const db = this.#track(createDatabase({ ...(await this.#where()), ...options, schema }))
    return { backend, db, schema, observer: observer.withSchema(schema) }
  }

  async close(): Promise<void> {
    for (const db of this.#opened.splice(0)) await db.destroy().catch(() => {})
    if (this.#observer) {
      for (const schema of this.#schemas.splice(0)) {
        await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(this.#observer)
      }
      await this.#observer.destroy()
    }
    await (await this.#bouncer)?.stop()
    await (await this.#relay)?.close()
  }

  #track(db: Kysely<Database>): Kysely<Database> {
    this.#opened.push(db)
    return db
  }

  async #where(): Promise<DatabaseOptions> {
    const url = process.env.TEST_DATABASE_URL!
    if (this.backend === 'pgbouncer') {
      this.#bouncer ??= startPgBouncer(url)
      return { connectionString: (await this.#bouncer).url }
    }
    if (this.backend === 'neon') {
      this.#relay ??= startNeonRelay()
      return { driver: 'neon', connectionString: url, neon: (await this.#relay).settings }
    }
    return { connectionString: url }
  }
}

/**
 * Declares a suite once per backend, as ``describe(`${backend}: ${title}`)``,
 * handing it an opener for that backend; backends this run cannot use are skipped.
 */
export function describeEachOpener(
  title: string,
  suite: (opener: DatabaseOpener) => void,
  options: { only?: readonly BackendName[] } = {},
): void {
  const skipped = backendSkipReasons()
  for (const backend of options.only ?? ALL_BACKENDS) {
    const run = skipped.has(backend) ? describe.skip : describe
    run(`${backend}: ${title}`, () => {
      const opener = new DatabaseOpener(backend)
      afterAll(() => opener.close())
      suite(opener)
    })
  }
}
