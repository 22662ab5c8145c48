import * as assert from "node:assert/strict";
import { runPool } from "./pool";

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("stream pool", () => {
  it("runs every item, never more than `width` at once, reporting each one done", async () => {
    let running = 0;
    let most = 0;
    const ran: number[] = [];
    const done: number[] = [];
    await runPool(
      Array.from({ length: 20 }, (_, i) => i),
      3,
      async (item) => {
        running++;
        most = Math.max(most, running);
        for (let i = 0; i < item % 4; i++) await tick();
        ran.push(item);
        running--;
      },
      (count) => done.push(count),
    );
    assert.equal(most, 3);
    assert.deepEqual(
      [...ran].sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => i),
    );
    assert.deepEqual(
      done,
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  });

  it("starts nothing after a failure, lets the items in flight end, then rejects with the first error", async () => {
    const started: number[] = [];
    let inFlightSawStop = false;
    let settledWhileRunning = false;
    let running = 0;
    const pool = runPool([0, 1, 2, 3, 4, 5], 2, async (item, stopped) => {
      started.push(item);
      running++;
      try {
        if (item === 1) throw new Error("item 1 failed");
        for (let i = 0; i < 5; i++) await tick();
        inFlightSawStop ||= stopped();
      } finally {
        running--;
      }
    });
    const error = await pool.then(
      () => assert.fail("the pool resolved despite a failure"),
      (rejected: Error) => {
        settledWhileRunning = running > 0;
        return rejected;
      },
    );
    assert.equal(error.message, "item 1 failed");
    assert.deepEqual(started, [0, 1]);
    assert.ok(inFlightSawStop, "the item in flight was told the others stopped");
    assert.ok(!settledWhileRunning, "nothing still ran when the pool rejected");
  });

  it("rejects with the error that came first when several items fail", async () => {
    const pool = runPool([0, 1], 2, async (item) => {
      if (item === 0) for (let i = 0; i < 5; i++) await tick();
      throw new Error(`item ${item} failed`);
    });
    await assert.rejects(pool, /^Error: item 1 failed$/);
  });
});
