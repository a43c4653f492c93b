import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, test } from 'vitest'

const ROOT = resolve(import.meta.dirname, '../..')
const SOURCES = ['src', 'migrations']

/** Every TypeScript file under the source folders, relative to the project root. */
function sourceFiles(): string[] {
  return SOURCES.flatMap((folder) =>
    readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts'))
      .map((file) => join(folder, file)),
  )
}

/** The project files a file imports, and whether each import is only of types (erased when compiled). */
function importsOf(file: string): { target: string; typeOnly: boolean }[] {
  const text = readFileSync(join(ROOT, file), 'utf8')
  const found: { target: string; typeOnly: boolean }[] = []
  for (const match of text.matchAll(/^(import|export)\s+(type\s+)?[^'"]*?from\s+'(\.{1,2}\/[^']+)'/gms)) {
    const target = relative(ROOT, resolve(ROOT, dirname(file), match[3]!)).replace(/\.js$/, '.ts')
    found.push({ target, typeOnly: match[2] !== undefined })
  }
  return found
}

/** A cycle in the graph of value imports (type-only imports are erased and cannot make one at run time). */
function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>()
  const path: string[] = []
  const visit = (node: string): string[] | null => {
    if (state.get(node) === 'done') return null
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node]
    state.set(node, 'open')
    path.push(node)
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next)
      if (cycle) return cycle
    }
    path.pop()
    state.set(node, 'done')
    return null
  }
  for (const node of graph.keys()) {
    const cycle = visit(node)
    if (cycle) return cycle
  }
  return null
}

/** Which folder a file belongs to, for the layering rules. */
function layerOf(file: string): string {
  if (file.startsWith('migrations/')) return 'migrations'
  const [, folder] = file.split('/')
  return folder!.endsWith('.ts') ? folder!.replace(/\.ts$/, '') : folder!
}

describe('the import graph of src and migrations', () => {
  const files = sourceFiles()
  const imports = new Map(files.map((file) => [file, importsOf(file)]))

  test('every relative import names a file that exists', () => {
    const missing = [...imports].flatMap(([file, list]) =>
      list.filter(({ target }) => !files.includes(target)).map(({ target }) => `${file} → ${target}`),
    )
    expect(missing).toEqual([])
  })

  test('no file outside src/testing imports from src/testing', () => {
    const offenders = [...imports].flatMap(([file, list]) =>
      file.startsWith('src/testing/')
        ? []
        : list.filter(({ target }) => target.startsWith('src/testing/')).map(({ target }) => `${file} → ${target}`),
    )
    expect(offenders).toEqual([])
  })

  test('value imports form no cycle', () => {
    const graph = new Map(
      [...imports].map(([file, list]) => [file, list.filter(({ typeOnly }) => !typeOnly).map(({ target }) => target)]),
    )
    expect(findCycle(graph)).toBeNull()
  })

  test('imports run one way: errors and db, then migrations and stores, then the entry points', () => {
    // What each layer may import besides itself.
    const allowed: Record<string, readonly string[]> = {
      errors: [],
      validation: ['errors'],
      tracing: ['errors', 'db'],
      db: ['errors', 'tracing'],
      migrations: ['errors', 'db'],
      stores: ['errors', 'db', 'validation', 'tracing'],
      migrator: ['errors', 'db', 'migrations', 'tracing'],
      testing: ['errors', 'db', 'stores', 'migrator', 'migrations', 'validation', 'index'],
      index: ['errors', 'db', 'stores', 'validation', 'migrator', 'tracing'],
      cli: ['errors', 'db', 'migrator', 'index'],
    }
    const offenders = [...imports].flatMap(([file, list]) => {
      const from = layerOf(file)
      return list
        .map(({ target }) => layerOf(target))
        .filter((to) => to !== from && !(allowed[from] ?? []).includes(to))
        .map((to) => `${file} (${from}) → ${to}`)
    })
    expect(offenders).toEqual([])
  })
})
