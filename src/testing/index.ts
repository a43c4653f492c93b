export { createEmbeddedDatabase, type EmbeddedDatabaseOptions } from './embedded-database.js'
export { createMemoryDatabase, type MemoryDatabaseOptions } from './memory-database.js'
