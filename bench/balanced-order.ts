/**
 * The order in which `count` clients take their turns in the `index`th
 * sequence, from a Williams design: over {@link balancedPeriod} sequences
 * every client takes every place equally often and follows every other
 * client equally often. A plain rotation gives each client every place
 * too, but always puts the same client right before another, so whatever
 * one leaves behind (garbage to collect, connections closing on the
 * server) always lands on the same next one.
 *
 * @example
 * ```ts
 * balancedOrder(4, 0) // [0, 3, 1, 2]
 * balancedOrder(4, 1) // [1, 0, 2, 3]
 * ```
 */
export function balancedOrder(count: number, index: number): number[] {
  const row = index % balancedPeriod(count)
  // 0, n-1, 1, n-2, 2, …: every difference between neighbours is a different one modulo n
  const base = Array.from({ length: count }, (_, k) => (k % 2 === 0 ? k / 2 : count - (k + 1) / 2))
  // for an odd count the design needs the mirrored sequences too
  const sequence = row < count ? base : base.reverse()
  return sequence.map((client) => (client + row) % count)
}

/** How many sequences {@link balancedOrder} takes to balance `count` clients: `count`, twice that when it is odd. */
export function balancedPeriod(count: number): number {
  return count % 2 === 0 ? count : 2 * count
}
