const WIDTH = 30

/** A progress bar on stderr: on a terminal it redraws one line, elsewhere it prints a line per tenth. */
export interface ProgressBar {
  advance(amount: number): void
  finish(): void
}

/** Draws `label [#####-----]  45% 123/456 3.2 s` on stderr. */
export function createProgressBar(label: string, total: number): ProgressBar {
  const started = performance.now()
  const interactive = process.stderr.isTTY === true
  let done = 0
  let printedDecile = -1

  const line = () => {
    const fraction = total === 0 ? 1 : Math.min(1, done / total)
    const filled = Math.round(fraction * WIDTH)
    const percent = String(Math.floor(fraction * 100)).padStart(3)
    const count = `${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}`
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    return `${label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${percent}% ${count} ${seconds} s`
  }

  const draw = () => {
    if (interactive) {
      process.stderr.write(`\r${line()}`)
      return
    }
    const decile = total === 0 ? 10 : Math.floor((Math.min(done, total) / total) * 10)
    if (decile === printedDecile) return
    printedDecile = decile
    process.stderr.write(`${line()}\n`)
  }

  draw()
  return {
    advance(amount) {
      done += amount
      draw()
    },
    finish() {
      done = total
      draw()
      if (interactive) process.stderr.write('\n')
    },
  }
}
