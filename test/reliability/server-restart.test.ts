import type { Kysely } from 'kysely'
import { afterAll, beforeAll, expect, test } from 'vitest'
import {
  createDatabase,
  createTaskStore,
  createUserStore,
  type Database,
  migrateToLatest,
  type Task,
  type TaskStore,
  TaskstoreError,
} from '../../src/index.js'
import {
  startThrowawayServer,
  type ThrowawayServer,
  throwawayServerUnavailableReason,
} from '../support/throwaway-server.js'
import { SecretWitness } from './secret-scan.js'

const LOAD_MS = Number(process.env.RESTART_LOAD_SECONDS ?? 20) * 1_000
const WORKERS = 8
const CHEAP_SCRYPT = { logN: 10, r: 8, p: 1 } as const

let server: ThrowawayServer
let db: Kysely<Database>
const witness = new SecretWitness()

const serverSkip = throwawayServerUnavailableReason()

beforeAll(async () => {
  if (serverSkip) return
  server = await startThrowawayServer({ passwordRole: true })
  db = createDatabase({
    connectionString: server.url(),
    schema: 'restart_load',
    pool: { max: 5, connectionTimeoutMillis: 2_000 },
    retry: { attempts: 5, baseDelayMs: 100, maxDelayMs: 1_000 },
    log: witness.log,
  })
  await migrateToLatest(db)
})
afterAll(async () => {
  await db?.destroy()
  await server?.dispose()
})

/** What one worker knows for certain about its own user's tasks, from acknowledged calls only. */
interface WorkerModel {
  readonly userId: string
  /** Tasks whose state the last acknowledged call reported. */
  readonly known: Map<number, Pick<Task, 'title' | 'completed' | 'priority' | 'description'>>
  /** Tasks whose deletion was acknowledged. */
  readonly deleted: Set<number>
}

interface Figures {
  calls: number
  acknowledgedWrites: number
  failures: Map<string, number>
  acknowledgedAfterRestart: number
  firstSuccessAfterRestartMs: number[]
}

const snapshot = (task: Task) => ({
  title: task.title,
  completed: task.completed,
  priority: task.priority,
  description: task.description,
})

