import * as assert from "node:assert/strict";
import fc from "fast-check";
import { LogEvent, MAX_BATCH_EVENTS, StreamBatcher } from "./batching";
import { archiveKey, archivePrefix, completionPrefix } from "./copy";
import { ResumeFilter, resumePointFrom } from "./resume";

const t0 = Date.parse("2025-01-01T00:00:00Z");
const at = (offset: number, message = `line ${offset}`): LogEvent => ({ timestamp: t0 + offset, message });

/** A source stream whose timestamps repeat in runs of `tie` events, so batch ends fall inside runs. */
function tiedStream(count: number, tie: number): LogEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    timestamp: t0 + Math.floor(i / tie),
    message: `event ${i}`,
  }));
}

/** What a copy interrupted after `batchesStored` batches left in the target. */
function interruptedTarget(source: LogEvent[], batchesStored: number): LogEvent[] {
  const batcher = new StreamBatcher();
  const stored: LogEvent[] = [];
  let batches = 0;
  for (const event of source) {
    const batch = batcher.add(event);
    if (batch && batches < batchesStored) {
      stored.push(...batch);
      batches++;
    }
  }
  return stored;
}

/** The resume rule end to end: read the target's tail backwards in pages, then the source from the point on. */
function resume(source: LogEvent[], target: LogEvent[], pageSize: number): LogEvent[] {
  let point;
  for (let taken = pageSize; point === undefined; taken += pageSize) {
    const tail = target.slice(Math.max(0, target.length - taken));
    point = resumePointFrom(tail, tail.length < target.length);
  }
  const filter = new ResumeFilter(point);
  const start = filter.startTime;
  const fromStart = source.filter((event) => start === undefined || event.timestamp >= start);
  const remaining: LogEvent[] = [];
  for (let i = 0; i < fromStart.length; i += pageSize) {
    remaining.push(...filter.remaining(fromStart.slice(i, i + pageSize)));
  }
  return remaining;
}

describe("task-log copy: resuming a half-written target stream", () => {
  it("an empty target resumes from the head; a target's tail counts the events at its last timestamp", () => {
    assert.deepEqual(resumePointFrom([], false), { timestamp: -Infinity, eventsAtTimestamp: 0 });
    assert.deepEqual(resumePointFrom([at(1), at(2), at(2), at(2)], true), {
      timestamp: t0 + 2,
      eventsAtTimestamp: 3,
    });
    assert.deepEqual(resumePointFrom([at(5), at(5)], false), { timestamp: t0 + 5, eventsAtTimestamp: 2 });
  });

  it("asks for an earlier page while every event it has shares the last timestamp", () => {
    assert.equal(resumePointFrom([at(7), at(7), at(7)], true), undefined);
    assert.equal(resumePointFrom([], true), undefined);
  });

  it("skips the events at the resume timestamp that the target has, and keeps the ones it lacks", () => {
    const filter = new ResumeFilter({ timestamp: t0 + 3, eventsAtTimestamp: 2 });
    assert.equal(filter.startTime, t0 + 3);
    // The first page holds one of the two copied events at t0+3; the second page the other, then new ones.
    assert.deepEqual(filter.remaining([at(3, "a")]), []);
    assert.deepEqual(filter.remaining([at(3, "b"), at(3, "c"), at(4, "d")]), [at(3, "c"), at(4, "d")]);
  });

  it("a batch boundary inside a run of equal timestamps: the re-run adds exactly the missing events", () => {
    const source = tiedStream(2.5 * MAX_BATCH_EVENTS, 7);
    const target = interruptedTarget(source, 1);
    assert.equal(target.length, MAX_BATCH_EVENTS);
    // 10,000 = 7 * 1428 + 4: the stored batch ends with 4 of the 7 events of its last timestamp.
    assert.deepEqual(resumePointFrom(target.slice(-100), true), {
      timestamp: target[target.length - 1].timestamp,
      eventsAtTimestamp: 4,
    });
    const remaining = resume(source, target, 1000);
    assert.deepEqual([...target, ...remaining], source);
  });

  it("for any interruption point, tie length and page size, target + resumed events equal the source", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 * MAX_BATCH_EVENTS }),
        fc.integer({ min: 1, max: 12_000 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 1, max: 4000 }),
        (count, tie, batchesStored, pageSize) => {
          const source = tiedStream(count, tie);
          const target = interruptedTarget(source, batchesStored);
          assert.deepEqual([...target, ...resume(source, target, pageSize)], source);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("streamed batching", () => {
  it("starts a new batch when an event is older than the one before, so each batch is in time order", () => {
    const batcher = new StreamBatcher();
    assert.equal(batcher.add(at(1)), undefined);
    assert.equal(batcher.add(at(2)), undefined);
    assert.deepEqual(batcher.add(at(1, "late")), [at(1), at(2)]);
    assert.deepEqual(batcher.flush(), [at(1, "late")]);
    assert.equal(batcher.flush(), undefined);
  });

  it("holds at most one batch: it hands each batch back as soon as it is full", () => {
    const batcher = new StreamBatcher();
    const sizes: number[] = [];
    for (const event of tiedStream(MAX_BATCH_EVENTS * 2 + 5, 3)) {
      const batch = batcher.add(event);
      if (batch) sizes.push(batch.length);
    }
    sizes.push(batcher.flush()!.length);
    assert.deepEqual(sizes, [MAX_BATCH_EVENTS, MAX_BATCH_EVENTS, 5]);
  });
});

describe("archive and completion keys", () => {
  it("numbers archive parts from the head, or from a resume point, under the stream's name", () => {
    const base = archivePrefix("exports/e1/", "g");
    assert.equal(archiveKey("exports/e1/", "g", "d/t/ts/1.log"), `${base}d/t/ts/1.log.jsonl.gz`);
    assert.equal(archiveKey("exports/e1/", "g", "d/t/ts/1.log", 2), `${base}d/t/ts/1.log.2.jsonl.gz`);
    assert.equal(
      archiveKey("exports/e1/", "g", "d/t/ts/1.log", 0, { timestamp: 1700, eventsAtTimestamp: 3 }),
      `${base}d/t/ts/1.log.after-1700-3.0.jsonl.gz`,
    );
    assert.equal(
      archiveKey("exports/e1/", "g", "s", 1, { timestamp: -Infinity, eventsAtTimestamp: 0 }),
      `${base}s.1.jsonl.gz`,
    );
  });

  it("keeps completion records apart from the archive", () => {
    assert.equal(completionPrefix("exports/e1", "g"), "exports/e1/task-log-copies/g/");
    assert.ok(!completionPrefix("exports/e1/", "g").startsWith(archivePrefix("exports/e1/", "g")));
  });
});
