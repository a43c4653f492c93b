// The code under test, imported in one place so every suite measures the same build.
export { createDatabase, createTaskStore, migrateToLatest, type TaskStore } from '../src/index.js'
