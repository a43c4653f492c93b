// The code under test: the built package, as a host runs it (`npm run bench` builds it first).
// Its types come from the sources, so the build must not be older than they are.
import { existsSync, readdirSync, statSync } from 'node:fs'

type Subject = typeof import('../src/index.js')

export type { TaskStore } from '../src/index.js'

const BUILT = new URL('../dist/index.js', import.meta.url)
const SOURCES = new URL('../src/', import.meta.url)

function newestSourceMs(): number {
  const files = readdirSync(SOURCES, { recursive: true, encoding: 'utf8' })
  return Math.max(...files.map((file) => statSync(new URL(file, SOURCES)).mtimeMs))
}

if (!existsSync(BUILT) || statSync(BUILT).mtimeMs < newestSourceMs()) {
  throw new Error('The benchmark measures the built package, which is missing or older than src/: run `npm run build`.')
}
const subject = (await import(BUILT.href)) as Subject

export const { createDatabase, createTaskStore, migrateDown, migrateToLatest } = subject

/** Steps down one migration at a time until `name` is undone; later steps go first. */
export async function undoThrough(
  db: ReturnType<typeof createDatabase>,
  name: string,
  options: { readonly schema?: string } = {},
): Promise<readonly string[]> {
  const undone: string[] = []
  for (;;) {
    const { applied } = await migrateDown(db, options)
    if (applied.length === 0) throw new Error(`${name} was never applied`)
    undone.push(...applied)
    if (applied[0] === name) return undone
  }
}
