import { readFileSync } from 'node:fs'
import { defineConfig } from 'tsup'

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string }

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'testing/index': 'src/testing/index.ts',
    cli: 'src/cli.ts',
  },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' } },
  target: 'node20',
  platform: 'node',
  define: { __TASKSTORE_VERSION__: JSON.stringify(version) },
  sourcemap: true,
  clean: true,
  splitting: true,
  treeshake: true,
  // Drivers stay external and are imported lazily: a host only needs the one it uses.
  external: [
    '@opentelemetry/api',
    'pg',
    'pg-mem',
    '@electric-sql/pglite',
    '@neondatabase/serverless',
    'ws',
    'kysely',
    'zod',
    'bcryptjs',
  ],
})
