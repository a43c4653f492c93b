/** Latency percentiles of one operation for one client, in microseconds. */
export interface LatencySummary {
  readonly p50Us: number
  readonly p95Us: number
  readonly p99Us: number
  readonly samples: number
}

/** Nearest-rank percentiles of samples given in microseconds. */
export function summarize(samplesUs: readonly number[]): LatencySummary {
  const sorted = [...samplesUs].sort((a, b) => a - b)
  const at = (p: number) => {
    if (sorted.length === 0) return Number.NaN
    const rank = Math.ceil((p / 100) * sorted.length)
    return Math.round(sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!)
  }
  return { p50Us: at(50), p95Us: at(95), p99Us: at(99), samples: sorted.length }
}

/** The geometric mean, the fair average of ratios. */
export function geometricMean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  return Math.exp(values.reduce((sum, value) => sum + Math.log(value), 0) / values.length)
}

/** Runs `call` once and returns how long it took, in microseconds. */
export async function timeUs(call: () => Promise<unknown>): Promise<number> {
  const started = performance.now()
  await call()
  return (performance.now() - started) * 1000
}

/** A small seeded PRNG (mulberry32), so both clients see the same sequence of choices. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
