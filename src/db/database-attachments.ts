import { type Kysely, WithSchemaPlugin } from 'kysely'
import type { DatabaseTarget } from '../tracing/database-target.js'
import type { DirectQuery } from './direct-query.js'
import type { ReplicaRouter } from './replica-router.js'

/** What `createDatabase` gives a database beside Kysely's own machinery. */
export interface DatabaseAttachments {
  /** The stores' path straight to the pool, outside transactions. */
  readonly direct?: DirectQuery
  /** Where store reads go when the database has read replicas. */
  readonly router?: ReplicaRouter
  /** Where it connects, for tracing. */
  readonly target?: DatabaseTarget
}

const NONE: DatabaseAttachments = {}

// Keyed by the dialect adapter, which Kysely shares between a database, its
// `withSchema(…)` copies and its transactions, so all of them find them.
const ATTACHED = new WeakMap<object, DatabaseAttachments>()

/** Adds to what `db` (and every copy and transaction of it) carries. */
export function attachToDatabase(db: Kysely<any>, attachments: DatabaseAttachments): void {
  const adapter = db.getExecutor().adapter
  ATTACHED.set(adapter, { ...ATTACHED.get(adapter), ...attachments })
}

/**
 * What `db` carries. The direct path and the router are left out inside a
 * transaction (its statements must run on its connection) and when the
 * host added a plugin of its own: those paths send SQL the stores compiled
 * through `db`, so a schema set by `withSchema` holds, but they skip the
 * plugins' handling of results.
 *
 * @example
 * ```ts
 * const { direct } = attachmentsOf(db)
 * ```
 */
export function attachmentsOf(db: Kysely<any>): DatabaseAttachments {
  const attached = ATTACHED.get(db.getExecutor().adapter) ?? NONE
  if (!db.isTransaction && db.getExecutor().plugins.every((plugin) => plugin instanceof WithSchemaPlugin)) {
    return attached
  }
  return attached.target ? { target: attached.target } : NONE
}
