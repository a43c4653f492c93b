import { randomBytes } from 'node:crypto'
import { linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { threadId } from 'node:worker_threads'
import { ConfigError } from '../errors/index.js'
import { currentProcess, mayBeRunning, type ProcessIdentity } from './process-identity.js'

/** The folder inside a data directory that holds its lock. */
export const LOCK_FOLDER = '.taskstore-lock'

/** An exclusive hold on a data directory, until released. */
export interface DataDirLock {
  /** The data directory, as an absolute path. */
  readonly folder: string
  /** Gives the folder up; calling it again does nothing. */
  release(): void
}

interface LockRecord extends ProcessIdentity {
  /** The worker thread that holds it (0: the main thread). */
  readonly thread: number
  readonly state: 'held' | 'free'
  readonly token: string
}

// Locks held by this thread, shared by every copy of this module loaded in it (ESM and CommonJS builds).
interface HeldLocks {
  readonly releases: Map<string, () => void>
  exitHook: boolean
}
const HELD_LOCKS = Symbol.for('taskstore.heldDataDirLocks')

function heldLocks(): HeldLocks {
  const global = globalThis as { [HELD_LOCKS]?: HeldLocks }
  global[HELD_LOCKS] ??= { releases: new Map(), exitHook: false }
  return global[HELD_LOCKS]
}

// Each attempt that does not finish means another process changed the lock meanwhile.
const MAX_ATTEMPTS = 100

/**
 * Takes the exclusive lock on a data directory, or throws a
 * {@link ConfigError} naming the folder and the process that holds it.
 *
 * The lock is a series of numbered files in the folder's `.taskstore-lock`
 * directory; the highest number is the lock's current state. A process
 * takes the lock by creating the next number with an atomic `link` (which
 * fails if it exists) and confirming that no higher number appeared
 * meanwhile; it may do so only when the current file is free or its holder
 * is gone (see {@link mayBeRunning}). The highest file is never deleted,
 * only replaced by a higher one or marked free, so two processes can never
 * both hold the lock, even when several take over a dead holder's lock at
 * once. The lock is released on `release()` and, if still held, when the
 * process exits.
 *
 * @throws {ConfigError} when another process (or another database in this process) holds the folder.
 * @example
 * ```ts
 * const lock = lockDataDir('./.data/tasks')
 * try {
 *   // open PGlite on the folder
 * } finally {
 *   lock.release()
 * }
 * ```
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const folder = resolve(dataDir)
  const lockFolder = join(folder, LOCK_FOLDER)
  const record: LockRecord = {
    ...currentProcess(),
    thread: threadId,
    state: 'held',
    token: randomBytes(16).toString('hex'),
  }
  // Synchronous from here on: no other open in this thread can run in between.
  try {
    mkdirSync(lockFolder, { recursive: true })
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const latest = latestNumber(lockFolder)
      if (latest > 0) {
        const holder = readRecord(join(lockFolder, String(latest)))
        if (holder === 'missing') continue
        if (holder === 'unreadable') throw unreadableLock(folder, lockFolder)
        if (holder.state === 'held' && isHeld(holder)) throw folderInUse(folder, lockFolder, holder)
      }
      const mine = latest + 1
      if (!createExclusively(lockFolder, mine, record)) continue
      if (latestNumber(lockFolder) !== mine) {
        // A higher number appeared: its process took the lock first.
        rmSync(join(lockFolder, String(mine)), { force: true })
        continue
      }
      removeOlder(lockFolder, mine)
      return holdLock(folder, lockFolder, mine, record)
    }
    throw new ConfigError(
      `Could not lock the embedded database folder ${folder}: other processes kept changing its lock.`,
    )
  } catch (error) {
    if (error instanceof ConfigError) throw error
    const reason = error instanceof Error ? error.message : String(error)
    throw new ConfigError(`Could not lock the embedded database folder ${folder}: ${reason}`, { cause: error })
  }
}

function holdLock(folder: string, lockFolder: string, number: number, record: LockRecord): DataDirLock {
  const held = heldLocks()
  let released = false
  const release = () => {
    if (released) return
    released = true
    held.releases.delete(record.token)
    try {
      const current = readRecord(join(lockFolder, String(number)))
      if (typeof current === 'object' && current.token === record.token) {
        writeAside(lockFolder, { ...record, state: 'free' }, (aside) =>
          renameSync(aside, join(lockFolder, String(number))),
        )
      }
    } catch {
      // The lock folder was removed by hand: there is nothing left to release.
    }
  }
  held.releases.set(record.token, release)
  if (!held.exitHook) {
    held.exitHook = true
    process.on('exit', () => {
      for (const releaseOnExit of held.releases.values()) releaseOnExit()
    })
  }
  return { folder, release }
}

/** Whether the process that wrote the record may still have the folder open. */
function isHeld(holder: LockRecord): boolean {
  const self = currentProcess()
  const thisProcess =
    holder.pid === self.pid && holder.host === self.host && holder.boot === self.boot && holder.start === self.start
  if (!thisProcess) return mayBeRunning(holder)
  // This thread's locks are held while registered (one that is not was left by an earlier process with this pid,
  // where start times are unknown); another worker thread's cannot be seen from here, so they count as held.
  return holder.thread !== threadId || heldLocks().releases.has(holder.token)
}

function latestNumber(lockFolder: string): number {
  let latest = 0
  for (const name of readdirSync(lockFolder)) {
    if (/^\d+$/.test(name)) latest = Math.max(latest, Number(name))
  }
  return latest
}

// Creates the numbered file only if it does not exist, with its whole content at once.
function createExclusively(lockFolder: string, number: number, record: LockRecord): boolean {
  try {
    writeAside(lockFolder, record, (aside) => linkSync(aside, join(lockFolder, String(number))))
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
}

// A lock file is written in full beside its place and then moved there, so no reader ever sees part of one.
function writeAside(lockFolder: string, record: LockRecord, moveIntoPlace: (aside: string) => void): void {
  const aside = join(lockFolder, `${record.pid}-${record.token}.tmp`)
  writeFileSync(aside, JSON.stringify(record))
  try {
    moveIntoPlace(aside)
  } finally {
    rmSync(aside, { force: true })
  }
}

// Numbers below the holder's can never become the lock again, and files left aside by dead processes are litter.
function removeOlder(lockFolder: string, mine: number): void {
  for (const name of readdirSync(lockFolder)) {
    const pid = /^(\d+)-[0-9a-f]+\.tmp$/.exec(name)?.[1]
    const stale = /^\d+$/.test(name) ? Number(name) < mine : pid !== undefined && !processExists(Number(pid))
    if (stale) rmSync(join(lockFolder, name), { force: true })
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}

function readRecord(file: string): LockRecord | 'missing' | 'unreadable' {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing'
    throw error
  }
  try {
    const value = JSON.parse(text) as Partial<LockRecord>
    const nullableText = (field: unknown) => field === null || typeof field === 'string'
    const valid =
      (value.state === 'held' || value.state === 'free') &&
      Number.isSafeInteger(value.pid) &&
      (value.pid ?? 0) > 0 &&
      Number.isSafeInteger(value.thread) &&
      typeof value.host === 'string' &&
      typeof value.token === 'string' &&
      nullableText(value.boot) &&
      nullableText(value.start)
    return valid ? (value as LockRecord) : 'unreadable'
  } catch {
    return 'unreadable'
  }
}

function folderInUse(folder: string, lockFolder: string, holder: LockRecord): ConfigError {
  const self = currentProcess()
  if (holder.host !== self.host) {
    return new ConfigError(
      `The embedded database folder ${folder} is in use by process ${holder.pid} on host ${holder.host}. ` +
        `PGlite is single-process: close it there (db.destroy()). If that process is gone, delete ${lockFolder}.`,
    )
  }
  const who = holder.pid === self.pid ? `this process (${holder.pid})` : `process ${holder.pid}`
  return new ConfigError(
    `The embedded database folder ${folder} is in use by ${who}. PGlite is single-process, so one folder ` +
      'can be open in one place at a time: close the other database first (db.destroy()), or use another dataDir.',
  )
}

function unreadableLock(folder: string, lockFolder: string): ConfigError {
  return new ConfigError(
    `The lock of the embedded database folder ${folder} cannot be read. ` +
      `If no process has the folder open, delete ${lockFolder}.`,
  )
}
