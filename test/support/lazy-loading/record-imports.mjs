// Loaded with `node --import`: records the URL of every module resolved
// through the ESM loader, one per line, into IMPORT_TRACE_FILE.
import { register } from 'node:module'

register('./record-imports-hooks.mjs', import.meta.url, { data: { file: process.env.IMPORT_TRACE_FILE } })
