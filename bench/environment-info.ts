import os from 'node:os'
import type pg from 'pg'
import { summarize } from './stats.js'

export interface MachineInfo {
  readonly cpu: string
  readonly cores: number
  readonly memoryGiB: number
  readonly os: string
  readonly node: string
  /** 1, 5 and 15-minute load averages when the run started: above `cores`, other work competed for the CPU. */
  readonly loadAverage: readonly number[]
}

export interface PostgresInfo {
  readonly version: string
  readonly settings: Readonly<Record<string, string>>
}

const SETTINGS = [
  'shared_buffers',
  'work_mem',
  'effective_cache_size',
  'random_page_cost',
  'jit',
  'synchronous_commit',
  'autovacuum',
  'autovacuum_vacuum_scale_factor',
  'autovacuum_naptime',
  'plan_cache_mode',
]

export function describeMachine(): MachineInfo {
  const cpus = os.cpus()
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverage: os.loadavg().map((load) => Math.round(load * 100) / 100),
  }
}

export async function describePostgres(pool: pg.Pool): Promise<PostgresInfo> {
  const version = await pool.query<{ version: string }>('select version()')
  const settings = await pool.query<{ name: string; setting: string; unit: string | null }>(
    'select name, setting, unit from pg_settings where name = any($1) order by name',
    [SETTINGS],
  )
  return {
    version: version.rows[0]!.version,
    settings: Object.fromEntries(
      settings.rows.map((row) => [row.name, row.unit ? `${row.setting} ${row.unit}` : row.setting]),
    ),
  }
}

/**
 * Fixed work timed on both sides at the start of a run. This machine's
 * speed changes from day to day (the same run has taken twice as long), so
 * numbers from runs on different days compare only beside these.
 */
export interface SpeedReference {
  /** Best of three: the server counting the rows of a million-row series, ms. */
  readonly serverMs: number
  /** Best of three: this process sorting the same 200,000 pseudo-random numbers, ms. */
  readonly clientMs: number
  /** p50 of 300 `select 1` round trips on one connection, µs. */
  readonly roundTripUs: number
}

export async function measureSpeed(pool: pg.Pool): Promise<SpeedReference> {
  const client = await pool.connect()
  try {
    const server: number[] = []
    for (let k = 0; k < 3; k++) {
      const started = performance.now()
      await client.query('select count(*) from generate_series(1, 1000000)')
      server.push(performance.now() - started)
    }
    const roundTrips: number[] = []
    for (let k = 0; k < 300; k++) {
      const started = performance.now()
      await client.query('select 1')
      roundTrips.push((performance.now() - started) * 1000)
    }
    return {
      serverMs: Math.round(Math.min(...server)),
      clientMs: Math.round(Math.min(sortingMs(), sortingMs(), sortingMs()) * 10) / 10,
      roundTripUs: summarize(roundTrips).p50Us,
    }
  } finally {
    client.release()
  }
}

function sortingMs(): number {
  let seed = 42
  const numbers = Array.from({ length: 200_000 }, () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
    return seed
  })
  const started = performance.now()
  numbers.sort((a, b) => a - b)
  return performance.now() - started
}

export function speedLine({ serverMs, clientMs, roundTripUs }: SpeedReference): string {
  return `speed reference: server ${serverMs} ms (count of a 1,000,000-row series), client ${clientMs} ms (sort of 200,000 numbers), select 1 ${roundTripUs} µs p50`
}
