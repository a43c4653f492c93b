// What postgres.js's pipelining is worth under the mixed load: the throughput suite's load (32 workers on pools
// of 10) for taskstore, postgres.js as the bench runs it, and postgres.js sending a connection's next statement
// only once the last has answered, as `pg` does, in balanced segments.
//   npx tsx bench/pipelining.ts [--quick]
// Needs a dataset seeded by `npm run bench` (add --quick for the small one) and a built package.
import { readPlan } from './bench-config.js'
import { closeContext, loadFixtures, openContext, openStoreDatabase, peerOptions } from './bench-context.js'
import { openPeer } from './peers/open-peers.js'
import { summarize } from './stats.js'
import { type LoadClient, measureMixedLoad, opsPerSecond, peerClient, storeClient } from './throughput-suite.js'

async function main(): Promise<void> {
  const read = readPlan(process.argv.slice(2), process.env)
  if ('error' in read) throw new Error(read.error)
  const context = openContext(read.plan)
  try {
    const fixtures = await loadFixtures(context)
    const options = peerOptions(context.plan)
    const sides: LoadClient[] = [
      { name: 'taskstore', open: async () => storeClient(openStoreDatabase(context.plan)) },
      { name: 'postgres.js', open: async () => peerClient(await openPeer('postgres.js', options)) },
      {
        name: 'postgres.js, no pipelining',
        open: async () => peerClient(await openPeer('postgres.js', { ...options, pipeline: false })),
      },
    ]
    const totals = await measureMixedLoad(context, fixtures, sides)
    const opsPerSec = (name: string) => opsPerSecond(totals[name]!)
    const seconds = (context.plan.throughputRounds * context.plan.throughputSegmentMs) / 1000
    process.stdout.write(
      `${context.plan.throughputWorkers} workers, pool max ${context.plan.poolMax}, ${seconds} s per client\n`,
    )
    process.stdout.write(`${'client'.padEnd(28)} ${'ops/s'.padStart(6)} ${'p50 µs'.padStart(7)}  vs taskstore\n`)
    for (const { name } of sides) {
      const p50 = summarize(totals[name]!.samples).p50Us
      const ratio = (opsPerSec(name) / opsPerSec('taskstore')).toFixed(3)
      process.stdout.write(
        `${name.padEnd(28)} ${opsPerSec(name).toFixed(0).padStart(6)} ${String(p50).padStart(7)}  ${ratio}\n`,
      )
    }
  } finally {
    await closeContext(context)
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 1
})
