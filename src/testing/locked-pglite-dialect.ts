import { type Driver, PGliteDialect, type PGliteDialectConfig, PGliteDriver } from 'kysely'

/**
 * The PGlite dialect, calling `release` once PGlite has closed on
 * `db.destroy()`: the data folder stays locked until nothing writes to it.
 *
 * @example
 * ```ts
 * import { PGlite } from '@electric-sql/pglite'
 * import { lockDataDir } from './data-dir-lock.js'
 * const dataDir = './.data/tasks'
 * const lock = lockDataDir(dataDir)
 * const dialect = new LockedPGliteDialect({ pglite: await PGlite.create({ dataDir }) }, lock.release)
 * ```
 */
export class LockedPGliteDialect extends PGliteDialect {
  readonly #config: PGliteDialectConfig
  readonly #release: () => void
  constructor(config: PGliteDialectConfig, release: () => void) {
    super(config)
    this.#config = config
    this.#release = release
  }
  override createDriver(): Driver {
    return new LockedPGliteDriver(this.#config, this.#release)
  }
}

class LockedPGliteDriver extends PGliteDriver {
  readonly #release: () => void
  constructor(config: PGliteDialectConfig, release: () => void) {
    super(config)
    this.#release = release
  }
  override async destroy(): Promise<void> {
    try {
      await super.destroy()
    } finally {
      this.#release()
    }
  }
}
