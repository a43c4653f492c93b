import { type RawBuilder, sql } from 'kysely'
import { placeholder } from './query-template.js'

let lastTick = 0

/**
 * A strictly increasing timestamp from this process's clock. pg-mem runs
 * in-process, has no trigger and no interval arithmetic, so the stores use
 * it to move `updated_at` forward on every change there.
 */
function monotonicNow(): Date {
  lastTick = Math.max(Date.now(), lastTick + 1)
  return new Date(lastTick)
}

/** How a store sets `updated_at`: the value to SET, and what to bind for it on each call. */
export interface UpdatedAt {
  /** `now()` on Postgres, where a trigger keeps it moving forward; a bound `now` on pg-mem. */
  readonly value: RawBuilder<Date> | Date
  /** The `now` value to bind: a fresh monotonic time on pg-mem, nothing on Postgres. */
  readonly bind: () => Date | undefined
}

/** Chooses how `updated_at` moves forward: by the database's trigger, or by the store where there are none. */
export function updatedAtFor(triggers: boolean): UpdatedAt {
  return triggers
    ? { value: sql<Date>`now()`, bind: () => undefined }
    : { value: placeholder<Date>('now'), bind: monotonicNow }
}
