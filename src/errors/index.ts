export { ConfigError } from './config-error.js'
export { ConflictError, type ConflictField } from './conflict-error.js'
export { DatabaseUnavailableError } from './database-unavailable-error.js'
export { ForbiddenError } from './forbidden-error.js'
export { MigrationError } from './migration-error.js'
export { NotFoundError } from './not-found-error.js'
export {
  isTaskstoreError,
  TaskstoreError,
  type TaskstoreErrorClass,
  type TaskstoreErrorCode,
} from './taskstore-error.js'
export { ValidationError, type ValidationIssue } from './validation-error.js'
