import type { BenchResults } from './bench-results.js'

const WIDTH = 920
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"'
const COLORS = { store: '#2563eb', raw: '#9ca3af', deep: '#16a34a', offset: '#dc2626', rawKeyset: '#6b7280' }

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

/** One SVG: latency per operation for both clients, then the keyset-vs-OFFSET scaling curve. */
export function renderChart(results: BenchResults): string {
  const { machine, postgres, dataset } = results
  const header = [
    text(
      20,
      26,
      `taskstore vs raw pg — ${dataset.tasks.toLocaleString('en-US')} tasks (${results.mode} run)`,
      'font-size="18" font-weight="700"',
    ),
    text(
      20,
      46,
      `geomean p50 ratio ${results.geomeanP50Ratio.toFixed(3)} · throughput ratio ${results.throughput.ratio.toFixed(3)} · ${machine.cpu}, ${machine.cores} cores (load ${machine.loadAverage[0]}), Node ${machine.node}, ${postgres.version.split(' on ')[0]}`,
      'font-size="12" fill="#374151"',
    ),
  ]
  const latency = latencyPanel(results, 60)
  const scaling = scalingPanel(results, 60 + latency.height)
  const height = 60 + latency.height + scaling.height + 10
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ${FONT}>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    ...header,
    latency.svg,
    scaling.svg,
    '</svg>',
    '',
  ].join('\n')
}
