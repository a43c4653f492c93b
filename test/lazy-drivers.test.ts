import { randomBytes } from 'node:crypto'
import { rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { builtPackage } from './support/built-package.js'
import { runNode } from './support/child-process.js'
import { closedPort } from './support/fake-postgres.js'

let dist: string
beforeAll(async () => {
  dist = await builtPackage()
}, 180_000)

/**
 * Runs one scenario of test/support/lazy-loading/use-package.mjs against the
 * built package in a fresh Node process, and returns the driver packages
 * that process loaded (through `import` or `require`).
 */
async function driversLoadedBy(scenario: string, connectionString = ''): Promise<string[]> {
  const trace = join(tmpdir(), `taskstore-imports-${randomBytes(6).toString('hex')}.txt`)
  await writeFile(trace, '')
  try {
    const { code, stdout, stderr } = await runNode(
      [
        '--import',
        './test/support/lazy-loading/record-imports.mjs',
        'test/support/lazy-loading/use-package.mjs',
        dist,
        scenario,
        connectionString,
      ],
      { env: { ...process.env, IMPORT_TRACE_FILE: trace } },
    )
    expect(code, stderr).toBe(0)
    return JSON.parse(stdout.trim().split('\n').at(-1)!).loaded
  } finally {
    await rm(trace, { force: true })
  }
}

describe('lazy driver loading (built package)', () => {
  test('importing taskstore as ESM and querying through a dialect loads no driver package', async () => {
    expect(await driversLoadedBy('esm-dialect')).toEqual([])
  })

  test('requiring taskstore as CommonJS and querying through a dialect loads no driver package', async () => {
    expect(await driversLoadedBy('cjs-dialect')).toEqual([])
  })

  // Shows the check sees loaded drivers: without this, an empty list could mean a blind check.
  test('connecting with the pg driver loads pg and no other driver', async () => {
    const port = await closedPort()
    expect(await driversLoadedBy('esm-pg', `postgres://root@127.0.0.1:${port}/x`)).toEqual(['pg'])
  })

  test('createMemoryDatabase loads pg-mem, and neither PGlite nor the Neon driver', async () => {
    const loaded = await driversLoadedBy('esm-memory')
    expect(loaded).toContain('pg-mem')
    expect(loaded).not.toContain('@electric-sql/pglite')
    expect(loaded).not.toContain('@neondatabase/serverless')
  })
})
