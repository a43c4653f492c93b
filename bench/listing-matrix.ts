import { SEARCH_TERM } from './bench-config.js'
import type { BenchContext, Fixtures } from './bench-context.js'
import { type LatencySummary, summarize, timeUs } from './stats.js'
import type { TaskStore } from './subject.js'

type TaskQuery = NonNullable<Parameters<TaskStore['getTasks']>[1]>

/** The filters every sort and order is listed with. */
export const LISTING_FILTERS: Readonly<Record<string, TaskQuery>> = {
  none: {},
  completed: { completed: false },
  priority: { priority: 5 },
  both: { completed: true, priority: 2 },
  search: { search: SEARCH_TERM },
  // a number in a few dozen titles of the 100,000-task user: past the rows read in order, so the trigram index
  'search (rare)': { search: '4242' },
}

const SORTS = ['createdAt', 'updatedAt', 'priority', 'title', 'completedAt'] as const
const ORDERS = ['asc', 'desc'] as const
/** Pages walked before the "later page" is measured. */
const LATER_PAGE = 5
/** A listing shape's p95 must stay under this on the heaviest user. */
export const LISTING_P95_TARGET_US = 5_000

/** One listing shape's latency on the heaviest user. */
export interface ListingResult {
  readonly sort: string
  readonly order: string
  readonly filter: string
  readonly page: 'first' | 'later'
  readonly latency: LatencySummary
}

/**
 * Lists the heaviest user's tasks in every sort × order × filter, the first
 * page and the fifth, and reports p50 and p95 of each. Shapes take turns,
 * one call each, so drift in the machine's load spreads over all of them.
 */
export async function runListingMatrix(
  context: BenchContext,
  fixtures: Fixtures,
  iterations: number,
  report: (result: ListingResult) => void,
): Promise<ListingResult[]> {
  const heaviest = fixtures.heavy.at(-1)!
  const store = context.store
  const cases: Array<{ key: Omit<ListingResult, 'latency'>; query: TaskQuery; samples: number[] }> = []
  for (const sort of SORTS) {
    for (const order of ORDERS) {
      for (const [filter, query] of Object.entries(LISTING_FILTERS)) {
        const shape: TaskQuery = { ...query, sort, order, limit: 50 }
        cases.push({ key: { sort, order, filter, page: 'first' }, query: shape, samples: [] })
        let cursor: string | null = null
        for (let page = 1; page < LATER_PAGE; page++) {
          const next: string | null = (await store.getTasks(heaviest.userId, { ...shape, cursor: cursor ?? undefined }))
            .nextCursor
          if (next === null) break
          cursor = next
        }
        if (cursor !== null) {
          cases.push({ key: { sort, order, filter, page: 'later' }, query: { ...shape, cursor }, samples: [] })
        }
      }
    }
  }
  for (const item of cases) await store.getTasks(heaviest.userId, item.query)
  for (let round = 0; round < iterations; round++) {
    for (const item of cases) item.samples.push(await timeUs(() => store.getTasks(heaviest.userId, item.query)))
  }
  return cases.map(({ key, samples }) => {
    const result = { ...key, latency: summarize(samples) }
    report(result)
    return result
  })
}
