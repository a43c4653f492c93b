import type { BenchResults } from './bench-results.js'
import { speedLine } from './environment-info.js'
import type { OpResult } from './latency-suite.js'
import type { ScalingPoint } from './scaling-suite.js'
import { geometricMean, type LatencySummary } from './stats.js'

const us = (value: number) => Math.round(value).toLocaleString('en-US')

function table(header: readonly string[], rows: readonly (readonly string[])[], leftColumns = 1): string {
  const widths = header.map((cell, k) => Math.max(cell.length, ...rows.map((row) => row[k]!.length)))
  const line = (cells: readonly string[]) =>
    cells.map((cell, k) => (k < leftColumns ? cell.padEnd(widths[k]!) : cell.padStart(widths[k]!))).join('  ')
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n')
}

export function opLine(result: OpResult): string {
  const unprepared = result.unprepared ? `, unprepared ${result.unprepared.p50Ratio.toFixed(2)}` : ''
  const peers = `${unprepared}${(result.peers ?? []).map((peer) => `, ${peer.name} ${peer.p50Ratio.toFixed(2)}`).join('')}`
  return `${result.op}: store p50 ${us(result.store.p50Us)} µs, raw p50 ${us(result.raw.p50Us)} µs, ratio ${result.p50Ratio.toFixed(3)} (own code ${result.ownCodeRatio.toFixed(3)}${peers})`
}

/** Every client's p50 over raw pg's, per operation: taskstore beside the peers. */
function peerRatioTable(results: BenchResults): string[] {
  const names = results.ops[0]?.peers?.map((peer) => peer.name) ?? []
  if (names.length === 0) return []
  const withUnprepared = results.ops.every((op) => op.unprepared)
  return [
    '',
    'p50 ratio to raw pg per client (lower is faster; the same operation, each peer written its own way)',
    table(
      ['operation', 'taskstore', ...(withUnprepared ? ['unprepared'] : []), ...names, 'fastest peer'],
      results.ops.map((op) => {
        const fastest = op.peers!.reduce((best, peer) => (peer.p50Ratio < best.p50Ratio ? peer : best))
        return [
          op.op,
          op.p50Ratio.toFixed(2),
          ...(withUnprepared ? [op.unprepared!.p50Ratio.toFixed(2)] : []),
          ...op.peers!.map((peer) => peer.p50Ratio.toFixed(2)),
          `${fastest.name}${fastest.p50Ratio < op.p50Ratio ? ' (ahead of taskstore)' : ''}`,
        ]
      }),
    ),
    `geometric mean: taskstore ${results.geomeanP50Ratio.toFixed(3)}${
      withUnprepared
        ? ` (unprepared ${geometricMean(results.ops.map((op) => op.unprepared!.p50Ratio)).toFixed(3)})`
        : ''
    }, ${names
      .map(
        (name) =>
          `${name} ${geometricMean(results.ops.map((op) => op.peers!.find((p) => p.name === name)!.p50Ratio)).toFixed(3)}`,
      )
      .join(', ')}`,
  ]
}

export function scalingLine(point: ScalingPoint): string {
  return `${point.tasks.toLocaleString('en-US')} tasks: first ${us(point.store.first.p50Us)} µs, deep ${us(point.store.deep.p50Us)} µs, OFFSET ${us(point.raw.offset.p50Us)} µs`
}

function throughputRow(client: string, opsPerSec: number, latency: LatencySummary, errors: number): string[] {
  return [client, opsPerSec.toFixed(0), us(latency.p50Us), us(latency.p95Us), us(latency.p99Us), String(errors)]
}

