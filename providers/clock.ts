/**
 * Time as the providers see it, so waits and pacing can be tested with a clock that does not sleep:
 * the clock itself, and the one polling loop every wait with a deadline uses.
 */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Calls `attempt` every `intervalMs` until it returns a value (not undefined) or the deadline
 * passes. The attempt always runs at least once, even with a deadline already in the past.
 */
export async function pollUntil<T>(
  clock: Clock,
  deadlineMs: number,
  intervalMs: number,
  attempt: () => Promise<T | undefined>,
  onTimeout: () => Error,
): Promise<T> {
  for (;;) {
    const value = await attempt();
    if (value !== undefined) return value;
    const remaining = deadlineMs - clock.now();
    if (remaining <= 0) throw onTimeout();
    await clock.sleep(Math.min(intervalMs, remaining));
  }
}
