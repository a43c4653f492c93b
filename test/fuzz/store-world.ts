import bcrypt from 'bcryptjs'
import type { Kysely } from 'kysely'
import { expect } from 'vitest'
import { createTaskStore, createUserStore, type Database, type TaskStore, type UserStore } from '../../src/index.js'
import { hash64 } from '../../src/stores/task-cursor.js'

const CHEAP_SCRYPT = { logN: 10, r: 8, p: 1 } as const

/** Users every fuzz run can refer to; recreated when a run deleted them. */
export const FIXTURE_USERS = [
  { id: 'fz-alice', email: 'alice@example.com', password: 'correct horse battery' },
  { id: 'fz-bob', email: 'bob@example.com', passwordHash: bcrypt.hashSync('bob password', 4) },
  { id: 'fz-carol', email: 'carol@example.com', passwordHash: 'scrypt$not$a$real$hash' },
  { id: 'fz-dave', email: 'dave@example.com' },
] as const

/** Ids that pass validation but name no user. */
export const MISSING_USER_IDS = ['fz-nobody', '00000000-0000-4000-8000-000000000000'] as const

const TASKS_PER_FIXTURE_USER = 3
const MAX_TASKS = 80
const MAX_USERS = 40

export interface Snapshot {
  readonly users: Record<string, unknown>[]
  readonly tasks: Record<string, unknown>[]
}

/** A migrated database with fixture users and tasks, and the checks every fuzz run makes. */
export class FuzzWorld {
  readonly db: Kysely<Database>
  readonly tasks: TaskStore
  readonly users: UserStore
  #snapshot: Snapshot = { users: [], tasks: [] }
  #fresh = false

  constructor(db: Kysely<Database>) {
    this.db = db
    this.tasks = createTaskStore(db)
    this.users = createUserStore(db, { scrypt: CHEAP_SCRYPT, bcryptCost: 4 })
  }

  /**
   * The id of an existing task picked by `index`: among `owner`'s tasks when
   * owner has any, else among all tasks; 1 when there are none.
   */
  taskIdOf(owner: unknown, index: number): number {
    const all = this.#snapshot.tasks
    const owned = all.filter((task) => task.user_id === owner)
    const pool = owned.length > 0 ? owned : all
    return (pool[index % pool.length]?.id as number | undefined) ?? 1
  }

  /** Brings back deleted fixtures and trims what runs added, then returns the state. */
  async prepare(): Promise<Snapshot> {
    // The previous run ended with a snapshot; nothing else writes to this schema.
    let state = this.#fresh ? this.#snapshot : await this.snapshot()
    let changed = false
    if (state.tasks.length > MAX_TASKS || state.users.length > MAX_USERS) {
      const keep = new Set<string>(FIXTURE_USERS.map((user) => user.id))
      await this.db
        .deleteFrom('tasks')
        .where('user_id', 'not in', [...keep])
        .execute()
      await this.db
        .deleteFrom('users')
        .where('id', 'not in', [...keep])
        .execute()
      const ids = (await this.db.selectFrom('tasks').select('id').orderBy('id').execute()).map((row) => row.id)
      if (ids.length > MAX_TASKS / 2) await this.db.deleteFrom('tasks').where('id', 'in', ids.slice(0, -10)).execute()
      changed = true
      state = await this.snapshot()
    }
    for (const fixture of FIXTURE_USERS) {
      if (!state.users.some((user) => user.id === fixture.id)) {
        await this.db.deleteFrom('users').where('email', '=', fixture.email).execute()
        await this.users.createUser({ ...fixture })
        changed = true
      }
      const owned = state.tasks.filter((task) => task.user_id === fixture.id).length
      for (let i = owned; i < TASKS_PER_FIXTURE_USER; i++) {
        await this.tasks.createTask(fixture.id, { title: `${fixture.id} task ${i}`, completed: i === 0 })
        changed = true
      }
    }
    if (changed) state = await this.snapshot()
    return state
  }

  async snapshot(): Promise<Snapshot> {
    const users = await this.db.selectFrom('users').selectAll().orderBy('id').execute()
    const tasks = await this.db.selectFrom('tasks').selectAll().orderBy('id').execute()
    this.#snapshot = { users, tasks }
    this.#fresh = true
    return this.#snapshot
  }

  /** Marks the last snapshot as stale (a call may have written). */
  touched(): void {
    this.#fresh = false
  }

  /** Marks the last snapshot as still current (the call only read). */
  untouched(): void {
    this.#fresh = true
  }

  /** A real cursor of Alice's first page for `query`, or null when there is no second page. */
  async realCursor(query: Record<string, unknown>): Promise<string | null> {
    try {
      const page = await this.tasks.getTasks(FIXTURE_USERS[0].id, { ...query, limit: 1, cursor: undefined } as never)
      return page.nextCursor
    } catch {
      return null
    }
  }
}

/**
 * A cursor with a correct checksum whose sort key and id are replaced: what
 * someone who read the (unkeyed) format could make. Null if `cursor` is not
 * in the format this was written against.
 */
