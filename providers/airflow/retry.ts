import { realClock } from "../clock";
import { AirflowApiError } from "./client";

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 8000 };

/** HTTP statuses worth another try: throttling, a busy or restarting webserver, a gateway timeout. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

export function isRetryableError(error: unknown): boolean {
  if (error instanceof AirflowApiError) return error.retryable;
  // fetch() rejects with a TypeError for refused/reset connections and with a TimeoutError on AbortSignal.timeout.
  return error instanceof Error && (error.name === "TimeoutError" || error.name === "TypeError");
}

/** Full-jitter exponential backoff: the delay before attempt `attempt` (1-based retry count). */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(random() * cap);
}

export async function withRetry<T>(
  action: () => Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY,
  onRetry?: (error: unknown, attempt: number) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await action();
    } catch (error) {
      if (attempt >= policy.attempts || !isRetryableError(error)) throw error;
      onRetry?.(error, attempt);
      await realClock.sleep(backoffDelay(attempt, policy));
    }
  }
}
