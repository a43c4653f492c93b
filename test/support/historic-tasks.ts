import { type Kysely, sql } from 'kysely'
import type { Database, TaskSort } from '../../src/index.js'

/** An instant written with microseconds, and the millisecond the columns (`timestamptz(3)`) keep of it. */
export interface Instant {
  /** As Postgres reads it: `1960-06-01 12:00:00.654321+00`, `0044-03-15 12:00:00+00 BC`, `infinity`. */
  readonly text: string
  /**
   * Epoch milliseconds, `±Infinity` for the infinities. Extra microseconds
   * are all below 500, so rounding (Postgres) and truncating (pg-mem) agree.
   */
  readonly ms: number
}

function at(iso: string, extraMicros = 0): Instant {
  const ms = Date.parse(iso)
  const fraction = `${String(((ms % 1000) + 1000) % 1000).padStart(3, '0')}${String(extraMicros).padStart(3, '0')}`
  return { text: `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${fraction}+00`, ms }
}

// Neighbours closer than the seconds a local-mean-time offset carries
// (Monrovia 1900 -00:43:08 and 1960 -00:44:30, Kolkata 1900 +05:21:10,
// St John's 1900 -03:30:52, Chatham 1900 +12:13:48), and ties at the
// millisecond that differ in microseconds.
const CREATED = [
  at('1900-03-01T10:00:00.123Z', 456),
  at('1900-03-01T10:00:00.123Z'),
  at('1900-03-01T10:00:20.000Z', 1),
  at('1960-06-01T12:00:00.654Z', 321),
  at('1960-06-01T12:00:10.000Z', 499),
  at('1960-06-01T12:00:40.500Z'),
  at('2024-02-29T23:59:59.999Z', 1),
  at('2024-02-29T23:59:59.999Z'),
  at('2024-03-01T00:00:05.250Z'),
]

/** One task's three timestamps. */
export interface HistoricTask {
  readonly title: string
  readonly priority: number
  readonly createdAt: Instant
  readonly updatedAt: Instant
  readonly completedAt: Instant | null
}

const TITLES = ['b', 'a', 'B', 'c d', 'é', 'a', '10', '9', 'b']

/** One task per instant, each sort key in a different order (and some never completed). */
export function tasksDatedAt(instants: readonly Instant[]): HistoricTask[] {
  const pick = (index: number) => instants[index % instants.length]!
  return instants.map((createdAt, index) => ({
    title: TITLES[index % TITLES.length]!,
    priority: (index % 3) + 2,
    createdAt,
    updatedAt: pick(index * 4 + 3),
    completedAt: index % 4 === 1 ? null : pick(index * 2 + 5),
  }))
}

/** Tasks dated 1900, 1960 and 2024, each sort key in a different order, with ties. */
export const HISTORIC_TASKS: readonly HistoricTask[] = tasksDatedAt(CREATED)

/**
 * Inserts tasks for `userId` with their timestamps written as text in raw
 * SQL, as a host's import would (an INSERT: the trigger that moves
 * `updated_at` runs on UPDATE only). Returns the ids, in the order given.
 */
export async function seedHistoricTasks(
  db: Kysely<Database>,
  userId: string,
  tasks: readonly HistoricTask[] = HISTORIC_TASKS,
): Promise<number[]> {
  const ids: number[] = []
  for (const task of tasks) {
    const { id } = await db
      .insertInto('tasks')
      .values({
        user_id: userId,
        title: task.title,
        priority: task.priority,
        completed: task.completedAt !== null,
        completed_at: task.completedAt && sql<Date>`${task.completedAt.text}::timestamptz`,
        created_at: sql<Date>`${task.createdAt.text}::timestamptz`,
        updated_at: sql<Date>`${task.updatedAt.text}::timestamptz`,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    ids.push(id)
  }
  return ids
}

/** The order a listing must visit the seeded tasks in, as ids, for a time sort. */
export function expectedTimeOrder(
  ids: readonly number[],
  sort: TaskSort,
  order: 'asc' | 'desc',
  tasks: readonly HistoricTask[] = HISTORIC_TASKS,
): number[] {
  const key = (task: HistoricTask) =>
    sort === 'createdAt' ? task.createdAt.ms : sort === 'updatedAt' ? task.updatedAt.ms : (task.completedAt?.ms ?? null)
  const sign = order === 'asc' ? 1 : -1
  return tasks
    .map((task, index) => ({ id: ids[index]!, value: key(task) }))
    .sort((a, b) => {
      // incomplete tasks (null completedAt) come last in either order
      if (a.value === null || b.value === null)
        return a.value === b.value ? sign * (a.id - b.id) : a.value === null ? 1 : -1
      // two infinities are equal (their difference is NaN)
      return sign * ((a.value === b.value ? 0 : a.value - b.value) || a.id - b.id)
    })
    .map((entry) => entry.id)
}
