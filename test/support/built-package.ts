import { createHash } from 'node:crypto'
import { existsSync, statSync } from 'node:fs'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { REPO_ROOT } from './child-process.js'

// Under node_modules, so the build resolves kysely, pg, … like an installed package would.
const CACHE_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'taskstore-test-build')
const INPUTS = ['src', 'migrations', 'tsup.config.ts', 'package.json']
const STALE_LOCK_MS = 120_000
const WAIT_LIMIT_MS = 180_000
const OLD_BUILD_MS = 3_600_000

async function filesUnder(path: string): Promise<string[]> {
  const full = join(REPO_ROOT, path)
  if (!statSync(full).isDirectory()) return [path]
  const entries = await readdir(full, { withFileTypes: true, recursive: true })
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(REPO_ROOT.length))
    .sort()
}

/** A hash of everything the build reads, so a changed source gets a fresh build. */
async function inputHash(): Promise<string> {
  const hash = createHash('sha256')
  for (const input of INPUTS) {
    for (const file of await filesUnder(input)) {
      hash.update(file)
      hash.update(await readFile(join(REPO_ROOT, file)))
    }
  }
  return hash.digest('hex').slice(0, 16)
}

async function build(outDir: string): Promise<void> {
  const { build: tsup } = await import('tsup')
  const { default: config } = await import('../../tsup.config.js')
  // The package's own configuration, without type declarations (slow, and not run).
  await tsup({ ...(config as object), config: false, outDir, dts: false, sourcemap: false, silent: true })
}

/** Each source change leaves a build behind; drop those nobody has made for an hour. */
async function removeOldBuilds(): Promise<void> {
  for (const entry of await readdir(CACHE_DIR, { withFileTypes: true })) {
    const path = join(CACHE_DIR, entry.name)
    const info = statSync(path, { throwIfNoEntry: false })
    if (entry.isDirectory() && info && Date.now() - info.mtimeMs > OLD_BUILD_MS) {
      await rm(path, { recursive: true, force: true })
    }
  }
}

/**
 * The package built with its own tsup configuration into a cache folder, and
 * that folder's path (it holds `index.js`, `index.cjs`, `cli.js`,
 * `testing/index.js`, …). Built once per source state: test files in other
 * workers wait for the one that builds, through a lock directory.
 */
export async function builtPackage(): Promise<string> {
  const outDir = join(CACHE_DIR, await inputHash())
  const done = join(outDir, '.complete')
  const lock = `${outDir}.lock`
  await mkdir(CACHE_DIR, { recursive: true })
  const started = Date.now()
  while (!existsSync(done)) {
    try {
      await mkdir(lock)
    } catch {
      const held = statSync(lock, { throwIfNoEntry: false })
      // A builder that died leaves its lock behind; take over after a while.
      if (held && Date.now() - held.mtimeMs > STALE_LOCK_MS) await rm(lock, { recursive: true, force: true })
      if (Date.now() - started > WAIT_LIMIT_MS) throw new Error(`gave up waiting for the build in ${outDir}`)
      await new Promise((resolve) => setTimeout(resolve, 200))
      continue
    }
    try {
      if (!existsSync(done)) {
        await removeOldBuilds()
        await build(outDir)
        await writeFile(done, new Date().toISOString())
      }
    } finally {
      await rm(lock, { recursive: true, force: true })
    }
  }
  return outDir
}
