/** What gets seeded. Changing any field (or SEED_VERSION) makes the next run seed afresh. */
export interface DatasetSpec {
  readonly name: 'full' | 'quick' | 'scale'
  readonly schema: string
  /** Ordinary users, each with `tasksPerUser` tasks. */
  readonly users: number
  readonly tasksPerUser: number
  /** Users with many tasks, ascending; the suites use the last two for deep pages. */
  readonly heavyUsers: readonly number[]
  readonly seedVersion: number
}

/** How long each suite runs. */
export interface BenchPlan {
  readonly mode: 'full' | 'quick'
  readonly connectionString: string
  readonly dataset: DatasetSpec
  readonly reseed: boolean
  /**
   * Rounds per latency measurement; within a round the clients take turns
   * of a few calls, and which goes first rotates from turn to turn (see
   * measureInterleaved).
   */
  readonly rounds: number
  /** Aim for this much time per client and round; iterations follow from a warm-up. */
  readonly roundTargetMs: number
  readonly minIterations: number
  readonly maxIterations: number
  readonly poolMax: number
  readonly throughputWorkers: number
  /** A multiple of the three clients, so each starts a round equally often. */
  readonly throughputRounds: number
  /** Per client and round; the total per client is rounds × this. */
  readonly throughputSegmentMs: number
  /** Where results go: bench/results/<resultsName>.json and its charts. */
  readonly resultsName: 'latest' | 'quick'
  /** Also measure the peers (Kysely, Drizzle, postgres.js, Prisma) in the latency and throughput suites. */
  readonly peers: boolean
}

const SEED_VERSION = 1

const FULL_DATASET: DatasetSpec = {
  name: 'full',
  schema: 'taskstore_bench',
  users: 10_000,
  tasksPerUser: 100,
  heavyUsers: [100, 10_000, 100_000],
  seedVersion: SEED_VERSION,
}

const QUICK_DATASET: DatasetSpec = {
  name: 'quick',
  schema: 'taskstore_bench_quick',
  users: 200,
  tasksPerUser: 50,
  heavyUsers: [100, 1_000, 10_000],
  seedVersion: SEED_VERSION,
}

const USAGE = `Usage: npm run bench [-- --quick] [-- --reseed] [-- --peers | --no-peers]

The peers (plain Kysely, Drizzle, postgres.js and Prisma doing the same
operations) run in the full run unless --no-peers leaves them out, and in
the quick run with --peers.

Set BENCH_DATABASE_URL (or DATABASE_URL) to a PostgreSQL URL, for example
  BENCH_DATABASE_URL=postgres://user@127.0.0.1:5432/db npm run bench
The benchmark seeds its own schema (taskstore_bench, or taskstore_bench_quick
with --quick) and leaves every other schema alone.`

/** Reads the command line and environment; a message and exit code instead when the run cannot start (or for `--help`). */
export function readPlan(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): { plan: BenchPlan } | { error: string; exitCode: number } {
  const unknown = argv.filter((arg) => !['--quick', '--reseed', '--peers', '--no-peers', '--help'].includes(arg))
  if (argv.includes('--help')) return { error: USAGE, exitCode: 0 }
  if (unknown.length > 0) return { error: `Unknown option ${unknown.join(' ')}\n\n${USAGE}`, exitCode: 1 }
  const connectionString = env.BENCH_DATABASE_URL || env.DATABASE_URL
  if (!connectionString) {
    return {
      error: `No database to benchmark against: set BENCH_DATABASE_URL (or DATABASE_URL).\n\n${USAGE}`,
      exitCode: 1,
    }
  }
  const quick = argv.includes('--quick')
  if (argv.includes('--peers') && argv.includes('--no-peers')) {
    return { error: `Both --peers and --no-peers given: choose one\n\n${USAGE}`, exitCode: 1 }
  }
  // about doubles a quick run, which CI makes on every change
  const peers = argv.includes('--peers') || (!quick && !argv.includes('--no-peers'))
  const plan: BenchPlan = quick
    ? {
        mode: 'quick',
        connectionString,
        dataset: QUICK_DATASET,
        reseed: argv.includes('--reseed'),
        rounds: 6,
        roundTargetMs: 40,
        minIterations: 10,
        maxIterations: 100,
        poolMax: 10,
        throughputWorkers: 32,
        throughputRounds: 3,
        throughputSegmentMs: 750,
        resultsName: 'quick',
        peers,
      }
    : {
        mode: 'full',
        connectionString,
        dataset: FULL_DATASET,
        reseed: argv.includes('--reseed'),
        // many short rounds: each gives every client fresh connections, so placement noise averages out
        rounds: 16,
        roundTargetMs: 175,
        minIterations: 15,
        maxIterations: 300,
        poolMax: 10,
        throughputWorkers: 32,
        throughputRounds: 18,
        throughputSegmentMs: 1_000,
        resultsName: 'latest',
        peers,
      }
  return { plan }
}

/** Ids the seed gives its users. */
export const userIds = {
  ordinary: (index: number) => `bench-user-${index}`,
  heavy: (tasks: number) => `bench-heavy-${tasks}`,
  /** Takes every write of the latency suite, so the measured data stays as seeded. */
  scratch: 'bench-scratch',
} as const

/** Tasks the scratch user gets back at the start of every run. */
export const SCRATCH_TASKS = 100

/** The word `getTasks({ search })` looks for; the seed puts it in roughly 5 % of tasks. */
export const SEARCH_TERM = 'invoice'
