import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** The repository root, the working directory of every child process. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** What a finished child process printed and how it ended. */
export interface ProcessResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs `node` with arguments and environment, waiting at most `timeoutMs`. */
export function runNode(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`node ${args.join(' ')} took longer than ${options.timeoutMs} ms\n${stdout}\n${stderr}`))
    }, options.timeoutMs ?? 30_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin.end(options.input ?? '')
  })
}

/** A running child that talks in JSON lines over stdio. */
export interface LineChild {
  /** The next JSON line the child prints. */
  next(): Promise<any>
  send(line: string): void
  /** Resolves with the exit code once the child has ended. */
  readonly exited: Promise<number | null>
  kill(): void
}

/** Starts a TypeScript file under tsx as a separate process that talks in JSON lines. */
export function startTsxChild(file: string, args: readonly string[]): LineChild {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  const queued: any[] = []
  const waiting: Array<{ resolve(value: any): void; reject(error: Error): void }> = []
  let buffer = ''
  let stderr = ''
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  child.stdout.on('data', (chunk) => {
    buffer += chunk
    for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
      const message = JSON.parse(buffer.slice(0, end))
      buffer = buffer.slice(end + 1)
      const waiter = waiting.shift()
      if (waiter) waiter.resolve(message)
      else queued.push(message)
    }
  })
  const exited = new Promise<number | null>((resolve) => {
    child.on('close', (code) => {
      for (const waiter of waiting.splice(0)) waiter.reject(new Error(`child exited (${code}): ${stderr}`))
      resolve(code)
    })
  })
  return {
    next: () =>
      queued.length > 0
        ? Promise.resolve(queued.shift())
        : new Promise((resolve, reject) => waiting.push({ resolve, reject })),
    send: (line) => child.stdin.write(`${line}\n`),
    exited,
    kill: () => child.kill('SIGKILL'),
  }
}

/** Sends a line to a child and waits for its JSON answer. */
export async function ask(child: LineChild, line: string): Promise<any> {
  child.send(line)
  return child.next()
}
