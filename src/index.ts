export { checkHealth, type HealthReport, type NodeHealth } from './db/check-health.js'
export {
  createDatabase,
  type Database,
  type DatabaseOptions,
  type PoolOptions,
  type QueryLogEvent,
  type ReadConsistency,
} from './db/create-database.js'
export type { NeonSettings } from './db/neon-pool.js'
export type { RetryOptions } from './db/retry-policy.js'
export {
  ConfigError,
  ConflictError,
  type ConflictField,
  DatabaseUnavailableError,
  ForbiddenError,
  isTaskstoreError,
  MigrationError,
  NotFoundError,
  TaskstoreError,
  type TaskstoreErrorClass,
  type TaskstoreErrorCode,
  ValidationError,
  type ValidationIssue,
} from './errors/index.js'
export {
  type MigrateOptions,
  type MigrationRun,
  type MigrationState,
  migrateDown,
  migrateToLatest,
  migrationStatus,
} from './migrator.js'
export {
  type AllTasksQuery,
  createTaskStore,
  createUserStore,
  type Page,
  type ScryptCost,
  type Task,
  type TaskCounts,
  type TaskQuery,
  type TaskSort,
  type TaskStore,
  type User,
  type UserStore,
  type UserStoreOptions,
} from './stores/index.js'
export {
  type TaskInput,
  type TaskPatch,
  taskInputSchema,
  taskPatchSchema,
  type UserInput,
  type UserPatch,
  userInputSchema,
  userPatchSchema,
} from './validation/index.js'