export function forgeCursor(cursor: string, key: unknown, id: unknown): string | null {
  const [version, scope] = cursor.split('.')
  if (!version || !scope) return null
  const encodedKey = forgedKey(key)
  if (encodedKey === null || (typeof id !== 'number' && typeof id !== 'string')) return null
  const idText = typeof id === 'number' && Number.isSafeInteger(id) ? id.toString(36) : String(id)
  const body = `${version}.${scope}.${encodedKey}.${idText}`
  return `${body}.${hash64(body)}`
}

// Encodes any value the way the cursor format would carry it, valid or not.
function forgedKey(key: unknown): string | null {
  if (key === null) return 'n'
  if (typeof key === 'number') return Number.isFinite(key) ? `p${key}` : `p${String(key)}`
  if (typeof key !== 'string') return null
  const date = new Date(key)
  if (/^[-+]?\d{4,6}-\d\d-\d\dT/.test(key) && !Number.isNaN(date.getTime())) return `d${date.getTime()}`
  return `t${Buffer.from(key, 'utf8').toString('base64url')}`
}

const codePoints = (text: string) => [...text].length

/** Every rule the database and the contract keep that a snapshot breaks, as readable lines. */
export function invariantViolations({ users, tasks }: Snapshot): string[] {
  const problems: string[] = []
  const userIds = new Set(users.map((user) => user.id))
  const emails = new Set<string>()
  const time = (value: unknown) => (value as Date).getTime()
  for (const user of users) {
    const email = user.email as string
    const id = user.id as string
    if (email !== email.trim().toLowerCase()) problems.push(`user ${id}: email ${email} not trimmed and lower-cased`)
    if (emails.has(email)) problems.push(`user ${id}: email ${email} not unique`)
    emails.add(email)
    if (codePoints(email) > 255) problems.push(`user ${id}: email longer than 255`)
    if (codePoints(id) < 1 || codePoints(id) > 36) problems.push(`user ${id}: id not 1–36 characters`)
    if (user.name !== null && codePoints(user.name as string) > 100) problems.push(`user ${id}: name over 100`)
    if (time(user.updated_at) < time(user.created_at)) problems.push(`user ${id}: updated_at before created_at`)
  }
  for (const task of tasks) {
    const title = task.title as string
    const description = task.description as string | null
    const priority = task.priority as number
    const at = `task ${task.id}`
    if (task.completed !== (task.completed_at !== null)) problems.push(`${at}: completed ≠ (completed_at is not null)`)
    if (title !== title.trim()) problems.push(`${at}: title not trimmed`)
    if (codePoints(title) < 1 || codePoints(title) > 200) problems.push(`${at}: title not 1–200 characters`)
    if (title.includes('\u0000') || !title.isWellFormed()) problems.push(`${at}: title has NUL or lone surrogate`)
    if (description !== null && codePoints(description) > 1000) problems.push(`${at}: description over 1000`)
    if (description !== null && (description.includes('\u0000') || !description.isWellFormed())) {
      problems.push(`${at}: description has NUL or lone surrogate`)
    }
    if (!Number.isInteger(priority) || priority < 1 || priority > 5) problems.push(`${at}: priority ${priority}`)
    if (!userIds.has(task.user_id)) problems.push(`${at}: owner ${String(task.user_id)} missing`)
    if (time(task.updated_at) < time(task.created_at)) problems.push(`${at}: updated_at before created_at`)
  }
  // Nothing a run did reached Object.prototype.
  const probe = {} as Record<string, unknown>
  for (const key of ['title', 'isAdmin', 'completed', 'email', 'prototype', 'priority']) {
    if (probe[key] !== undefined) problems.push(`Object.prototype.${key} was polluted`)
  }
  return problems
}

/** Same state: compared through JSON (dates as ISO strings), which is fast on every run. */
export function sameState(a: Snapshot, b: Snapshot): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/** A task as the store returns it keeps the contract's shape and rules. */
export function expectTaskShape(task: unknown): void {
  const value = task as Record<string, unknown>
  expect(Object.keys(value).sort()).toEqual(
    ['completed', 'completedAt', 'createdAt', 'description', 'id', 'priority', 'title', 'updatedAt', 'userId'].sort(),
  )
  expect(Number.isInteger(value.id)).toBe(true)
  expect(value.completed).toBe(value.completedAt !== null)
  expect(value.createdAt).toBeInstanceOf(Date)
}

/** A user as the store returns it never carries the password hash. */
export function expectUserShape(user: unknown): void {
  const value = user as Record<string, unknown>
  expect(Object.keys(value).sort()).toEqual(
    ['createdAt', 'email', 'emailVerified', 'id', 'isActive', 'name', 'updatedAt'].sort(),
  )
}

/** True for a value that serialises to a date Postgres (or pg-mem) cannot hold: before year 1 or after 9999. */
export function isOutOfRangeDate(value: unknown): boolean {
  const text = value instanceof Date ? (Number.isNaN(value.getTime()) ? null : value.toISOString()) : value
  if (typeof text !== 'string') return false
  const date = new Date(text)
  if (Number.isNaN(date.getTime())) return false
  const year = date.getUTCFullYear()
  return year < 1 || year > 9999
}
