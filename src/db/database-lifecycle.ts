import { DatabaseUnavailableError } from '../errors/index.js'

const CLOSED_MESSAGE =
  'The database was closed with db.destroy() while this call was in flight, or before it: nothing more runs on it. Open a new one with createDatabase.'

/** The error every call gets once its database is closed. */
export function closedDatabaseError(): DatabaseUnavailableError {
  return new DatabaseUnavailableError(CLOSED_MESSAGE)
}

/** One call in flight: how to fail it, linked to the others. */
interface InFlight {
  readonly fail: (error: unknown) => void
  prev: InFlight | null
  next: InFlight | null
}

/**
 * Knows whether a database was closed and fails the calls still in flight
 * when it is: a query waiting for a connection, one running, or a
 * transaction's next statement. Without it a waiting call would hang,
 * since node-postgres's pool never answers its queue once it ends.
 */
export class DatabaseLifecycle {
  #closed = false
  // A linked list rather than a Set: every statement enters and leaves it,
  // and hashing a fresh function per statement cost ~1 µs of CPU each time.
  #head: InFlight | null = null
  readonly #closeHooks: Array<() => void> = []

  get closed(): boolean {
    return this.#closed
  }

  /**
   * Follows `operation`, but rejects with a {@link DatabaseUnavailableError}
   * as soon as the database closes (or at once if it is closed). What the
   * operation yields after that is handed to `onLateResult`, to give back a
   * connection nobody will use.
   */
  follow<T>(operation: Promise<T>, onLateResult?: (value: T) => void): Promise<T> {
    if (this.#closed) {
      operation.then(onLateResult, () => {})
      return Promise.reject(closedDatabaseError())
    }
    return new Promise<T>((resolve, reject) => {
      let failed = false
      const node = this.#add((error) => {
        failed = true
        reject(error)
      })
      operation.then(
        (value) => {
          this.#remove(node)
          if (failed) onLateResult?.(value)
          else resolve(value)
        },
        (error: unknown) => {
          this.#remove(node)
          reject(error)
        },
      )
    })
  }

  /**
   * Registers a way to fail one operation that is not a promise (a driver
   * callback); returns the function that unregisters it.
   */
  enter(fail: (error: unknown) => void): () => void {
    const node = this.#add(fail)
    return () => this.#remove(node)
  }

  /** Runs `hook` when the database closes (at once if it is closed already). */
  onClose(hook: () => void): void {
    if (this.#closed) hook()
    else this.#closeHooks.push(hook)
  }

  /** Marks the database closed, fails every call in flight, then runs the close hooks. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    const failing: InFlight[] = []
    for (let node = this.#head; node; node = node.next) failing.push(node)
    this.#head = null
    for (const node of failing) {
      node.prev = node.next = null
      node.fail(closedDatabaseError())
    }
    for (const hook of this.#closeHooks.splice(0)) hook()
  }

  #add(fail: (error: unknown) => void): InFlight {
    const node: InFlight = { fail, prev: null, next: this.#head }
    if (this.#head) this.#head.prev = node
    this.#head = node
    return node
  }

  // Safe to call twice, and after close() unlinked everything.
  #remove(node: InFlight): void {
    if (node.prev) node.prev.next = node.next
    else if (this.#head === node) this.#head = node.next
    if (node.next) node.next.prev = node.prev
    node.prev = node.next = null
  }
}
