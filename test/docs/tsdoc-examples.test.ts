import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import ts from 'typescript'
import { expect, test } from 'vitest'
import { REPO_ROOT } from '../support/child-process.js'

// Each @example becomes a module of its own here, type-checked with the project's settings.
const OUT_DIR = join(REPO_ROOT, 'node_modules', '.cache', `tsdoc-examples-${process.pid}`)

/**
 * What an example may take as given, as a reader of the docs would: an open
 * database, a user id, the stores. Anything else an example uses must be
 * imported or declared in the example itself.
 */
const GIVEN = `
import type { Kysely, Transaction } from 'kysely'
import pg from 'pg'
declare const connectionString: string
declare const db: Kysely<Database>
declare const trx: Transaction<Database>
declare const userId: string
declare const otherUserId: string
declare const taskId: number
declare const error: unknown
declare const request: { readonly body: unknown }
declare const id: string
declare const tasks: TaskStore
declare const users: UserStore
declare const caPem: string
declare const lockFileText: string
`

interface Example {
  readonly file: string
  readonly line: number
  readonly code: string
}

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(join(REPO_ROOT, dir), { withFileTypes: true, recursive: true })
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(REPO_ROOT, join(entry.parentPath, entry.name)))
}

/** Every fenced ts block after an @example tag in a TSDoc comment. */
function examplesIn(file: string, text: string): Example[] {
  const examples: Example[] = []
  for (const comment of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    const lines = comment[0].split('\n').map((line) => line.replace(/^\s*\*? ?/, ''))
    const start = text.slice(0, comment.index).split('\n').length
    for (let at = lines.findIndex((line) => line.startsWith('@example')); at >= 0 && at < lines.length; at++) {
      if (!lines[at]!.startsWith('```ts')) continue
      const end = lines.findIndex((line, index) => index > at && line.startsWith('```'))
      examples.push({ file, line: start + at, code: lines.slice(at + 1, end).join('\n') })
      at = end
    }
  }
  return examples
}

function exportedNames(text: string): string[] {
  return unique(text.matchAll(/^export (?:async )?(?:function|const|class|interface|type|abstract class) (\w+)/gm))
}

/** A value and a type of one name (`TaskstoreError`) are imported once. */
function unique(matches: Iterable<RegExpMatchArray>): string[] {
  return [...new Set([...matches].map((match) => match[1]!))]
}

test('every @example in the TSDoc type-checks against the package', async () => {
  const files = [...(await sourceFiles('src')), ...(await sourceFiles('migrations'))]
  const publicNames = exportedNames(
    (await readFile(join(REPO_ROOT, 'src/index.ts'), 'utf8')).replace(/export \{([^}]*)\}/g, (_, names: string) =>
      names
        .split(',')
        .map((name) => name.trim().replace(/^type /, ''))
        .filter(Boolean)
        .map((name) => `export const ${name}`)
        .join('\n'),
    ),
  )
  await rm(OUT_DIR, { recursive: true, force: true })
  await mkdir(OUT_DIR, { recursive: true })
  const written: { path: string; example: Example }[] = []
  for (const file of files) {
    const text = await readFile(join(REPO_ROOT, file), 'utf8')
    const own = exportedNames(text)
    for (const example of examplesIn(file, text)) {
      // An example's own import lines go to the top of its module, and win over the automatic ones.
      const lines = example.code.split('\n')
      const imports = lines.filter((line) => line.startsWith('import '))
      const body = lines.filter((line) => !line.startsWith('import ')).join('\n')
      const imported = imports
        .flatMap((line) => /\{([^}]*)\}/.exec(line)?.[1]?.split(',') ?? [])
        .map((name) => name.trim().replace(/^type /, ''))
      const automatic = (names: string[]) => names.filter((name) => !imported.includes(name))
      const ownNames = automatic(own)
      const fromIndex = automatic(publicNames.filter((name) => !own.includes(name)))
      const module = (from: string) => relative(OUT_DIR, join(REPO_ROOT, from)).replace(/\.ts$/, '.js')
      const source = [
        `import { ${fromIndex.join(', ')} } from '${module('src/index.ts')}'`,
        `import { ${automatic(['createEmbeddedDatabase', 'createMemoryDatabase'].filter((name) => !own.includes(name))).join(', ')} } from '${module('src/testing/index.ts')}'`,
        `import { MIGRATIONS } from '${module('migrations/index.ts')}'`,
        ownNames.length > 0 ? `import { ${ownNames.join(', ')} } from '${module(file)}'` : '',
        ...imports.map((line) =>
          line.replace(
            /from '(\.\.?\/[^']*)'/,
            (_, from: string) => `from '${module(join(file, '..', from).replace(/\.js$/, '.ts'))}'`,
          ),
        ),
        GIVEN,
        'export async function example() {',
        body,
        '}',
      ].join('\n')
      const path = join(OUT_DIR, `${file.replace(/[/.]/g, '_')}_${example.line}.ts`)
      await writeFile(path, source)
      written.push({ path, example })
    }
  }
  expect(written.length).toBeGreaterThan(30)

  const config = ts.getParsedCommandLineOfConfigFile(
    join(REPO_ROOT, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'))
      },
    },
  )!
  const program = ts.createProgram(
    written.map((entry) => entry.path),
    { ...config.options, noEmit: true },
  )
  const problems = ts
    .getPreEmitDiagnostics(program)
    .filter((diagnostic) => diagnostic.file?.fileName.startsWith(OUT_DIR))
    .map((diagnostic) => {
      const entry = written.find((candidate) => candidate.path === diagnostic.file!.fileName)!
      return `${entry.example.file}:${entry.example.line}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`
    })
  await rm(OUT_DIR, { recursive: true, force: true })
  expect(problems).toEqual([])
}, 120_000)
