import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'

/** Who a process is, in a form that tells it apart from a later process given the same pid. */
export interface ProcessIdentity {
  readonly pid: number
  readonly host: string
  /** The kernel's boot id (`/proc/sys/kernel/random/boot_id`); null where there is none. */
  readonly boot: string | null
  /** The process's start time in clock ticks since boot (`/proc/<pid>/stat`); null where there is none. */
  readonly start: string | null
}

let current: ProcessIdentity | undefined

/**
 * This process's identity.
 *
 * @example
 * ```ts
 * const { pid, start } = currentProcess()
 * ```
 */
export function currentProcess(): ProcessIdentity {
  current ??= {
    pid: process.pid,
    host: hostname(),
    boot: readText('/proc/sys/kernel/random/boot_id')?.trim() || null,
    start: readStat(process.pid)?.start ?? null,
  }
  return current
}

/**
 * Whether the process may still be running. A process on another host (or
 * in another container) cannot be checked, so it counts as running; on this
 * host a process is gone when the machine rebooted since, when its pid is
 * free, when it is a zombie, or when its pid now belongs to a process that
 * started at another time.
 *
 * @example
 * ```ts
 * const holder: ProcessIdentity = JSON.parse(lockFileText)
 * if (!mayBeRunning(holder)) console.log(`process ${holder.pid} is gone: its lock may be taken over`)
 * ```
 */
export function mayBeRunning(holder: ProcessIdentity): boolean {
  const self = currentProcess()
  if (holder.host !== self.host) return true
  if (holder.boot !== null && self.boot !== null && holder.boot !== self.boot) return false
  let signalable = true
  try {
    process.kill(holder.pid, 0)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ESRCH') return false
    // EPERM: it runs, as another user.
    signalable = false
  }
  if (holder.start === null || self.start === null) return true
  const stat = readStat(holder.pid)
  // Unreadable although signalable: it ended in between. Unreadable and not ours: /proc may hide it.
  if (stat === undefined) return !signalable
  return stat.state !== 'Z' && stat.state !== 'X' && stat.start === holder.start
}

function readStat(pid: number): { state: string; start: string } | undefined {
  const text = readText(`/proc/${pid}/stat`)
  if (text === undefined) return undefined
  // "pid (command) state ppid …": the command may hold spaces and parentheses, so split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  const state = fields[0]
  const start = fields[19]
  return state && start ? { state, start } : undefined
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}
