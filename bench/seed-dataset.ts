import type { Kysely } from 'kysely'
import type pg from 'pg'
import type { Database } from '../src/index.js'
import { type DatasetSpec, SCRATCH_TASKS, SEARCH_TERM, userIds } from './bench-config.js'
import { createProgressBar } from './progress-bar.js'
import { migrateToLatest } from './subject.js'

const MARKER_TABLE = 'bench_dataset'
const USERS_PER_CHUNK = 500
const HEAVY_TASKS_PER_CHUNK = 10_000

const VERBS = ['Review', 'Call', 'Email', 'Draft', 'Plan', 'Book', 'Fix', 'Update', 'Buy', 'Clean'].concat([
  'Prepare',
  'Schedule',
  'Pay',
  'Renew',
  'Sort',
  'Check',
  'Write',
  'Send',
  'Finish',
  'Organise',
])
// Twenty objects, one of them the search term: about 5 % of titles contain it.
const OBJECTS = ['quarterly report', 'dentist', 'groceries', 'car insurance', 'team meeting', 'flight to Lisbon']
  .concat(['garden', 'budget', 'tax return', 'blog post', 'birthday gift', 'kitchen sink', 'gym membership'])
  .concat([SEARCH_TERM, 'slides', 'bike repair', 'library books', 'passport', 'backlog', 'newsletter'])
const NOTES = [
  'Ask Sam for the latest numbers first.',
  'Needs to happen before the end of the month.',
  'Low effort, do it between meetings.',
  `Attach the ${SEARCH_TERM} from last week.`,
  'Check the shared drive for the template.',
  'Blocked until the supplier answers.',
  'Follow up if there is no reply by Friday.',
  'Split this into smaller steps.',
  'Remember the receipts.',
  'Can be done from the phone.',
]

/** What {@link ensureDataset} did. */
export interface DatasetReport {
  readonly reused: boolean
  readonly seedSeconds: number
  readonly tasks: number
  readonly users: number
}

/**
 * Makes sure the benchmark schema holds the dataset `spec` describes: migrates
 * it with the package's own migrations, seeds it in bulk (INSERT … SELECT over
 * generate_series) when the marker table does not describe the same dataset,
 * and otherwise reuses it. Either way the scratch user's tasks are reset,
 * every user's count deltas folded into one row (earlier runs' writes leave
 * hundreds for some users, which `countTasks` would sum or fold while it is
 * timed) and the tables vacuumed, so every run starts from the same state.
 */
export async function ensureDataset(
  pool: pg.Pool,
  db: Kysely<Database>,
  spec: DatasetSpec,
  reseed: boolean,
): Promise<DatasetReport> {
  const schema = spec.schema
  const params = JSON.stringify(spec)
  const current = reseed ? null : await readMarker(pool, schema)
  const reused = current === params
  const started = performance.now()
  if (!reused) {
    if (current !== null || reseed) process.stderr.write(`Dataset in ${schema} is out of date: seeding afresh.\n`)
    await pool.query(`drop schema if exists ${quote(schema)} cascade`)
  }
  await migrateToLatest(db, { schema })
  if (!reused) await seed(pool, spec)
  await resetScratchUser(pool, schema)
  await foldCountDeltas(pool, schema)
  await vacuum(pool, schema, reused ? 'VACUUM ANALYZE' : 'VACUUM ANALYZE (after seeding)')
  if (!reused) await writeMarker(pool, schema, params)
  const { rows } = await pool.query<{ tasks: string; users: string }>(
    `select (select count(*) from ${quote(schema)}.tasks) as tasks, (select count(*) from ${quote(schema)}.users) as users`,
  )
  return {
    reused,
    seedSeconds: reused ? 0 : (performance.now() - started) / 1000,
    tasks: Number(rows[0]!.tasks),
    users: Number(rows[0]!.users),
  }
}

