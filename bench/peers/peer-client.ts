// What every peer implements: the store's operations, written the way a
// competent user of that library would write them against the same tables.

/** A task as the peers return it: the same fields and types as taskstore's `Task`. */
export interface PeerTask {
  id: number
  userId: string
  title: string
  description: string | null
  completed: boolean
  completedAt: Date | null
  priority: number
  createdAt: Date
  updatedAt: Date
}

/**
 * Where the next page starts: the last row of the previous one. Each peer
 * uses what its library's own keyset idiom needs (Prisma: the id alone).
 * The columns are `timestamptz(3)`, so a `Date` holds the value exactly.
 */
export interface PeerCursor {
  readonly id: number
  readonly createdAt: Date
}

/** The listings the benchmark measures; `sort: 'priority'` is measured on its first page only. */
export interface PeerListQuery {
  readonly completed?: boolean
  readonly search?: string
  readonly sort?: 'createdAt' | 'priority'
  readonly after?: PeerCursor
}

export interface PeerPage {
  readonly items: PeerTask[]
  readonly next: PeerCursor | null
}

export interface PeerCounts {
  readonly total: number
  readonly completed: number
  readonly pending: number
}

/** One peer's version of each measured store operation, on a pool of its own. */
export interface PeerClient {
  readonly name: PeerName
  getTask(userId: string, taskId: number): Promise<PeerTask>
  getTasks(userId: string, query?: PeerListQuery): Promise<PeerPage>
  createTask(
    userId: string,
    input: { title: string; description?: string | null; priority?: number },
  ): Promise<PeerTask>
  updateTask(userId: string, taskId: number, patch: { title?: string; priority?: number }): Promise<PeerTask>
  toggleComplete(userId: string, taskId: number): Promise<PeerTask>
  deleteTask(userId: string, taskId: number): Promise<PeerTask>
  countTasks(userId: string): Promise<PeerCounts>
  /** Ends its pool. */
  close(): Promise<void>
}

export const PEER_NAMES = ['kysely', 'drizzle', 'postgres.js', 'prisma'] as const
export type PeerName = (typeof PEER_NAMES)[number]

/** Pool settings every client gets alike. */
export interface PeerOptions {
  readonly connectionString: string
  readonly schema: string
  readonly poolMax: number
  readonly idleTimeoutMillis: number
  readonly connectionTimeoutMillis: number
  /**
   * postgres.js only: `false` sends a connection's next statement only once
   * the last has answered, as `pg` does (`max_pipeline: 0`). By default
   * postgres.js sends it at once on a busy connection when every one is busy.
   */
  readonly pipeline?: boolean
}

/** Page size, as taskstore's default. */
export const PAGE_SIZE = 50

/** A task that is not the user's: someone else's (`forbidden`) or nobody's (`not found`). */
export class PeerOwnershipError extends Error {
  constructor(
    readonly reason: 'forbidden' | 'not found',
    taskId: number,
  ) {
    super(reason === 'forbidden' ? `Task ${taskId} belongs to another user` : `Task ${taskId} does not exist`)
  }
}

/** Throws the error that tells "someone else's" from "no such task", once a user-scoped statement matched nothing. */
export function ownershipFailure(taskId: number, owner: string | undefined): never {
  throw new PeerOwnershipError(owner === undefined ? 'not found' : 'forbidden', taskId)
}

/** `%…%` matching the text literally: LIKE's wildcards escaped, as taskstore's search does. */
export function containsPattern(search: string): string {
  return `%${escapeLike(search)}%`
}

export function escapeLike(search: string): string {
  return search.replace(/[\\%_]/g, (char) => `\\${char}`)
}

/** Splits one row past the page off, as every client fetches `PAGE_SIZE + 1` to know whether more follow. */
export function toPage(rows: PeerTask[]): PeerPage {
  if (rows.length <= PAGE_SIZE) return { items: rows, next: null }
  rows.length = PAGE_SIZE
  const last = rows[PAGE_SIZE - 1]!
  return { items: rows, next: { id: last.id, createdAt: last.createdAt } }
}
