import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { ConfigError } from '../../src/index.js'
import { LOCK_FOLDER, lockDataDir } from '../../src/testing/data-dir-lock.js'
import { currentProcess } from '../../src/testing/process-identity.js'
import { ask, type LineChild, runNode, startTsxChild } from '../support/child-process.js'

const HAS_PROC = existsSync('/proc/self/stat')

// Runs in a worker thread: tries the lock and posts 'won' or the error's message.
const LOCK_IN_WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
import('tsx/esm/api')
  .then(({ tsImport }) => tsImport(workerData.module, workerData.module))
  .then(({ lockDataDir }) => {
    try {
      lockDataDir(workerData.dataDir)
      parentPort.postMessage('won')
    } catch (error) {
      parentPort.postMessage(error.message)
    }
  })
`

let dataDir: string
let children: LineChild[] = []

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'taskstore-lock-'))
})
afterEach(async () => {
  for (const child of children) child.kill()
  await Promise.all(children.map((child) => child.exited))
  children = []
  await rm(dataDir, { recursive: true, force: true })
})

/** Starts a lock child and waits until it is ready; returns it with its pid. */
async function lockChild(): Promise<{ child: LineChild; pid: number }> {
  const child = startTsxChild('test/support/lock-child.ts', [])
  children.push(child)
  const { ready } = await child.next()
  return { child, pid: ready }
}

/** Writes a lock record by hand, as a process with these details would have left it. */
async function plantRecord(fields: Record<string, unknown>): Promise<void> {
  await mkdir(join(dataDir, LOCK_FOLDER), { recursive: true })
  const record = { ...currentProcess(), thread: 0, state: 'held', token: 'planted', ...fields }
  await writeFile(join(dataDir, LOCK_FOLDER, '7'), JSON.stringify(record))
}

function expectRefused(action: () => unknown, ...mentions: string[]): ConfigError {
  let caught: unknown
  try {
    action()
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(ConfigError)
  for (const mention of mentions) expect((caught as Error).message).toContain(mention)
  return caught as ConfigError
}

describe('lockDataDir in one process', () => {
  test('a second lock on a held folder is a ConfigError naming the folder and this pid; after release it is free', () => {
    const lock = lockDataDir(dataDir)
    expectRefused(() => lockDataDir(dataDir), dataDir, String(process.pid))
    lock.release()
    lock.release()
    lockDataDir(dataDir).release()
  })

  test('a folder held here is refused to another worker thread of this process', async () => {
    const lock = lockDataDir(dataDir)
    try {
      const answer = await new Promise((resolve, reject) => {
        const worker = new Worker(LOCK_IN_WORKER, {
          eval: true,
          workerData: { dataDir, module: new URL('../../src/testing/data-dir-lock.ts', import.meta.url).href },
        })
        worker.once('message', resolve)
        worker.once('error', reject)
      })
      expect(answer).toContain(`this process (${process.pid})`)
    } finally {
      lock.release()
    }
  })

  test('a lock of a process that has ended is taken over', async () => {
    const ended = await runNode(['-e', 'console.log(process.pid)'])
    await plantRecord({ pid: Number(ended.stdout.trim()), start: null })
    lockDataDir(dataDir).release()
  })

  test.skipIf(!HAS_PROC)('a lock left by an earlier process that had this pid is taken over', async () => {
    await plantRecord({ start: '1' })
    lockDataDir(dataDir).release()
  })

  test.skipIf(!HAS_PROC)('a lock from before the machine restarted is taken over', async () => {
    await plantRecord({ pid: 1, start: '1', boot: 'an-earlier-boot' })
    lockDataDir(dataDir).release()
  })

  test('a lock held on another host is refused, naming the host and its pid, and left alone', async () => {
    await plantRecord({ host: `not-${hostname()}`, pid: 4242 })
    const before = await readdir(join(dataDir, LOCK_FOLDER))
    expectRefused(() => lockDataDir(dataDir), dataDir, 'process 4242', `not-${hostname()}`)
    expect(await readdir(join(dataDir, LOCK_FOLDER))).toEqual(before)
  })

  test('a lock file that cannot be read is refused with the folder to delete', async () => {
    await mkdir(join(dataDir, LOCK_FOLDER))
    await writeFile(join(dataDir, LOCK_FOLDER, '3'), 'not json')
    expectRefused(() => lockDataDir(dataDir), join(dataDir, LOCK_FOLDER))
    expect(await readFile(join(dataDir, LOCK_FOLDER, '3'), 'utf8')).toBe('not json')
  })

  test('a folder that cannot be created is a ConfigError', async () => {
    await writeFile(join(dataDir, 'file'), '')
    expectRefused(() => lockDataDir(join(dataDir, 'file', 'data')), join(dataDir, 'file', 'data'))
  })
})

describe('lockDataDir across processes', () => {
  test('a folder held by another process is refused, naming the folder and its pid', async () => {
    const holder = await lockChild()
    expect(await ask(holder.child, `lock ${dataDir}`)).toEqual({ won: true })
    const other = await lockChild()
    const refused = await ask(other.child, `lock ${dataDir}`)
    expect(refused).toMatchObject({ won: false, code: 'config' })
    expect(refused.message).toContain(dataDir)
    expect(refused.message).toContain(`process ${holder.pid}`)
    expect(await ask(holder.child, 'release')).toEqual({ released: true })
    expect(await ask(other.child, `lock ${dataDir}`)).toEqual({ won: true })
  })

  test('the lock of a process that exits without releasing it is freed on exit', async () => {
    const holder = await lockChild()
    expect(await ask(holder.child, `lock ${dataDir}`)).toEqual({ won: true })
    holder.child.send('exit')
    expect(await holder.child.exited).toBe(0)
    const records = await readdir(join(dataDir, LOCK_FOLDER))
    expect(records).toHaveLength(1)
    const record = JSON.parse(await readFile(join(dataDir, LOCK_FOLDER, records[0]!), 'utf8'))
    expect(record).toMatchObject({ pid: holder.pid, state: 'free' })
  })

  test('processes racing for a folder whose holder was killed: exactly one wins, every round', async () => {
    const racers = await Promise.all(Array.from({ length: 6 }, () => lockChild()))
    for (let round = 0; round < 5; round++) {
      const holder = await lockChild()
      expect(await ask(holder.child, `lock ${dataDir}`)).toEqual({ won: true })
      holder.child.kill()
      await holder.child.exited
      for (const racer of racers) racer.child.send(`lock ${dataDir}`)
      const results = await Promise.all(racers.map((racer) => racer.child.next()))
      const winners = racers.filter((_, index) => results[index].won)
      expect(winners, JSON.stringify(results)).toHaveLength(1)
      for (const result of results.filter((outcome) => !outcome.won)) {
        expect(result.code).toBe('config')
        expect(result.message).toContain(`process ${winners[0]!.pid}`)
      }
      // The winner gives the folder up; the next round leaves a killed holder's lock again.
      expect(await ask(winners[0]!.child, 'release')).toEqual({ released: true })
    }
  })

  test('processes taking and giving up one folder in a loop never hold it at the same time', async () => {
    const log = join(dataDir, 'holders.log')
    await writeFile(log, '')
    const workers = await Promise.all(Array.from({ length: 4 }, () => lockChild()))
    for (const worker of workers) worker.child.send(`churn ${join(dataDir, 'data')} 40 ${log}`)
    const results = await Promise.all(workers.map((worker) => worker.child.next()))
    expect(results.map((result) => result.held)).toEqual([40, 40, 40, 40])
    const lines = (await readFile(log, 'utf8')).trim().split('\n')
    expect(lines).toHaveLength(4 * 40 * 2)
    for (let index = 0; index < lines.length; index += 2) {
      expect(lines[index]!.startsWith('+'), `line ${index}: ${lines[index]}`).toBe(true)
      expect(lines[index + 1], `line ${index + 1}`).toBe(`-${lines[index]!.slice(1)}`)
    }
    // They did contend: some attempts found the folder held.
    expect(results.reduce((sum, result) => sum + result.refused, 0)).toBeGreaterThan(0)
  })
})