/** `"schema"` — the benchmark's schema names are plain identifiers, checked by createDatabase. */
export function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`
}

async function readMarker(pool: pg.Pool, schema: string): Promise<string | null> {
  const { rows } = await pool.query<{ found: boolean }>(
    'select count(*) > 0 as found from information_schema.tables where table_schema = $1 and table_name = $2',
    [schema, MARKER_TABLE],
  )
  if (!rows[0]?.found) return null
  const marker = await pool.query<{ params: string }>(`select params from ${quote(schema)}.${MARKER_TABLE}`)
  return marker.rows[0]?.params ?? null
}

async function writeMarker(pool: pg.Pool, schema: string, params: string): Promise<void> {
  await pool.query(
    `create table ${quote(schema)}.${MARKER_TABLE} (params text not null, seeded_at timestamptz not null default now())`,
  )
  await pool.query(`insert into ${quote(schema)}.${MARKER_TABLE} (params) values ($1)`, [params])
}

async function seed(pool: pg.Pool, spec: DatasetSpec): Promise<void> {
  const schema = quote(spec.schema)
  const client = await pool.connect()
  try {
    // Seeding only: these settings live and die with this session.
    await client.query(`set synchronous_commit = off`)
    await client.query(`set maintenance_work_mem = '512MB'`)
    const indexes = await dropSecondaryIndexes(client, spec.schema)

    const heavy = spec.heavyUsers.map((tasks) => userIds.heavy(tasks))
    await client.query(
      `insert into ${schema}.users (id, email, name, created_at, updated_at)
       select id, id || '@bench.example', initcap(replace(id, '-', ' ')), now() - interval '400 days', now() - interval '400 days'
       from (select 'bench-user-' || i as id from generate_series(1, $1::int) i
             union all select unnest($2::text[])) ids`,
      [spec.users, [...heavy, userIds.scratch]],
    )

    const totalTasks = spec.users * spec.tasksPerUser + spec.heavyUsers.reduce((sum, tasks) => sum + tasks, 0)
    const bar = createProgressBar(`Seeding ${spec.schema}: tasks`, totalTasks)
    for (let first = 1; first <= spec.users; first += USERS_PER_CHUNK) {
      const last = Math.min(spec.users, first + USERS_PER_CHUNK - 1)
      const result = await client.query(
        insertTasksSql(schema, `'bench-user-' || u`, 'generate_series($1::int, $2::int) u'),
        [first, last, spec.tasksPerUser],
      )
      bar.advance(result.rowCount ?? 0)
    }
    for (const tasks of spec.heavyUsers) {
      for (let first = 1; first <= tasks; first += HEAVY_TASKS_PER_CHUNK) {
        const last = Math.min(tasks, first + HEAVY_TASKS_PER_CHUNK - 1)
        const result = await client.query(
          insertTasksSql(schema, '$1::text', '(select 1) u', 'generate_series($2::int, $3::int)'),
          [userIds.heavy(tasks), first, last],
        )
        bar.advance(result.rowCount ?? 0)
      }
    }
    bar.finish()

    const indexBar = createProgressBar(`Seeding ${spec.schema}: indexes`, indexes.length)
    for (const { definition } of indexes) {
      await client.query(definition)
      indexBar.advance(1)
    }
    indexBar.finish()
  } finally {
    client.release()
  }
}

/**
 * One INSERT … SELECT producing every task of a range of users. The titles
 * read like real ones ("Pay tax return 17"), 80 % have a description, 30 % are
 * completed with completed_at after created_at (the CHECK holds), priorities
 * are spread 1–5 and created_at over the last year.
 */
function insertTasksSql(
  schema: string,
  userExpr: string,
  users: string,
  numbers = 'generate_series(1, $3::int)',
): string {
  const pick = (words: readonly string[]) =>
    `(array[${words.map((word) => `'${word.replaceAll("'", "''")}'`).join(', ')}])[1 + floor(random() * ${words.length})::int]`
  return `
    insert into ${schema}.tasks (user_id, title, description, completed, completed_at, priority, created_at, updated_at)
    select user_id, title, description, done, done_at, priority, created, coalesce(done_at, touched)
    from (
      select user_id, title, description, done, priority, created,
             case when done then least(now(), created + r_done * interval '20 days') end as done_at,
             least(now(), created + r_touch * interval '30 days') as touched
      from (
        select ${userExpr} as user_id,
               ${pick(VERBS)} || ' ' || ${pick(OBJECTS)} || ' ' || n as title,
               case when random() < 0.8 then ${pick(NOTES)} || case when random() < 0.5 then ' ' || ${pick(NOTES)} else '' end end as description,
               random() < 0.3 as done,
               1 + floor(random() * 5)::int as priority,
               now() - random() * interval '365 days' as created,
               random() as r_done,
               random() as r_touch
        from ${users}, ${numbers} n
      ) raw
    ) shaped`
}

interface IndexDefinition {
  readonly name: string
  readonly definition: string
}

/**
 * Building indexes once after the load is several times faster than keeping
 * them up to date row by row. Only indexes that back no constraint are
 * dropped; their exact definitions (whatever the migrations made) come back.
 */
async function dropSecondaryIndexes(client: pg.PoolClient, schema: string): Promise<IndexDefinition[]> {
  const { rows } = await client.query<IndexDefinition>(
    `select i.indexname as name, i.indexdef as definition
     from pg_indexes i
     where i.schemaname = $1 and i.tablename = 'tasks'
       and not exists (select 1 from pg_constraint c where c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)`,
    [schema],
  )
  for (const { name } of rows) await client.query(`drop index ${quote(schema)}.${quote(name)}`)
  return rows
}

async function resetScratchUser(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`delete from ${quote(schema)}.tasks where user_id = $1`, [userIds.scratch])
  await pool.query(insertTasksSql(quote(schema), '$1::text', '(select 1) u', 'generate_series(1, $2::int)'), [
    userIds.scratch,
    SCRATCH_TASKS,
  ])
}

/** Leaves one count delta per user, their sum, as a fresh seed does (the store folds the same way). */
async function foldCountDeltas(pool: pg.Pool, schema: string): Promise<void> {
  const deltas = `${quote(schema)}.task_count_deltas`
  await pool.query(`
    with sums as (
      select user_id, (array_agg(id order by id))[1] as keep, sum(total) as total, sum(completed) as completed
      from ${deltas} group by user_id having count(*) > 1
    ), kept as (
      update ${deltas} as d set total = s.total, completed = s.completed from sums s
      where d.user_id = s.user_id and d.id = s.keep
    )
    delete from ${deltas} as d using sums s where d.user_id = s.user_id and d.id <> s.keep`)
}

async function vacuum(pool: pg.Pool, schema: string, label: string): Promise<void> {
  const tables = ['users', 'tasks', 'task_count_deltas']
  const bar = createProgressBar(`${label} ${schema}`, tables.length)
  for (const table of tables) {
    await pool.query(`vacuum analyze ${quote(schema)}.${table}`)
    bar.advance(1)
  }
  bar.finish()
}
