import { backendSkipReasons } from './backends.js'

/** Prints, once per run, which database backends this run skips and why. */
export default function setup(): void {
  for (const [backend, reason] of backendSkipReasons()) {
    console.log(`[taskstore tests] skipping the ${backend} backend: ${reason}`)
  }
}
