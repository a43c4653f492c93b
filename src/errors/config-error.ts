import { brandErrorClass, TaskstoreErrorBase } from './taskstore-error.js'

/**
 * Configuration is missing or malformed; the message names what to set.
 *
 * @example
 * ```ts
 * try {
 *   createDatabase() // with DATABASE_URL unset
 * } catch (error) {
 *   if (error instanceof ConfigError) console.error(error.message) // "… set DATABASE_URL …"
 * }
 * ```
 */
export class ConfigError extends TaskstoreErrorBase {
  readonly code = 'config' as const
  override name = 'ConfigError'
}
brandErrorClass(ConfigError, 'config')