/** The whole run as plain-text tables, for stdout. */
export function formatReport(results: BenchResults): string {
  const { dataset, machine, postgres } = results
  const out: string[] = []
  out.push(
    `taskstore benchmark (${results.mode}) — ${dataset.tasks.toLocaleString('en-US')} tasks, ${dataset.users.toLocaleString('en-US')} users in ${dataset.schema}`,
    `${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}`,
    `load average ${machine.loadAverage.join(' / ')} at the start, ${results.loadAverageAtEnd.join(' / ')} at the end`,
    ...(results.speed ? [speedLine(results.speed)] : []),
    `${postgres.version.split(' on ')[0]}`,
    '',
    'Latency per call (µs), taskstore vs raw pg sending the same SQL, interleaved rounds',
    "(raw+parser: raw pg reading timestamps with taskstore's parser; own code = store p50 / raw+parser p50)",
    table(
      ['operation', 'store p50', 'p95', 'p99', 'raw p50', 'p95', 'p99', 'p50 ratio', 'raw+parser p50', 'own code'],
      results.ops.map((op) => [
        op.op,
        us(op.store.p50Us),
        us(op.store.p95Us),
        us(op.store.p99Us),
        us(op.raw.p50Us),
        us(op.raw.p95Us),
        us(op.raw.p99Us),
        op.p50Ratio.toFixed(3),
        us(op.rawFastTimestamps.p50Us),
        op.ownCodeRatio.toFixed(3),
      ]),
    ),
    `geometric mean of p50 ratios: ${results.geomeanP50Ratio.toFixed(3)} (own code alone: ${results.geomeanOwnCodeRatio.toFixed(3)})`,
    ...peerRatioTable(results),
    '',
    'Scaling: p50 (µs) of the first page and of the last full page, keyset vs OFFSET',
    table(
      [
        'tasks',
        'depth',
        'store first',
        'store deep',
        'deep/first',
        'raw first',
        'raw keyset',
        'raw OFFSET',
        'OFFSET/keyset',
      ],
      results.scaling.map((point) => [
        point.tasks.toLocaleString('en-US'),
        point.depth.toLocaleString('en-US'),
        us(point.store.first.p50Us),
        us(point.store.deep.p50Us),
        point.deepOverFirst.toFixed(2),
        us(point.raw.first.p50Us),
        us(point.raw.deep.p50Us),
        us(point.raw.offset.p50Us),
        point.offsetOverKeyset.toFixed(1),
      ]),
      0,
    ),
  )
  const t = results.throughput
  out.push(
    '',
    `Throughput: ${t.workers} workers, pool max ${t.poolMax}, ${t.secondsPerClient} s per client, mix ${Object.entries(
      t.mix,
    )
      .map(([op, share]) => `${op} ${Math.round(share * 100)}%`)
      .join(' / ')}`,
    table(
      ['client', 'ops/s', 'p50 µs', 'p95 µs', 'p99 µs', 'errors'],
      [
        throughputRow('taskstore', t.storeOpsPerSec, t.store, t.errors.store),
        ...(t.unprepared
          ? [throughputRow('taskstore, unprepared', t.unprepared.opsPerSec, t.unprepared.latency, t.unprepared.errors)]
          : []),
        throughputRow('raw pg', t.rawOpsPerSec, t.raw, t.errors.raw),
        throughputRow('raw pg + parser', t.rawFastTimestampsOpsPerSec, t.rawFastTimestamps, t.errors.rawFastTimestamps),
        ...(t.peers ?? []).map((peer) => throughputRow(peer.name, peer.opsPerSec, peer.latency, peer.errors)),
      ],
    ),
    `throughput ratio: ${t.ratio.toFixed(3)} (own code alone: ${t.ownCodeRatio.toFixed(3)}${
      t.unprepared ? `; unprepared ${t.unprepared.ratio.toFixed(3)}` : ''
    })${(t.peers ?? []).map((peer) => `; ${peer.name} ${peer.ratio.toFixed(3)}`).join('')}`,
  )
  const c = results.countAfterUpdates
  out.push(
    '',
    `countTasks, ${c.userTasks.toLocaleString('en-US')}-task user: after VACUUM, and after ${c.updates.toLocaleString('en-US')} updates (${c.updateSeconds.toFixed(1)} s, ${c.deadTuplesAfter?.toLocaleString('en-US') ?? '?'} dead rows${c.autovacuumDuringMeasurement ? ', autovacuum ran meanwhile' : ', no autovacuum meanwhile'})`,
    table(
      ['phase', 'store p50', 'p95', 'raw same SQL p50', 'p95', 'plain count(*) p50', 'p95'],
      (
        [
          ['after VACUUM', c.before],
          ['after updates', c.after],
        ] as const
      ).map(([phase, p]) => [
        phase,
        us(p.store.p50Us),
        us(p.store.p95Us),
        us(p.raw.p50Us),
        us(p.raw.p95Us),
        us(p.plainCount.p50Us),
        us(p.plainCount.p95Us),
      ]),
    ),
    `counts consistent after the updates: ${c.consistent ? 'yes' : 'NO'}; VACUUM afterwards took ${c.vacuumSecondsAfter.toFixed(1)} s`,
  )
  out.push(
    '',
    'Targets',
    table(
      ['target', 'goal', 'measured', ''],
      results.targets.map((target) => [target.name, target.goal, target.measured, target.met ? 'met' : 'NOT MET']),
      3,
    ),
  )
  return out.join('\n')
}
