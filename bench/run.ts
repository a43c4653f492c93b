// `npm run bench [-- --quick] [-- --reseed] [-- --peers | --no-peers]`: taskstore against raw pg and its peers on a seeded dataset. See bench/README.md.
import { mkdir, writeFile } from 'node:fs/promises'
import { readPlan } from './bench-config.js'
import { closeContext, connectPeers, loadFixtures, openContext, warmPools } from './bench-context.js'
import { type BenchResults, checkTargets, geomeanOf } from './bench-results.js'
import { runCountSuite } from './count-suite.js'
import { describeMachine, describePostgres, measureSpeed, speedLine } from './environment-info.js'
import { runLatencySuite, walkDeepCursors } from './latency-suite.js'
import { runScalingSuite } from './scaling-suite.js'
import { ensureDataset } from './seed-dataset.js'
import { renderChart } from './svg-chart.js'
import { formatReport, opLine, scalingLine } from './text-report.js'
import { runThroughputSuite } from './throughput-suite.js'

const RESULTS_DIR = new URL('./results/', import.meta.url)

function log(message: string): void {
  process.stderr.write(`${message}\n`)
}

async function main(): Promise<number> {
  const read = readPlan(process.argv.slice(2), process.env)
  if ('error' in read) {
    ;(read.exitCode === 0 ? process.stdout : process.stderr).write(`${read.error}\n`)
    return read.exitCode
  }
  const { plan } = read
  const started = performance.now()
  const startedAt = new Date().toISOString()
  const context = openContext(plan)
  try {
    const machine = describeMachine()
    if (machine.loadAverage[0]! > machine.cores) {
      log(
        `Note: load average ${machine.loadAverage[0]} on ${machine.cores} cores — other work competes for the CPU; expect noisy numbers.`,
      )
    }
    const postgres = await describePostgres(context.admin)
    const speed = await measureSpeed(context.admin)
    log(speedLine(speed))
    const dataset = await ensureDataset(context.admin, context.db, plan.dataset, plan.reseed)
    log(
      dataset.reused
        ? `Reusing ${dataset.tasks.toLocaleString('en-US')} tasks in ${plan.dataset.schema}.`
        : `Seeded ${dataset.tasks.toLocaleString('en-US')} tasks in ${dataset.seedSeconds.toFixed(0)} s.`,
    )
    await connectPeers(context, log)
    await warmPools(context)
    const fixtures = await loadFixtures(context)
    log('Walking the store’s cursors to the deep pages…')
    const cursors = await walkDeepCursors(context, fixtures)

    log(`Latency (${plan.rounds} interleaved rounds per operation):`)
    const ops = await runLatencySuite(context, fixtures, cursors, (result) => log(`  ${opLine(result)}`))
    log('Scaling:')
    const scaling = await runScalingSuite(context, fixtures, cursors, (point) => log(`  ${scalingLine(point)}`))
    log(
      `Throughput (${plan.throughputWorkers} workers, ${plan.throughputRounds} × ${plan.throughputSegmentMs / 1000} s per client)…`,
    )
    const throughput = await runThroughputSuite(context, fixtures)
    log('countTasks before and after bulk updates:')
    const countAfterUpdates = await runCountSuite(context, fixtures)

    const measured = {
      ops,
      geomeanP50Ratio: geomeanOf(ops),
      geomeanOwnCodeRatio: geomeanOf(ops, 'ownCodeRatio'),
      throughput,
      scaling,
      countAfterUpdates,
    }
    const results: BenchResults = {
      mode: plan.mode,
      startedAt,
      durationSeconds: Math.round((performance.now() - started) / 1000),
      loadAverageAtEnd: describeMachine().loadAverage,
      machine,
      speed,
      postgres,
      dataset: { ...plan.dataset, ...dataset },
      ...measured,
      targets: checkTargets(measured),
    }
    await mkdir(RESULTS_DIR, { recursive: true })
    const jsonFile = new URL(`${plan.resultsName}.json`, RESULTS_DIR)
    const svgFile = new URL(`${plan.resultsName}.svg`, RESULTS_DIR)
    await writeFile(jsonFile, `${JSON.stringify(results, null, 2)}\n`)
    await writeFile(svgFile, renderChart(results))
    process.stdout.write(`${formatReport(results)}\n`)
    log(`\nWrote ${jsonFile.pathname} and ${svgFile.pathname} (${results.durationSeconds} s in all).`)
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
