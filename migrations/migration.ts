import type { Kysely } from 'kysely'

/** What a migration step may need to know about where and on what it runs. */
export interface MigrationContext {
  /** The Postgres schema holding taskstore's tables. `db` is already scoped to it. */
  readonly schema: string
  /**
   * False on pg-mem, which has no triggers or plpgsql; the package then sets
   * the same values itself.
   */
  readonly supportsTriggers: boolean
  /**
   * False on pg-mem, which has no extensions. Elsewhere a step may still
   * find an extension missing, or the role unable to create it.
   */
  readonly supportsExtensions: boolean
  /**
   * False on pg-mem, whose listings are one ordered query: the indexes that
   * serve a listing read as ranges in order would only slow its writes.
   */
  readonly readsListingRanges: boolean
}

/**
 * One step of taskstore's schema. Steps take `Kysely<any>` and never import
 * today's table types: a released step is never edited, only followed.
 */
export interface TaskstoreMigration {
  /** Why the step exists, for people reading the list. */
  readonly description: string
  up(db: Kysely<any>, context: MigrationContext): Promise<void>
  down(db: Kysely<any>, context: MigrationContext): Promise<void>
}
