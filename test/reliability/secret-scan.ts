import { inspect } from 'node:util'
import type { QueryLogEvent } from '../../src/index.js'

/**
 * Collects everything the package hands back to a host during a fault test
 * (thrown errors, `log` events) and finds where a secret shows up in any of
 * it: message, stack, `cause` chain, `errors` of an AggregateError, any own
 * property, or how Node prints it.
 */
export class SecretWitness {
  readonly errors: unknown[] = []
  readonly events: QueryLogEvent[] = []

  /** A `log` hook for `createDatabase` that records every event. */
  readonly log = (event: QueryLogEvent): void => {
    this.events.push(event)
  }

  /** Records an error and returns it, for `expect(witness.capture(error))…`. */
  capture<T>(error: T): T {
    this.errors.push(error)
    return error
  }

  /** Runs a call expected to fail; records and returns its error (or throws if it succeeded). */
  async failure(call: Promise<unknown>): Promise<unknown> {
    try {
      await call
    } catch (error) {
      return this.capture(error)
    }
    throw new Error('expected the call to fail, but it succeeded')
  }

  /** Every place in the recorded material where one of `secrets` occurs, as readable paths. */
  leaks(secrets: readonly string[]): string[] {
    const needles = [...new Set(secrets.flatMap((secret) => [secret, encodeURIComponent(secret)]))].filter(Boolean)
    const found: string[] = []
    const check = (path: string, text: string) => {
      for (const needle of needles) if (text.includes(needle)) found.push(path)
    }
    this.errors.forEach((error, index) => {
      for (const [path, text] of textsOf(error, `errors[${index}]`)) check(path, text)
    })
    this.events.forEach((event, index) => {
      for (const [path, text] of textsOf(event, `events[${index}]`)) check(path, text)
    })
    return found
  }
}

/** Every string reachable from a value (depth-limited), plus how `util.inspect` prints it. */
export function textsOf(value: unknown, root: string): Array<[string, string]> {
  const texts: Array<[string, string]> = [[`${root} (inspected)`, inspect(value, { depth: 12, showHidden: true })]]
  const seen = new Set<unknown>()
  const walk = (current: unknown, path: string, depth: number) => {
    if (typeof current === 'string') {
      texts.push([path, current])
      return
    }
    if (current === null || typeof current !== 'object' || seen.has(current) || depth > 12) return
    seen.add(current)
    if (current instanceof Error) {
      texts.push([`${path}.message`, current.message], [`${path}.stack`, current.stack ?? ''])
      walk(current.cause, `${path}.cause`, depth + 1)
      texts.push([`${path}.toString()`, String(current)])
    }
    for (const key of Reflect.ownKeys(current)) {
      if (typeof key !== 'string') continue
      let child: unknown
      try {
        child = (current as Record<string, unknown>)[key]
      } catch {
        continue
      }
      walk(child, `${path}.${key}`, depth + 1)
    }
  }
  walk(value, root, 0)
  return texts
}
