import os from 'node:os'
import type pg from 'pg'

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
