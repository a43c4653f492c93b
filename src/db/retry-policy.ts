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
