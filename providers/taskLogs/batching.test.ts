import * as assert from "node:assert/strict";
import fc from "fast-check";
import {
  EVENT_OVERHEAD_BYTES,
  MAX_BATCH_BYTES,
  MAX_BATCH_EVENTS,
  MAX_BATCH_SPAN_MS,
  MAX_EVENT_BYTES,
  acceptanceCutoff,
  eventSize,
  fitMessage,
  planBatches,
  splitByAge,
} from "./batching";
import { archiveKey, archivePrefix, selectTaskInstances } from "./copy";

const t0 = Date.parse("2025-01-01T00:00:00Z");
const event = fc.record({
  timestamp: fc.integer({ min: t0, max: t0 + 5 * MAX_BATCH_SPAN_MS }),
  message: fc.oneof(
    { weight: 8, arbitrary: fc.string({ maxLength: 200 }) },
    { weight: 1, arbitrary: fc.string({ minLength: 20_000, maxLength: 60_000, unit: "grapheme" }) },
  ),
});

describe("PutLogEvents batching", () => {
  it("keeps every batch within the count, size and 24-hour limits, in time order, losing nothing", () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 400 }), (events) => {
        const batches = planBatches(events);
        const flat = batches.flat();
        assert.equal(flat.length, events.length);
        for (const batch of batches) {
          assert.ok(batch.length > 0 && batch.length <= MAX_BATCH_EVENTS);
          assert.ok(batch.reduce((sum, e) => sum + eventSize(e), 0) <= MAX_BATCH_BYTES);
          assert.ok(batch[batch.length - 1].timestamp - batch[0].timestamp < MAX_BATCH_SPAN_MS);
        }
        for (let i = 1; i < flat.length; i++) assert.ok(flat[i - 1].timestamp <= flat[i].timestamp);
        const key = (e: { timestamp: number; message: string }) => `${e.timestamp}\u0000${e.message}`;
        assert.deepEqual(flat.map(key).sort(), events.map(key).sort());
      }),
      { numRuns: 150 },
    );
  });

  it("keeps the order of events that share a timestamp", () => {
    const events = Array.from({ length: 50 }, (_, i) => ({ timestamp: t0, message: `line ${i}` }));
    assert.deepEqual(planBatches(events).flat(), events);
  });

  it("splits at 10,000 events and at 1 MiB", () => {
    const many = Array.from({ length: 25_000 }, (_, i) => ({ timestamp: t0 + i, message: "x" }));
    assert.deepEqual(
      planBatches(many).map((b) => b.length),
      [10_000, 10_000, 5_000],
    );
    const big = Array.from({ length: 30 }, (_, i) => ({ timestamp: t0 + i, message: "y".repeat(100_000) }));
    const perBatch = Math.floor(MAX_BATCH_BYTES / (100_000 + EVENT_OVERHEAD_BYTES));
    assert.equal(planBatches(big)[0].length, perBatch);
  });

  it("shortens a message over 256 KiB on a character boundary and marks it", () => {
    const message = "é".repeat(200_000);
    const fitted = fitMessage(message);
    assert.ok(Buffer.byteLength(fitted) + EVENT_OVERHEAD_BYTES <= MAX_EVENT_BYTES);
    assert.ok(fitted.endsWith("[truncated by task-log copy]"));
    assert.ok(!fitted.includes("\uFFFD"));
  });

  it("archives what is older than 14 days, or than a shorter retention", () => {
    const now = t0 + 30 * 86_400_000;
    assert.equal(acceptanceCutoff(now), now - 14 * 86_400_000);
    assert.equal(acceptanceCutoff(now, 7), now - 7 * 86_400_000);
    assert.equal(acceptanceCutoff(now, 365), now - 14 * 86_400_000);
    const { put, archive } = splitByAge(
      [
        { timestamp: now - 15 * 86_400_000, message: "old" },
        { timestamp: now - 86_400_000, message: "new" },
      ],
      acceptanceCutoff(now),
    );
    assert.deepEqual([put.map((e) => e.message), archive.map((e) => e.message)], [["new"], ["old"]]);
  });
});

describe("task-log selection and archive keys", () => {
  const ti = (state: string, endDate: string | null) => ({
    dagId: "d",
    taskId: "t",
    runId: "r",
    mapIndex: -1,
    tryNumber: 1,
    state,
    logicalDate: "2025-01-01T00:00:00Z",
    endDate,
  });

  it("keeps the chosen states and drops what ended before the age limit", () => {
    const now = Date.parse("2025-03-01T00:00:00Z");
    const chosen = selectTaskInstances(
      [
        ti("success", "2025-02-28T00:00:00Z"),
        ti("running", null),
        ti("failed", "2024-01-01T00:00:00Z"),
        ti("failed", null),
      ],
      ["success", "failed"],
      30,
      now,
    );
    assert.deepEqual([chosen.selected.length, chosen.filteredByState, chosen.filteredByAge], [2, 1, 1]);
  });

  it("puts each stream's archive under the group's prefix", () => {
    assert.equal(archivePrefix("exports/e1", "airflow-src-Task"), "exports/e1/task-logs/airflow-src-Task/");
    assert.ok(archiveKey("exports/e1/", "g", "d/t/ts/1.log").startsWith(archivePrefix("exports/e1/", "g")));
  });
});
