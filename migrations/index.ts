import * as createUsers from './0001_create_users.js'
import * as createTasks from './0002_create_tasks.js'
import * as touchUpdatedAt from './0003_touch_updated_at.js'
import * as taskCounts from './0004_task_counts.js'
import * as taskCountDeltas from './0005_task_count_deltas.js'
import * as listingIndexes from './0006_listing_indexes.js'
import * as countIndex from './0007_count_index.js'
import type { TaskstoreMigration } from './migration.js'

export type { MigrationContext, TaskstoreMigration } from './migration.js'

/**
 * Every step, in order, keyed by the name recorded in `taskstore_migration`.
 * Imported statically so a bundler sees them all; nothing is read from disk.
 */
export const MIGRATIONS: ReadonlyArray<readonly [name: string, migration: TaskstoreMigration]> = [
  ['0001_create_users', createUsers],
  ['0002_create_tasks', createTasks],
  ['0003_touch_updated_at', touchUpdatedAt],
  ['0004_task_counts', taskCounts],
  ['0005_task_count_deltas', taskCountDeltas],
  ['0006_listing_indexes', listingIndexes],
  ['0007_count_index', countIndex],
]
