import * as assert from "node:assert/strict";
import fc from "fast-check";
import type { Clock } from "../clock";
import { TokenBucket } from "./tokenBucket";

/** A clock that only moves when someone sleeps, so rates are exact and tests take no time. */
function virtualClock(): Clock & { elapsed: () => number } {
  let now = 0;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    elapsed: () => now,
  };
}

describe("GetLogEvents token bucket", () => {
  it("never lets more calls through in a window than burst + rate × window", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 300 }),
        async (rate, calls) => {
          const clock = virtualClock();
          const bucket = new TokenBucket(rate, rate, clock);
          const times: number[] = [];
          for (let i = 0; i < calls; i++) {
            await bucket.take();
            times.push(clock.now());
          }
          const seconds = clock.elapsed() / 1000;
          assert.ok(
            calls <= rate + Math.ceil(rate * seconds) + 1,
            `${calls} calls in ${seconds}s at ${rate}/s`,
          );
          // and it is not needlessly slow: the wait is what the rate demands, within one token's time
          assert.ok(seconds <= Math.max(0, (calls - rate) / rate) + 1 / rate + 0.01);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("serves concurrent callers one token each", async () => {
    const clock = virtualClock();
    const bucket = new TokenBucket(25, 25, clock);
    await Promise.all(Array.from({ length: 125 }, () => bucket.take()));
    assert.ok(clock.elapsed() >= 4000 - 40 && clock.elapsed() <= 4000 + 40, `${clock.elapsed()} ms`);
  });

  it("slows to 70% on each throttling and wins the rate back on successes", () => {
    const bucket = new TokenBucket(25, 25, virtualClock());
    bucket.throttled();
    bucket.throttled();
    assert.ok(Math.abs(bucket.rate - 25 * 0.49) < 1e-9);
    for (let i = 0; i < 10; i++) bucket.succeeded();
    assert.equal(bucket.rate, 25);
    for (let i = 0; i < 40; i++) bucket.throttled();
    assert.equal(bucket.rate, 1);
  });

  it("refuses a rate that is not positive, naming the setting", () => {
    assert.throws(() => new TokenBucket(0), /getLogEventsPerSecond/);
  });
});
