import * as assert from "node:assert/strict";
import { LogEvent, MAX_BATCH_EVENTS } from "./batching";
import { ResumePoint } from "./resume";
import { StreamCopyParts, copyStream } from "./streamCopy";
import { StreamPair } from "./streamNames";

const pair: StreamPair = {
  key: {
    dagId: "d",
    taskId: "t",
    runId: "r",
    mapIndex: -1,
    tryNumber: 1,
    logicalDate: "2025-01-01T00:00:00Z",
  },
  source: "d/t/2025-01-01T00_00_00+00_00/1.log",
  target: "dag_id=d/run_id=r/task_id=t/attempt=1.log",
};

/** Fake parts that log what happens, in order, over a source stream held in memory. */
function scripted(
  source: LogEvent[] | undefined,
  options: { cutoff?: number; resumeAt?: ResumePoint; failPut?: number; stopped?: () => boolean } = {},
) {
  const steps: string[] = [];
  const stored: LogEvent[] = [];
  const archived: LogEvent[] = [];
  let puts = 0;
  const parts: StreamCopyParts = {
    sourceLogGroup: "src",
    targetLogGroup: "dst",
    cutoff: options.cutoff ?? -Infinity,
    reader: {
      async readForward(_group, _stream, startTime, onPage) {
        if (!source) throw Object.assign(new Error("source stream does not exist"), { missingStream: true });
        const from = source.filter((event) => startTime === undefined || event.timestamp >= startTime);
        for (let i = 0; i < from.length || i === 0; i += 4000) {
          steps.push("page");
          await onPage(from.slice(i, i + 4000));
        }
      },
      async resumePoint() {
        throw new Error("the source's reader was asked where a target stream ends");
      },
    },
    targetReader: {
      async readForward() {
        throw new Error("the target's reader was asked for source events");
      },
      async resumePoint() {
        steps.push("resume point");
        return options.resumeAt ?? { timestamp: -Infinity, eventsAtTimestamp: 0 };
      },
    },
    archive: () => {
      let part: LogEvent[] = [];
      return {
        async add(event) {
          part.push(event);
        },
        async flush() {
          if (part.length === 0) return;
          steps.push(`archive ${part.length}`);
          archived.push(...part);
          part = [];
        },
      };
    },
    writer: (_pair, exists) => ({
      async put(batch) {
        puts++;
        if (puts === options.failPut) throw new Error("PutLogEvents refused");
        steps.push(`put ${batch.length}${exists ? " (existing)" : ""}`);
        stored.push(...batch);
      },
    }),
    records: {
      async finished() {
        return new Set();
      },
      async record(_pair, events) {
        steps.push(`record ${events}`);
      },
    },
    stopped: options.stopped ?? (() => false),
    batchStored: () => undefined,
  };
  return { parts, steps, stored, archived };
}

const events = (count: number, from = 0): LogEvent[] =>
  Array.from({ length: count }, (_, i) => ({ timestamp: from + i, message: `line ${from + i}` }));

describe("copying one task-log stream", () => {
  it("archives the events before the cutoff, copies the rest in batches, then records the stream", async () => {
    const source = events(5_000 + MAX_BATCH_EVENTS + 2_000);
    const { parts, steps, stored, archived } = scripted(source, { cutoff: 5_000 });
    assert.equal(await copyStream(pair, false, parts), "copied");
    assert.deepEqual(archived, source.slice(0, 5_000));
    assert.deepEqual(stored, source.slice(5_000));
    assert.deepEqual(
      steps.filter((step) => step !== "page"),
      // The archive part is written before the first batch: archived events come first in time.
      ["archive 5000", `put ${MAX_BATCH_EVENTS}`, "put 2000", `record ${MAX_BATCH_EVENTS + 2_000}`],
    );
  });

  it("says archivedOnly when every event is too old, and missing (with no record) when there is no stream", async () => {
    const old = scripted(events(10), { cutoff: 100 });
    assert.equal(await copyStream(pair, false, old.parts), "archivedOnly");
    assert.deepEqual(
      old.steps.filter((step) => step !== "page"),
      ["archive 10", "record 0"],
    );

    const gone = scripted(undefined);
    assert.equal(await copyStream(pair, false, gone.parts), "missing");
    assert.ok(!gone.steps.some((step) => step.startsWith("record")));
  });

  it("completes a half-written target after its resume point", async () => {
    // The target holds events 0..4 and the first two of the three events at timestamp 5.
    const source = [
      ...events(5),
      { timestamp: 5, message: "a" },
      { timestamp: 5, message: "b" },
      ...events(3, 5),
    ];
    const { parts, steps, stored } = scripted(source, { resumeAt: { timestamp: 5, eventsAtTimestamp: 2 } });
    assert.equal(await copyStream(pair, true, parts), "resumed");
    assert.equal(steps[0], "resume point");
    assert.deepEqual(stored, source.slice(7));
    assert.ok(steps.includes("put 3 (existing)"), steps.join(", "));
  });

  it("fails with how far it got, so the message says a re-run completes it", async () => {
    const { parts } = scripted(events(25_000), { failPut: 2 });
    await assert.rejects(
      copyStream(pair, false, parts),
      /copying .+1\.log to dst\/dag_id=d\/.+ stopped after 10000 events \(a re-run completes it\): Error: PutLogEvents refused/,
    );
  });

  it("stops before its next write once another stream has failed", async () => {
    const { parts, stored } = scripted(events(10), { stopped: () => true });
    await assert.rejects(copyStream(pair, false, parts), /another stream failed/);
    assert.equal(stored.length, 0);
  });
});
