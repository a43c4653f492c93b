import type { RawBuilder } from 'kysely'
import { placeholder } from './query-template.js'
import type { UpdatedAt } from './updated-at.js'

/** The SET clause of a partial update, and which fields it gives. */
export interface PatchAssignments<Column extends string> {
  /** The given fields, comma-separated in the column map's order: names the statement's shape. */
  readonly fields: string
  /**
   * Builds the SET clause: each given field's column, bound to a
   * placeholder named after the field (`never` because a placeholder stands
   * in for whatever value the column takes), and `updated_at`. Called only
   * when the statement of this shape is first built.
   */
  readonly set: () => { readonly [C in Column]?: never } & { readonly updated_at: RawBuilder<Date> | Date }
}

/**
 * The SET clause for the fields a patch gives (any value but `undefined`;
 * `null` clears a column), each column bound to a placeholder named after
 * its field, so one compiled statement serves every patch of that shape;
 * `updated_at` moves forward as `updatedAt` says. Only `fields` is worked
 * out on every call.
 *
 * @example
 * ```ts
 * import { updatedAtFor } from './updated-at.js'
 * const { fields, set } = patchAssignments({ priority: 2 }, { title: 'title', priority: 'priority' }, updatedAtFor(true))
 * // fields: 'priority'; set(): { priority: placeholder('priority'), updated_at: now() }
 * const build = () => db.updateTable('tasks').set(set())
 * ```
 */
export function patchAssignments<Field extends string, Column extends string>(
  patch: { readonly [F in NoInfer<Field>]?: unknown },
  columns: { readonly [F in Field]: Column },
  updatedAt: UpdatedAt,
): PatchAssignments<Column> {
  let fields = ''
  for (const field in columns) {
    if (patch[field] !== undefined) fields = fields === '' ? field : `${fields},${field}`
  }
  const set = () => {
    const assignments: { [C in Column]?: never } = {}
    for (const field in columns) {
      if (patch[field] !== undefined) assignments[columns[field]] = placeholder<never>(field)
    }
    return { ...assignments, updated_at: updatedAt.value }
  }
  return { fields, set }
}
