/** How connection attempts are retried: exponential backoff with full jitter. */
export interface RetryOptions {
  /** Total attempts including the first. Default 3; 1 disables retrying. */
  readonly attempts?: number
  /** Delay before the first retry, before jitter. Default 100 ms. */
  readonly baseDelayMs?: number
  /** Upper bound of any one delay. Default 2,000 ms. */
  readonly maxDelayMs?: number
}

export const DEFAULT_RETRY: Required<RetryOptions> = { attempts: 3, baseDelayMs: 100, maxDelayMs: 2_000 }

/** The delay before retry number `retry` (1-based): a random value up to the capped exponential. */
export function backoffDelay(retry: number, { baseDelayMs, maxDelayMs }: Required<RetryOptions>): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1))
  return Math.round(Math.random() * ceiling)
}

/**
 * Calls `acquire` until it succeeds, fails with an error `isRetryable`
 * rejects, or the attempts run out, waiting {@link backoffDelay} between
 * attempts; the last error is thrown as it is. Meant for opening
 * connections only: nothing has run on the server when acquiring fails.
 */
export async function acquireWithRetry<T>(
  acquire: () => Promise<T>,
  isRetryable: (error: unknown) => boolean,
  policy: Required<RetryOptions>,
): Promise<T> {
  try {
    return await acquire()
  } catch (error) {
    return retryAcquire(acquire, isRetryable, policy, error)
  }
}

/** Goes on after a first attempt failed with `firstError`: waits, tries again, until the policy says stop. */
async function retryAcquire<T>(
  acquire: () => Promise<T>,
  isRetryable: (error: unknown) => boolean,
  policy: Required<RetryOptions>,
  firstError: unknown,
): Promise<T> {
  let error = firstError
  for (let attempt = 1; ; attempt++) {
    if (attempt >= policy.attempts || !isRetryable(error)) throw error
    await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt, policy)))
    try {
      return await acquire()
    } catch (next) {
      error = next
    }
  }
}
