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
 * Runs `attempt` until it succeeds, it fails with an error `isRetryable`
 * rejects, or the attempts run out; the last error is thrown.
 */
export async function withRetry<T>(
  attempt: () => Promise<T>,
  isRetryable: (error: unknown) => boolean,
  policy: Required<RetryOptions>,
): Promise<T> {
  for (let tried = 1; ; tried++) {
    try {
      return await attempt()
    } catch (error) {
      if (tried >= policy.attempts || !isRetryable(error)) throw error
      await new Promise((resolve) => setTimeout(resolve, backoffDelay(tried, policy)))
    }
  }
}