async function runWorker(
  index: number,
  tasks: TaskStore,
  model: WorkerModel,
  figures: Figures,
  until: number,
  restartTimes: number[],
): Promise<void> {
  let step = 0
  const pick = () => {
    const ids = [...model.known.keys()]
    return ids[Math.floor(Math.random() * ids.length)]
  }
  while (Date.now() < until) {
    step++
    const roll = Math.random()
    const target = pick()
    // A failed write leaves its task's state unknown until the next acknowledged call reports it.
    const uncertain = (id: number | undefined) => id !== undefined && model.known.delete(id)
    try {
      figures.calls++
      if (roll < 0.3 || target === undefined) {
        const task = await tasks.createTask(model.userId, {
          title: `w${index} step ${step}`,
          priority: 1 + (step % 5),
          ...(step % 3 === 0 ? { description: `made at ${Date.now()}` } : {}),
        })
        model.known.set(task.id, snapshot(task))
        figures.acknowledgedWrites++
      } else if (roll < 0.5) {
        const task = await tasks.toggleComplete(model.userId, target).catch((error) => {
          uncertain(target)
          throw error
        })
        model.known.set(task.id, snapshot(task))
        figures.acknowledgedWrites++
      } else if (roll < 0.65) {
        const task = await tasks
          .updateTask(model.userId, target, { title: `w${index} renamed ${step}`, priority: 1 + (step % 5) })
          .catch((error) => {
            uncertain(target)
            throw error
          })
        model.known.set(task.id, snapshot(task))
        figures.acknowledgedWrites++
      } else if (roll < 0.72) {
        await tasks.deleteTask(model.userId, target).catch((error) => {
          uncertain(target)
          throw error
        })
        model.known.delete(target)
        model.deleted.add(target)
        figures.acknowledgedWrites++
      } else if (roll < 0.86) {
        const page = await tasks.getTasks(model.userId, { limit: 20 })
        expect(page.items.every((task) => task.userId === model.userId)).toBe(true)
      } else {
        const counts = await tasks.countTasks(model.userId)
        expect(counts.total).toBe(counts.completed + counts.pending)
      }
      const lastRestart = restartTimes.at(-1)
      if (lastRestart !== undefined) {
        figures.acknowledgedAfterRestart++
        if (figures.firstSuccessAfterRestartMs.length < restartTimes.length) {
          figures.firstSuccessAfterRestartMs.push(Date.now() - lastRestart)
        }
      }
    } catch (error) {
      witness.capture(error)
      if (!(error instanceof TaskstoreError)) throw error
      figures.failures.set(error.code, (figures.failures.get(error.code) ?? 0) + 1)
    }
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

test.skipIf(serverSkip !== null)(
  `${serverSkip ? `(${serverSkip}) ` : ''}the server restarts twice during ${LOAD_MS / 1_000} s of mixed load: only TaskstoreErrors, no acknowledged write lost, the process keeps working`,
  async () => {
    const users = createUserStore(db, { scrypt: CHEAP_SCRYPT })
    const tasks = createTaskStore(db)
    const models: WorkerModel[] = []
    for (let index = 0; index < WORKERS; index++) {
      const user = await users.createUser({ email: `worker${index}@example.com` })
      models.push({ userId: user.id, known: new Map(), deleted: new Set() })
    }
    const figures: Figures = {
      calls: 0,
      acknowledgedWrites: 0,
      failures: new Map(),
      acknowledgedAfterRestart: 0,
      firstSuccessAfterRestartMs: [],
    }
    const restartTimes: number[] = []
    const started = Date.now()
    const until = started + LOAD_MS

    const restarts = (async () => {
      // a clean fast shutdown a third of the way in, a crash (immediate shutdown) two thirds in
      await new Promise((resolve) => setTimeout(resolve, LOAD_MS / 3))
      await server.restart('fast')
      restartTimes.push(Date.now())
      await new Promise((resolve) => setTimeout(resolve, LOAD_MS / 3))
      await server.restart('immediate')
      restartTimes.push(Date.now())
    })()
    await Promise.all([
      restarts,
      ...models.map((model, index) => runWorker(index, tasks, model, figures, until, restartTimes)),
    ])

    // Every failure was one of the package's errors, and the restarts were felt.
    const failureCount = [...figures.failures.values()].reduce((a, b) => a + b, 0)
    expect(failureCount).toBeGreaterThan(0)
    expect([...figures.failures.keys()]).toEqual(['unavailable'])
    expect(figures.firstSuccessAfterRestartMs).toHaveLength(2)
    expect(figures.acknowledgedAfterRestart).toBeGreaterThan(50)

    // Every acknowledged write is there; every acknowledged delete is gone.
    let checked = 0
    for (const model of models) {
      const rows = await db.selectFrom('tasks').selectAll().where('user_id', '=', model.userId).execute()
      const byId = new Map(rows.map((row) => [row.id, row]))
      for (const [id, expected] of model.known) {
        const row = byId.get(id)
        expect(row, `acknowledged task ${id}`).toBeDefined()
        expect({
          title: row!.title,
          completed: row!.completed,
          priority: row!.priority,
          description: row!.description,
        }).toEqual(expected)
        checked++
      }
      for (const id of model.deleted) expect(byId.has(id), `deleted task ${id}`).toBe(false)
      expect(rows.every((row) => row.completed === (row.completed_at !== null))).toBe(true)
    }
    expect(checked).toBeGreaterThan(0)

    // The same process and pool keep working.
    const after = await tasks.createTask(models[0]!.userId, { title: 'after the restarts' })
    expect((await tasks.getTask(models[0]!.userId, after.id)).title).toBe('after the restarts')
    expect(witness.leaks([server.role!.password])).toEqual([])

    console.log(
      `[reliability] restart under load: ${figures.calls} calls in ${LOAD_MS / 1_000} s, ` +
        `${figures.acknowledgedWrites} acknowledged writes (${checked} task states verified), ` +
        `${failureCount} failed calls (${[...figures.failures].map(([code, n]) => `${code}: ${n}`).join(', ')}), ` +
        `first success ${figures.firstSuccessAfterRestartMs.join(' ms / ')} ms after each restart`,
    )
  },
  LOAD_MS + 60_000,
)
