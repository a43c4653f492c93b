// `npm run bench:listing [-- --quick]`: every listing shape on the heaviest user, and what the listing indexes cost a write. See bench/README.md.
import { mkdir, writeFile } from 'node:fs/promises'
import { readPlan } from './bench-config.js'
import { closeContext, loadFixtures, openContext, warmPools } from './bench-context.js'
import { describeMachine, measureSpeed, speedLine } from './environment-info.js'
import { LISTING_P95_TARGET_US, type ListingResult, runListingMatrix } from './listing-matrix.js'
import { ensureDataset } from './seed-dataset.js'
import { runWriteCost, WRITE_RATIO_TARGET, type WriteCostResult } from './write-cost.js'

const RESULTS_DIR = new URL('./results/', import.meta.url)

function log(message: string): void {
  process.stderr.write(`${message}\n`)
}

const ms = (us: number) => (us / 1000).toFixed(2).padStart(6)

function listingLine(result: ListingResult): string {
  const name = `${result.sort} ${result.order} ${result.filter}, ${result.page} page`
  return `${name.padEnd(48)} p50 ${ms(result.latency.p50Us)} ms  p95 ${ms(result.latency.p95Us)} ms`
}

function writeLine(result: WriteCostResult): string {
  return `${result.op.padEnd(12)} p50 ${ms(result.before.p50Us)} ms without → ${ms(result.after.p50Us)} ms with the listing indexes: ratio ${result.ratio.toFixed(3)} (${result.ratioWithoutSearchIndex.toFixed(3)} without the trigram index)`
}

async function main(): Promise<number> {
  const read = readPlan(process.argv.slice(2), process.env)
  if ('error' in read) {
    ;(read.exitCode === 0 ? process.stdout : process.stderr).write(`${read.error}\n`)
    return read.exitCode
  }
  const { plan } = read
  const context = openContext(plan)
  try {
    const dataset = await ensureDataset(context.admin, context.db, plan.dataset, plan.reseed)
    log(
      `${dataset.reused ? 'Reusing' : 'Seeded'} ${dataset.tasks.toLocaleString('en-US')} tasks in ${plan.dataset.schema}.`,
    )
    const speed = await measureSpeed(context.admin)
    log(speedLine(speed))
    await warmPools(context)
    const fixtures = await loadFixtures(context)
    const heaviest = fixtures.heavy.at(-1)!
    const iterations = plan.mode === 'full' ? 200 : 40
    log(
      `Listing matrix on ${heaviest.userId} (${heaviest.tasks.toLocaleString('en-US')} tasks), ${iterations} calls per shape:`,
    )
    const listings = await runListingMatrix(context, fixtures, iterations, (result) => log(`  ${listingLine(result)}`))
    const writeIterations = plan.mode === 'full' ? 3000 : 400
    log(`Write cost (${writeIterations} of each, interleaved):`)
    const writes = await runWriteCost(context, fixtures, writeIterations, (result) => log(`  ${writeLine(result)}`))

    const slowest = listings.reduce((worst, result) => (result.latency.p95Us > worst.latency.p95Us ? result : worst))
    const targets = {
      everyListingP95Under5ms: slowest.latency.p95Us < LISTING_P95_TARGET_US,
      writeP50Within10Percent: writes.every((result) => result.ratio <= WRITE_RATIO_TARGET),
    }
    const results = {
      mode: plan.mode,
      startedAt: new Date().toISOString(),
      machine: describeMachine(),
      speed,
      user: heaviest,
      listings,
      writes,
      slowestListing: slowest,
      targets,
    }
    await mkdir(RESULTS_DIR, { recursive: true })
    const file = new URL(`listing-${plan.resultsName}.json`, RESULTS_DIR)
    await writeFile(file, `${JSON.stringify(results, null, 2)}\n`)
    process.stdout.write(
      `${[
        `Slowest listing: ${listingLine(slowest)}`,
        ...writes.map(writeLine),
        `Every listing p95 < 5 ms: ${targets.everyListingP95Under5ms ? 'met' : 'NOT met'}`,
        `Write p50 within 10 %: ${targets.writeP50Within10Percent ? 'met' : 'NOT met'}`,
        `Wrote ${file.pathname}`,
      ].join('\n')}\n`,
    )
    return 0
  } finally {
    await closeContext(context)
  }
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    log(`Benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
    process.exitCode = 1
  },
)
