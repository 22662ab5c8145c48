import * as assert from "node:assert/strict";
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import fc from "fast-check";
import { fakeClock } from "../../test/support/fakeClock";
import { LogEvent } from "./batching";
import { isMissingStream, pageReader } from "./pageReader";
import { TokenBucket } from "./tokenBucket";

interface Request {
  logGroupName: string;
  logStreamName: string;
  startFromHead: boolean;
  nextToken?: string;
  startTime?: number;
}

/**
 * GetLogEvents over in-memory streams, paged as CloudWatch pages: tokens are positions, the last page
 * forwards repeats the token it was asked with, and the first page backwards ends at the stream's end.
 */
function fakeLogs(streams: Record<string, LogEvent[]>, pageSize: number, throttleFirst = 0) {
  const requests: Request[] = [];
  let throttles = throttleFirst;
  const client = {
    async send(command: { input: Request }) {
      const request = command.input;
      requests.push(request);
      if (throttles > 0) {
        throttles--;
        throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
      }
      const all = streams[request.logStreamName];
      if (!all) throw Object.assign(new Error("no stream"), { name: "ResourceNotFoundException" });
      const events = all.filter(
        (event) => request.startTime === undefined || event.timestamp >= request.startTime,
      );
      if (request.startFromHead) {
        const from = request.nextToken ? Number(request.nextToken.slice(2)) : 0;
        const to = Math.min(events.length, from + pageSize);
        return {
          events: events.slice(from, to),
          nextForwardToken: `f/${to}`,
          nextBackwardToken: `b/${from}`,
        };
      }
      const end = request.nextToken ? Number(request.nextToken.slice(2)) : events.length;
      const start = Math.max(0, end - pageSize);
      return {
        events: events.slice(start, end),
        nextForwardToken: `f/${end}`,
        nextBackwardToken: `b/${start}`,
      };
    },
  };
  return { client: client as unknown as CloudWatchLogsClient, requests };
}

function reader(client: CloudWatchLogsClient) {
  const counts = { calls: 0, throttled: 0 };
  const bucket = new TokenBucket(25, 25, fakeClock());
  const read = pageReader(client, bucket, {
    called: () => counts.calls++,
    throttled: () => counts.throttled++,
  });
  return { read, counts };
}

const stream = (timestamps: number[]): LogEvent[] =>
  timestamps.map((timestamp, i) => ({ timestamp, message: `event ${i}` }));

describe("task-log page reader", () => {
  it("hands over every event of a stream once, in order, page by page, from the start time", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 60 }).map((ts) => ts.sort((a, b) => a - b)),
        fc.integer({ min: 1, max: 7 }),
        fc.option(fc.integer({ min: 0, max: 50 }), { nil: undefined }),
        async (timestamps, pageSize, startTime) => {
          const events = stream(timestamps);
          const { client, requests } = fakeLogs({ s: events }, pageSize);
          const { read, counts } = reader(client);
          const seen: LogEvent[] = [];
          await read.readForward("src", "s", startTime, async (page) => void seen.push(...page));
          assert.deepEqual(
            seen,
            events.filter((event) => startTime === undefined || event.timestamp >= startTime),
          );
          assert.ok(requests.every((request) => request.startTime === startTime && request.startFromHead));
          assert.equal(counts.calls, requests.length);
        },
      ),
    );
  });

  it("reads the next page only after the last one was handled", async () => {
    const { client, requests } = fakeLogs({ s: stream([1, 2, 3, 4, 5]) }, 2);
    const { read } = reader(client);
    const handledBeforeRequest: number[] = [];
    let handled = 0;
    await read.readForward("src", "s", undefined, async () => {
      handledBeforeRequest.push(requests.length);
      await new Promise((resolve) => setImmediate(resolve));
      handled++;
    });
    assert.equal(handled, 4, "three pages of events and the empty page whose token repeats");
    assert.deepEqual(handledBeforeRequest, [1, 2, 3, 4]);
  });

  it("retries throttled calls and counts them, and says when the stream does not exist", async () => {
    const { client } = fakeLogs({ s: stream([1, 2]) }, 10, 3);
    const { read, counts } = reader(client);
    const seen: LogEvent[] = [];
    await read.readForward("src", "s", undefined, async (page) => void seen.push(...page));
    assert.equal(seen.length, 2);
    assert.equal(counts.throttled, 3);
    assert.equal(counts.calls, 5, "three throttled, the page, the repeated token");

    const rejected = await read
      .readForward("src", "nope", undefined, async () => undefined)
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    assert.ok(isMissingStream(rejected), String(rejected));
  });

  it("finds the resume point however many pages the last timestamp spans", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 40 }).map((ts) => ts.sort((a, b) => a - b)),
        fc.integer({ min: 1, max: 4 }),
        async (timestamps, pageSize) => {
          const { client } = fakeLogs({ t: stream(timestamps) }, pageSize);
          const point = await reader(client).read.resumePoint("dst", "t");
          if (timestamps.length === 0) {
            assert.deepEqual(point, { timestamp: -Infinity, eventsAtTimestamp: 0 });
            return;
          }
          const last = timestamps[timestamps.length - 1];
          assert.deepEqual(point, {
            timestamp: last,
            eventsAtTimestamp: timestamps.filter((t) => t === last).length,
          });
        },
      ),
    );
  });

  it("resumes a target stream that does not exist from the start", async () => {
    const { client } = fakeLogs({}, 5);
    assert.deepEqual(await reader(client).read.resumePoint("dst", "gone"), {
      timestamp: -Infinity,
      eventsAtTimestamp: 0,
    });
  });
});
