import { describe, expect, test } from 'vitest'
import { readPlan } from '../../bench/bench-config.js'

describe('npm run bench: reading the command line', () => {
  test('without BENCH_DATABASE_URL or DATABASE_URL it explains what to set and exits non-zero', () => {
    const read = readPlan([], {})
    expect(read).toMatchObject({ exitCode: 1 })
    expect('error' in read && read.error).toMatch(/set BENCH_DATABASE_URL \(or DATABASE_URL\)/)
  })

  test('takes BENCH_DATABASE_URL before DATABASE_URL, and --quick picks the small data set', () => {
    const read = readPlan(['--quick'], { BENCH_DATABASE_URL: 'postgres://bench', DATABASE_URL: 'postgres://app' })
    if (!('plan' in read)) throw new Error(read.error)
    expect(read.plan).toMatchObject({ mode: 'quick', connectionString: 'postgres://bench', resultsName: 'quick' })
    expect(read.plan.dataset.schema).toBe('taskstore_bench_quick')
  })

  test('the full run seeds 10,000 users with about 100 tasks each', () => {
    const read = readPlan([], { DATABASE_URL: 'postgres://app' })
    if (!('plan' in read)) throw new Error(read.error)
    expect(read.plan.dataset).toMatchObject({ schema: 'taskstore_bench', users: 10_000, tasksPerUser: 100 })
    expect(read.plan.dataset.heavyUsers).toEqual(expect.arrayContaining([10_000, 100_000]))
  })

  test('the peers run in the full run unless --no-peers, and in the quick run only with --peers', () => {
    const plans = [[], ['--no-peers'], ['--quick'], ['--quick', '--peers']].map((argv) => {
      const read = readPlan(argv, { DATABASE_URL: 'postgres://app' })
      if (!('plan' in read)) throw new Error(read.error)
      return read.plan.peers
    })
    expect(plans).toEqual([true, false, false, true])
    expect(readPlan(['--peers', '--no-peers'], { DATABASE_URL: 'postgres://app' })).toMatchObject({ exitCode: 1 })
  })

  test('an unknown option is refused with the usage, non-zero', () => {
    const read = readPlan(['--fast'], { DATABASE_URL: 'postgres://app' })
    expect(read).toMatchObject({ exitCode: 1 })
    expect('error' in read && read.error).toMatch(/Unknown option --fast[\s\S]*Usage: npm run bench/)
  })
})
