import type { BenchResults } from './bench-results.js'

const WIDTH = 920
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"'
const COLORS = {
  store: '#2563eb',
  storeUnprepared: '#93c5fd',
  raw: '#9ca3af',
  deep: '#16a34a',
  offset: '#dc2626',
  rawKeyset: '#6b7280',
}
const UNPREPARED_LABEL = 'taskstore, preparedStatements: false'
const PEER_COLORS: Record<string, string> = {
  kysely: '#7c3aed',
  drizzle: '#65a30d',
  'postgres.js': '#0891b2',
  prisma: '#db2777',
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!)
}

function text(x: number, y: number, content: string, attributes = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attributes}>${escapeXml(content)}</text>`
}

/** Maps [low, high] to [from, to] on a log scale. */
function logScale(low: number, high: number, from: number, to: number): (value: number) => number {
  const a = Math.log10(low)
  const b = Math.log10(high)
  return (value) => from + ((Math.log10(Math.max(value, low)) - a) / (b - a)) * (to - from)
}

/** 1-2-5 ticks covering [low, high]. */
function ticks(low: number, high: number): number[] {
  const out: number[] = []
  for (let decade = 10 ** Math.floor(Math.log10(low)); decade <= high; decade *= 10) {
    for (const step of [1, 2, 5]) {
      const value = step * decade
      if (value >= low && value <= high) out.push(value)
    }
  }
  return out
}

function bounds(values: readonly number[]): [number, number] {
  const low = 10 ** Math.floor(Math.log10(Math.min(...values)))
  const high = 10 ** Math.ceil(Math.log10(Math.max(...values)))
  return [low, high]
}

const duration = (us: number) => (us >= 1000 ? `${us / 1000} ms` : `${us} µs`)

/** Horizontal bars: p50 per operation for both clients, a whisker to p95. */
function latencyPanel(results: BenchResults, top: number): { svg: string; height: number } {
  const left = 230
  const right = WIDTH - 30
  const rowHeight = 30
  const chartTop = top + 48
  const height = 48 + results.ops.length * rowHeight + 40
  const values = results.ops.flatMap((op) => [op.store.p50Us, op.raw.p50Us, op.store.p95Us, op.raw.p95Us])
  const [low, high] = bounds(values)
  const x = logScale(low, high, left, right)
  const parts: string[] = [
    text(
      20,
      top + 20,
      'Latency per operation: p50 bar, whisker to p95 (log scale)',
      `font-size="15" font-weight="600"`,
    ),
    `<rect x="${left}" y="${top + 28}" width="12" height="10" fill="${COLORS.store}"/>`,
    text(left + 16, top + 37, 'taskstore', 'font-size="12"'),
    `<rect x="${left + 90}" y="${top + 28}" width="12" height="10" fill="${COLORS.raw}"/>`,
    text(left + 106, top + 37, 'raw pg, same SQL', 'font-size="12"'),
  ]
  const bottom = chartTop + results.ops.length * rowHeight
  for (const tick of ticks(low, high)) {
    parts.push(`<line x1="${x(tick)}" y1="${chartTop}" x2="${x(tick)}" y2="${bottom}" stroke="#e5e7eb"/>`)
    parts.push(text(x(tick), bottom + 16, duration(tick), 'font-size="11" text-anchor="middle" fill="#374151"'))
  }
  results.ops.forEach((op, k) => {
    const y = chartTop + k * rowHeight
    parts.push(text(left - 8, y + 19, `${op.op}  ×${op.p50Ratio.toFixed(2)}`, 'font-size="12" text-anchor="end"'))
    for (const [offset, summary, color] of [
      [4, op.store, COLORS.store],
      [15, op.raw, COLORS.raw],
    ] as const) {
      const barY = y + offset
      parts.push(
        `<rect x="${left}" y="${barY}" width="${(x(summary.p50Us) - left).toFixed(1)}" height="10" fill="${color}"><title>${escapeXml(`${op.op}: p50 ${summary.p50Us} µs, p95 ${summary.p95Us} µs`)}</title></rect>`,
        `<line x1="${x(summary.p50Us).toFixed(1)}" y1="${barY + 5}" x2="${x(summary.p95Us).toFixed(1)}" y2="${barY + 5}" stroke="${color}"/>`,
        `<line x1="${x(summary.p95Us).toFixed(1)}" y1="${barY + 1}" x2="${x(summary.p95Us).toFixed(1)}" y2="${barY + 9}" stroke="${color}"/>`,
      )
    }
  })
  return { svg: parts.join('\n'), height }
}

/** p50 of the first and the deepest page against tasks per user, keyset vs OFFSET. */
function scalingPanel(results: BenchResults, top: number): { svg: string; height: number } {
  const left = 80
  const right = WIDTH - 220
  const chartTop = top + 40
  const chartBottom = chartTop + 260
  const series = [
    { label: 'taskstore first page', color: COLORS.store, values: results.scaling.map((p) => p.store.first.p50Us) },
    {
      label: 'taskstore deep page (keyset)',
      color: COLORS.deep,
      values: results.scaling.map((p) => p.store.deep.p50Us),
    },
    {
      label: 'raw pg deep page (keyset)',
      color: COLORS.rawKeyset,
      values: results.scaling.map((p) => p.raw.deep.p50Us),
    },
    {
      label: 'raw pg deep page (OFFSET)',
      color: COLORS.offset,
      values: results.scaling.map((p) => p.raw.offset.p50Us),
    },
  ]
  const tasks = results.scaling.map((p) => p.tasks)
  const [xLow, xHigh] = bounds(tasks)
  const [yLow, yHigh] = bounds(series.flatMap((s) => s.values))
  const x = logScale(xLow, xHigh, left, right)
  const y = logScale(yLow, yHigh, chartBottom, chartTop)
  const parts: string[] = [
    text(
      20,
      top + 20,
      'Page latency p50 vs tasks per user: last full page by keyset vs OFFSET (log–log)',
      `font-size="15" font-weight="600"`,
    ),
  ]
  for (const tick of ticks(yLow, yHigh)) {
    parts.push(`<line x1="${left}" y1="${y(tick)}" x2="${right}" y2="${y(tick)}" stroke="#e5e7eb"/>`)
    parts.push(text(left - 6, y(tick) + 4, duration(tick), 'font-size="11" text-anchor="end" fill="#374151"'))
  }
  for (const value of tasks) {
    parts.push(`<line x1="${x(value)}" y1="${chartTop}" x2="${x(value)}" y2="${chartBottom}" stroke="#e5e7eb"/>`)
    parts.push(
      text(x(value), chartBottom + 16, `${value.toLocaleString('en-US')} tasks`, 'font-size="11" text-anchor="middle"'),
    )
  }
  series.forEach((s, k) => {
    const points = s.values.map((value, i) => `${x(tasks[i]!).toFixed(1)},${y(value).toFixed(1)}`)
    parts.push(`<polyline points="${points.join(' ')}" fill="none" stroke="${s.color}" stroke-width="2"/>`)
    s.values.forEach((value, i) => {
      parts.push(
        `<circle cx="${x(tasks[i]!).toFixed(1)}" cy="${y(value).toFixed(1)}" r="3.5" fill="${s.color}"><title>${escapeXml(`${s.label}, ${tasks[i]} tasks: ${value} µs`)}</title></circle>`,
      )
    })
    const legendY = chartTop + 10 + k * 20
    parts.push(
      `<line x1="${right + 20}" y1="${legendY}" x2="${right + 40}" y2="${legendY}" stroke="${s.color}" stroke-width="2"/>`,
    )
    parts.push(text(right + 46, legendY + 4, s.label, 'font-size="12"'))
  })
  return { svg: parts.join('\n'), height: chartBottom + 30 - top }
}

function legend(items: ReadonlyArray<readonly [label: string, color: string]>, x: number, y: number): string[] {
  const parts: string[] = []
  let at = x
  for (const [label, color] of items) {
    parts.push(`<rect x="${at}" y="${y}" width="12" height="10" fill="${color}"/>`)
    parts.push(text(at + 16, y + 9, label, 'font-size="12"'))
    at += 28 + label.length * 7
  }
  return parts
}

/** Per operation, every client's p50 over raw pg's: one bar each, a line at 1.0 (raw pg). */
function ratioPanel(results: BenchResults, top: number): { svg: string; height: number } {
  const names = results.ops[0]?.peers?.map((peer) => peer.name) ?? []
  const withUnprepared = results.ops.every((op) => op.unprepared)
  const clients: Array<readonly [string, string]> = [
    ['taskstore', COLORS.store],
    ...(withUnprepared ? [[UNPREPARED_LABEL, COLORS.storeUnprepared] as const] : []),
    ...names.map((name) => [name, PEER_COLORS[name] ?? '#374151'] as const),
  ]
  const left = 230
  const right = WIDTH - 70
  const bar = 7
  const rowHeight = clients.length * bar + 10
  const chartTop = top + 48
  const bottom = chartTop + results.ops.length * rowHeight
  const ratiosOf = (op: BenchResults['ops'][number]) => [
    op.p50Ratio,
    ...(withUnprepared ? [op.unprepared!.p50Ratio] : []),
    ...(op.peers ?? []).map((peer) => peer.p50Ratio),
  ]
  const all = results.ops.flatMap(ratiosOf)
  // room left of the smallest bar for its label
  const low = Math.min(0.5, Math.min(...all) / 1.6)
  const [, high] = bounds([Math.max(2, ...all)])
  const x = logScale(low, high, left, right)
  const parts: string[] = [
    text(
      20,
      top + 20,
      'p50 ratio to raw pg per operation, every client (log scale; left of 1 is faster)',
      `font-size="15" font-weight="600"`,
    ),
    ...legend(clients, left, top + 28),
  ]
  for (const tick of [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000].filter((t) => t >= low && t <= high)) {
    const stroke = tick === 1 ? '#111827' : '#e5e7eb'
    parts.push(`<line x1="${x(tick)}" y1="${chartTop}" x2="${x(tick)}" y2="${bottom}" stroke="${stroke}"/>`)
    parts.push(text(x(tick), bottom + 16, `×${tick}`, 'font-size="11" text-anchor="middle" fill="#374151"'))
  }
  results.ops.forEach((op, k) => {
    const y = chartTop + k * rowHeight
    parts.push(text(left - 8, y + rowHeight / 2 + 3, op.op, 'font-size="12" text-anchor="end"'))
    ratiosOf(op).forEach((ratio, c) => {
      const [client, color] = clients[c]!
      const barY = y + 4 + c * bar
      const from = Math.min(x(1), x(ratio))
      const width = Math.abs(x(ratio) - x(1))
      parts.push(
        `<rect x="${from.toFixed(1)}" y="${barY}" width="${Math.max(width, 1).toFixed(1)}" height="${bar - 1}" fill="${color}"><title>${escapeXml(`${op.op}, ${client}: ×${ratio.toFixed(2)} raw pg's p50`)}</title></rect>`,
      )
      const label = ratio < 1 ? [x(ratio) - 3, 'end'] : [x(ratio) + 3, 'start']
      parts.push(
        text(
          label[0] as number,
          barY + bar - 1,
          ratio.toFixed(2),
          `font-size="8" fill="#374151" text-anchor="${label[1]}"`,
        ),
      )
    })
  })
  return { svg: parts.join('\n'), height: bottom + 30 - top }
}

/** Mixed-load throughput per client: ops/s bars. */
function throughputPanel(results: BenchResults, top: number): { svg: string; height: number } {
  const t = results.throughput
  const rows: Array<readonly [string, number, string]> = [
    ['raw pg', t.rawOpsPerSec, COLORS.raw],
    ['raw pg + taskstore parser', t.rawFastTimestampsOpsPerSec, COLORS.rawKeyset],
    ['taskstore', t.storeOpsPerSec, COLORS.store],
    ...(t.unprepared ? [[UNPREPARED_LABEL, t.unprepared.opsPerSec, COLORS.storeUnprepared] as const] : []),
    ...(t.peers ?? []).map((peer) => [peer.name, peer.opsPerSec, PEER_COLORS[peer.name] ?? '#374151'] as const),
  ]
  const left = 230
  const right = WIDTH - 120
  const rowHeight = 22
  const chartTop = top + 34
  const max = Math.max(...rows.map(([, value]) => value))
  const scale = (value: number) => left + (value / max) * (right - left)
  const parts: string[] = [
    text(
      20,
      top + 20,
      `Mixed throughput, ops/s: ${t.workers} workers on a pool of ${t.poolMax} each, ${t.secondsPerClient} s per client`,
      `font-size="15" font-weight="600"`,
    ),
  ]
  rows.forEach(([label, value, color], k) => {
    const y = chartTop + k * rowHeight
    parts.push(text(left - 8, y + 13, label, 'font-size="12" text-anchor="end"'))
    parts.push(
      `<rect x="${left}" y="${y + 3}" width="${(scale(value) - left).toFixed(1)}" height="13" fill="${color}"><title>${escapeXml(`${label}: ${value.toFixed(0)} ops/s`)}</title></rect>`,
    )
    parts.push(
      text(scale(value) + 6, y + 13, `${value.toFixed(0)} (×${(value / t.rawOpsPerSec).toFixed(2)})`, 'font-size="11"'),
    )
  })
  return { svg: parts.join('\n'), height: 34 + rows.length * rowHeight + 16 }
}

/**
 * One SVG: latency per operation, taskstore vs raw pg; every client's p50
 * ratio to raw pg per operation (when the run had peers); throughput per
 * client; the keyset-vs-OFFSET scaling curve.
 */
export function renderChart(results: BenchResults): string {
  const { machine, postgres, dataset } = results
  const header = [
    text(
      20,
      26,
      `taskstore vs raw pg${results.throughput.peers ? ' and peers' : ''} — ${dataset.tasks.toLocaleString('en-US')} tasks (${results.mode} run)`,
      'font-size="18" font-weight="700"',
    ),
    text(
      20,
      46,
      `geomean p50 ratio ${results.geomeanP50Ratio.toFixed(3)} · throughput ratio ${results.throughput.ratio.toFixed(3)} · ${machine.cpu}, ${machine.cores} cores (load ${machine.loadAverage[0]}), Node ${machine.node}, ${postgres.version.split(' on ')[0]}`,
      'font-size="12" fill="#374151"',
    ),
  ]
  const panels: Array<{ svg: string; height: number }> = []
  let top = 60
  for (const panel of [latencyPanel, ...(results.ops[0]?.peers ? [ratioPanel] : []), throughputPanel, scalingPanel]) {
    const drawn = panel(results, top)
    panels.push(drawn)
    top += drawn.height
  }
  const height = top + 10
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ${FONT}>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    ...header,
    ...panels.map((panel) => panel.svg),
    '</svg>',
    '',
  ].join('\n')
}
