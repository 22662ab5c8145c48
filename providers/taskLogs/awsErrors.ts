import type { Clock } from "../clock";

/** The SDK's error name (`ThrottlingException`, `ResourceNotFoundException`, ...), or "" for anything else. */
export const errorName = (error: unknown): string => (error as { name?: string } | undefined)?.name ?? "";

const RETRIED = ["ThrottlingException", "ServiceUnavailableException"];
const ATTEMPTS = 8;

/**
 * Makes a CloudWatch Logs call, again after a pause (400 ms, doubling, at most 5 s) while it is throttled or
 * the service is unavailable, up to 8 attempts. The clients are made with `maxAttempts: 1`, so this is the
 * only retrying; GetLogEvents has its own, paced by the token bucket.
 */
export async function withRetries<T>(clock: Clock, call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!RETRIED.includes(errorName(error)) || attempt >= ATTEMPTS) throw error;
      await clock.sleep(Math.min(5000, 200 * 2 ** attempt));
    }
  }
}
