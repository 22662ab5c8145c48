import { type Clock, realClock } from "../clock";

/**
 * A token bucket that paces GetLogEvents (CloudWatch Logs allows 25 calls per second per account and region by
 * default). `take` waits until a token is free. On a ThrottlingException the caller calls `throttled`, which
 * cuts the rate to 70% (the quota is shared with everything else in the account, so throttling means someone
 * else is using it); each success wins back a tenth of the configured rate until it is reached again
 * (additive increase, multiplicative decrease, with the decrease factor of the SDKs' adaptive retry mode).
 */
const THROTTLED_FACTOR = 0.7;

export class TokenBucket {
  private tokens: number;
  private last: number;
  private currentRate: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly maxRatePerSecond: number,
    readonly burst: number = Math.max(1, Math.ceil(maxRatePerSecond)),
    private readonly clock: Clock = realClock,
    readonly minRatePerSecond: number = Math.min(1, maxRatePerSecond),
  ) {
    if (!(maxRatePerSecond > 0)) {
      throw new Error(`getLogEventsPerSecond must be a positive number (got ${maxRatePerSecond})`);
    }
    this.currentRate = maxRatePerSecond;
    this.tokens = burst;
    this.last = clock.now();
  }

  get rate(): number {
    return this.currentRate;
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.currentRate);
    this.last = now;
  }

  /** Resolves when the caller may make one call; callers are served in the order they asked. */
  take(): Promise<void> {
    const turn = this.queue.then(async () => {
      for (;;) {
        this.refill();
        if (this.tokens >= 1) {
          this.tokens -= 1;
          return;
        }
        await this.clock.sleep(Math.ceil(((1 - this.tokens) / this.currentRate) * 1000));
      }
    });
    this.queue = turn;
    return turn;
  }

  throttled(): void {
    this.refill();
    this.currentRate = Math.max(this.minRatePerSecond, this.currentRate * THROTTLED_FACTOR);
    this.tokens = Math.min(this.tokens, 0);
  }

  succeeded(): void {
    if (this.currentRate < this.maxRatePerSecond) {
      this.refill();
      this.currentRate = Math.min(this.maxRatePerSecond, this.currentRate + this.maxRatePerSecond / 10);
    }
  }
}
