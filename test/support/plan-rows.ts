import { CompiledQuery, type Kysely } from 'kysely'
import pg from 'pg'

/** A node of `EXPLAIN (ANALYZE, FORMAT JSON)`, with the fields read here. */
export interface AnalyzedPlanNode {
  readonly 'Node Type': string
  readonly 'Relation Name'?: string
  readonly 'Index Name'?: string
  readonly 'Actual Rows'?: number
  readonly 'Actual Loops'?: number
  readonly 'Rows Removed by Filter'?: number
  readonly 'Rows Removed by Index Recheck'?: number
  readonly Plans?: readonly AnalyzedPlanNode[]
}

const SCAN_NODES = new Set(['Seq Scan', 'Index Scan', 'Index Only Scan', 'Bitmap Index Scan', 'Bitmap Heap Scan'])

/** One scan of a plan: what it read, and how many rows it touched (returned or filtered away), over all loops. */
export interface ScanRows {
  readonly node: string
  readonly on: string
  readonly rows: number
}

/** Every scan node of a plan with the rows it touched. */
export function scanRows(node: AnalyzedPlanNode): ScanRows[] {
  const own: ScanRows[] = []
  if (SCAN_NODES.has(node['Node Type'])) {
    const perLoop =
      (node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Index Recheck'] ?? 0)
    own.push({
      node: node['Node Type'],
      on: node['Index Name'] ?? node['Relation Name'] ?? '?',
      rows: perLoop * (node['Actual Loops'] ?? 1),
    })
  }
  return [...own, ...(node.Plans ?? []).flatMap(scanRows)]
}

/** Runs `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)` on a statement with its parameters and returns the plan. */
export async function explainAnalyze(
  db: Kysely<any>,
  text: string,
  parameters: readonly unknown[],
): Promise<AnalyzedPlanNode & { 'Execution Time': number }> {
  const result = await db.executeQuery<{ 'QUERY PLAN': [{ Plan: AnalyzedPlanNode; 'Execution Time': number }] }>(
    CompiledQuery.raw(`explain (analyze, buffers, format json) ${text}`, [...parameters]),
  )
  const [top] = result.rows[0]!['QUERY PLAN']
  return { ...top.Plan, 'Execution Time': top['Execution Time'] }
}

/** A bound value as an SQL literal: `EXECUTE`'s arguments cannot be parameters of the statement around it. */
function literal(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return pg.escapeLiteral(value instanceof Date ? value.toISOString() : String(value))
}

/**
 * Like {@link explainAnalyze}, but for the generic plan a prepared
 * statement would settle on: planned once for any values
 * (`plan_cache_mode = force_generic_plan`), then run with these.
 */
export async function explainAnalyzeGeneric(
  db: Kysely<any>,
  text: string,
  parameters: readonly unknown[],
): Promise<AnalyzedPlanNode & { 'Execution Time': number }> {
  return db.connection().execute(async (connection) => {
    await connection.executeQuery(CompiledQuery.raw(`prepare plan_probe as ${text}`))
    try {
      await connection.executeQuery(CompiledQuery.raw('set plan_cache_mode = force_generic_plan'))
      const values = parameters.length > 0 ? `(${parameters.map(literal).join(', ')})` : ''
      const result = await connection.executeQuery<{
        'QUERY PLAN': [{ Plan: AnalyzedPlanNode; 'Execution Time': number }]
      }>(CompiledQuery.raw(`explain (analyze, buffers, format json) execute plan_probe${values}`))
      const [top] = result.rows[0]!['QUERY PLAN']
      return { ...top.Plan, 'Execution Time': top['Execution Time'] }
    } finally {
      await connection.executeQuery(CompiledQuery.raw('reset plan_cache_mode'))
      await connection.executeQuery(CompiledQuery.raw('deallocate plan_probe'))
    }
  })
}
