import * as assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import {
  CloudWatchLogsClient,
  GetLogEventsCommand,
  DescribeLogStreamsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { TaskLogCopyInput, copyTaskLogs, logTemplateFor } from "../../providers/taskLogs";
import { integrationInfo } from "./itEnv";
import { SeededLogs, seedTaskLogs } from "./logFixtures";
import { ThrottlingProxy, startThrottlingProxy } from "./throttlingProxy";

const info = integrationInfo();
const SOURCE = "airflow-logsrc-Task";
const TARGET = "airflow-logdst-Task";

const motoLogs = () =>
  new CloudWatchLogsClient({ region: info.region, endpoint: process.env.AWS_ENDPOINT_URL });

/** One stream's messages in order, read straight from moto, past the throttling proxy the copy goes through. */
async function streamMessages(logs: CloudWatchLogsClient, group: string, name: string): Promise<string[]> {
  const messages: string[] = [];
  let token: string | undefined;
  for (;;) {
    const page = await logs.send(
      new GetLogEventsCommand({
        logGroupName: group,
        logStreamName: name,
        startFromHead: true,
        nextToken: token,
      }),
    );
    messages.push(...(page.events ?? []).map((event) => event.message ?? ""));
    if (!page.nextForwardToken || page.nextForwardToken === token) return messages;
    token = page.nextForwardToken;
  }
}

/** Events per stream of a target group, read straight from moto. */
async function targetEventCounts(group = TARGET): Promise<Map<string, number>> {
  const logs = motoLogs();
  const counts = new Map<string, number>();
  let nextToken: string | undefined;
  const names: string[] = [];
  do {
    const page = await logs.send(new DescribeLogStreamsCommand({ logGroupName: group, nextToken }));
    names.push(...(page.logStreams ?? []).map((stream) => stream.logStreamName!));
    nextToken = page.nextToken;
  } while (nextToken);
  const countStream = async (name: string) => {
    counts.set(name, (await streamMessages(logs, group, name)).length);
  };
  for (let i = 0; i < names.length; i += 8) await Promise.all(names.slice(i, i + 8).map(countStream));
  logs.destroy();
  return counts;
}

describe("task-log copy on moto with GetLogEvents throttled", function () {
  let proxy: ThrottlingProxy;
  let seeded: SeededLogs;
  let input: TaskLogCopyInput;
  const now = Date.now();
  const savedEndpoint = process.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS;

  before(async () => {
    seeded = await seedTaskLogs(
      info.region,
      SOURCE,
      TARGET,
      { fresh: 220, old: 20, mixed: 20, eventsPerStream: 12, longStreamEvents: 25_000 },
      now,
    );
    proxy = await startThrottlingProxy(process.env.AWS_ENDPOINT_URL!, {
      quotaPerSecond: 25,
      throttleEvery: 6,
    });
    // The copy reaches CloudWatch Logs through the standard service-specific endpoint setting.
    process.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS = proxy.url;
    input = {
      region: info.region,
      sourceLogGroup: SOURCE,
      targetLogGroup: TARGET,
      sourceAirflowVersion: "2.2.5",
      targetAirflowVersion: "2.8.1",
      taskInstances: seeded.taskInstances,
      maxAgeDays: 30,
      archive: { bucket: info.migrationBucket, prefix: `exports/${now}/`, kmsKeyId: info.migrationKmsKeyId },
      s3ForcePathStyle: true,
    };
  });

  after(async () => {
    if (savedEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS;
    else process.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS = savedEndpoint;
    await proxy?.close();
  });

  it("copies every fresh event into streams named for the target's template, and archives the old ones", async () => {
    const lines: string[] = [];
    const result = await copyTaskLogs(input, { progress: (line) => lines.push(line), nowMs: now });
    console.log(`      ${lines[lines.length - 1]}`);
    console.log(`      proxy: ${JSON.stringify(proxy.stats)}`);
    const { expected } = seeded;
    assert.deepEqual(result.streams, {
      total: expected.streams,
      copied: expected.copiedStreams,
      resumed: 0,
      skipped: 0,
      missing: expected.missing,
      archivedOnly: expected.archivedOnlyStreams,
    });
    assert.equal(result.eventsCopied, expected.eventsCopied);
    assert.equal(result.eventsArchived, expected.eventsArchived);
    assert.deepEqual(result.taskInstances, {
      selected: seeded.taskInstances.length - 2,
      filteredByState: 1,
      filteredByAge: 1,
    });
    assert.ok(
      result.throttledCalls > 0,
      "the proxy throttled some GetLogEvents calls and the copy carried on",
    );
    assert.equal(result.throttledCalls, proxy.stats.throttled);

    const counts = await targetEventCounts();
    assert.equal(counts.size, expected.copiedStreams);
    assert.equal(
      [...counts.values()].reduce((a, b) => a + b, 0),
      expected.eventsCopied,
    );
    assert.ok(
      [...counts.keys()].every((name) =>
        /^dag_id=logs_\w+\/run_id=scheduled__[^:]+\/task_id=task_\d\/attempt=\d\.log$/.test(name),
      ),
    );
    assert.equal(
      counts.get(
        "dag_id=logs_long/run_id=" +
          seeded.taskInstances.find((ti) => ti.dagId === "logs_long")!.runId.replace(/:/g, "_") +
          "/task_id=task_0/attempt=1.log",
      ),
      25_000,
    );

    assert.ok(
      result.archiveLocation?.startsWith(`s3://${info.migrationBucket}/exports/${now}/task-logs/${SOURCE}/`),
    );
    const s3 = new S3Client({ region: info.region, forcePathStyle: true });
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: info.migrationBucket, Prefix: `exports/${now}/task-logs/` }),
    );
    assert.equal(listed.KeyCount, seeded.expected.archivedOnlyStreams + 20 /* mixed */);
    const object = await s3.send(
      new GetObjectCommand({ Bucket: info.migrationBucket, Key: listed.Contents![0].Key! }),
    );
    assert.equal(object.ServerSideEncryption, "aws:kms");
    const archived = gunzipSync(Buffer.from(await object.Body!.transformToByteArray()))
      .toString("utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { timestamp: number; message: string; targetStream: string });
    assert.ok(
      archived.every(
        (event) => event.timestamp < now - 86_400_000 && event.targetStream.startsWith("dag_id="),
      ),
    );
    s3.destroy();
  });

  it("copies nothing twice when run again", async () => {
    const before = await targetEventCounts();
    const callsBefore = proxy.stats.getLogEvents;
    const result = await copyTaskLogs(input, { nowMs: now });
    assert.equal(result.eventsCopied, 0);
    assert.equal(result.eventsArchived, 0);
    assert.equal(result.streams.copied, 0);
    // Every stream that was copied or archived is skipped without being read again; only the missing one is.
    assert.equal(result.streams.skipped, seeded.expected.streams - seeded.expected.missing);
    assert.equal(proxy.stats.getLogEvents - callsBefore, result.getLogEventsCalls);
    assert.ok(result.getLogEventsCalls <= 2, `${result.getLogEventsCalls} GetLogEvents calls on a re-run`);
    assert.deepEqual(await targetEventCounts(), before);
  });
});

describe("task-log copy interrupted part-way, then run again", function () {
  const source = "airflow-logresume-src-Task";
  const target = "airflow-logresume-dst-Task";
  const now = Date.now();
  let seeded: SeededLogs;
  let input: TaskLogCopyInput;

  before(async () => {
    // The long stream's timestamps repeat in runs of 7, so its first 10,000-event batch ends inside a run.
    seeded = await seedTaskLogs(
      info.region,
      source,
      target,
      { fresh: 30, old: 0, mixed: 0, eventsPerStream: 12, longStreamEvents: 25_000, longStreamTies: 7 },
      now,
    );
    input = {
      region: info.region,
      sourceLogGroup: source,
      targetLogGroup: target,
      sourceAirflowVersion: "2.2.5",
      targetAirflowVersion: "2.8.1",
      taskInstances: seeded.taskInstances,
      maxAgeDays: 30,
      archive: { bucket: info.migrationBucket, prefix: `resume/${now}/`, kmsKeyId: info.migrationKmsKeyId },
      s3ForcePathStyle: true,
      parallelStreams: 4,
    };
  });

  it("completes the half-written stream after its last event: no event twice, none missing", async () => {
    const longTi = seeded.taskInstances.find((ti) => ti.dagId === "logs_long")!;
    const longStream = `dag_id=logs_long/run_id=${longTi.runId.replace(/:/g, "_")}/task_id=task_0/attempt=1.log`;
    let longBatches = 0;
    const interrupted = await copyTaskLogs(input, {
      nowMs: now,
      onBatchStored: (stream) => {
        if (stream === longStream && ++longBatches === 1) throw new Error("injected fault after one batch");
      },
    }).then(
      () => assert.fail("the injected fault did not stop the copy"),
      (error: Error) => error,
    );
    const stoppedAfter = /stopped after (\d+) events \(a re-run completes it\).*injected fault/s.exec(
      interrupted.message,
    );
    assert.ok(stoppedAfter, interrupted.message);
    const firstBatch = Number(stoppedAfter[1]);
    // One full batch (10,000 events or 1 MiB), ending inside a run of 7 equal timestamps.
    assert.ok(firstBatch > 9000 && firstBatch % 7 !== 0, `first batch of ${firstBatch} events`);
    const half = await targetEventCounts(target);
    assert.equal(half.get(longStream), firstBatch, "the first batch is in the target, nothing after it");
    const eventsBefore = [...half.values()].reduce((a, b) => a + b, 0);

    const rerun = await copyTaskLogs(input, { nowMs: now });
    assert.ok(rerun.streams.resumed! >= 1, JSON.stringify(rerun.streams));
    const { copied, resumed, skipped, missing, archivedOnly } = rerun.streams;
    assert.equal(copied + resumed! + skipped + missing + archivedOnly, seeded.expected.streams);
    assert.equal(missing, seeded.expected.missing);
    // What the interrupted run stored plus what the re-run added is every event, exactly once.
    assert.equal(eventsBefore + rerun.eventsCopied, seeded.expected.eventsCopied);
    const counts = await targetEventCounts(target);
    assert.equal(counts.size, seeded.expected.copiedStreams);
    assert.equal(
      [...counts.values()].reduce((a, b) => a + b, 0),
      seeded.expected.eventsCopied,
    );
    // Event by event, in order: the target's long stream is the source's, with nothing twice and nothing left out.
    const logs = motoLogs();
    assert.deepEqual(await streamMessages(logs, target, longStream), seeded.longStream!.messages);
    logs.destroy();

    const third = await copyTaskLogs(input, { nowMs: now });
    assert.equal(third.eventsCopied, 0);
    assert.equal(third.streams.skipped, seeded.expected.streams - seeded.expected.missing);
  });
});

describe("task-log copy from an Airflow 3 source to an Airflow 3 target", function () {
  const source = "airflow-log3-src-Task";
  const target = "airflow-log3-dst-Task";
  const now = Date.now();
  let seeded: SeededLogs;
  let input: TaskLogCopyInput;

  before(async () => {
    seeded = await seedTaskLogs(
      info.region,
      source,
      target,
      {
        fresh: 24,
        old: 0,
        mixed: 0,
        eventsPerStream: 6,
        longStreamEvents: 0,
        sourceTemplate: logTemplateFor("3.0.6"),
        mappedEvery: 4,
        deferredEvery: 6,
      },
      now,
    );
    input = {
      region: info.region,
      sourceLogGroup: source,
      targetLogGroup: target,
      sourceAirflowVersion: "3.0.6",
      targetAirflowVersion: "3.3.1",
      taskInstances: seeded.taskInstances,
      maxAgeDays: 30,
      archive: { bucket: info.migrationBucket, prefix: `airflow3/${now}/`, kmsKeyId: info.migrationKmsKeyId },
      s3ForcePathStyle: true,
    };
  });

  it("copies every try and every triggerer stream to the names the target's log view reads", async () => {
    assert.equal(seeded.triggerStreams.length, 4, "the fixture wrote triggerer streams to find");
    const lines: string[] = [];
    const result = await copyTaskLogs(input, { progress: (line) => lines.push(line), nowMs: now });
    assert.match(lines[0], /\(4 of them triggerer streams\)/);
    assert.deepEqual(result.streams, {
      total: seeded.expected.streams,
      copied: seeded.expected.copiedStreams,
      resumed: 0,
      skipped: 0,
      missing: seeded.expected.missing,
      archivedOnly: 0,
    });
    assert.equal(result.eventsCopied, seeded.expected.eventsCopied);

    const counts = await targetEventCounts(target);
    const tryName =
      /^dag_id=logs_fresh\/run_id=scheduled__[^:]+\/task_id=task_\d\/(?:map_index=\d+\/)?attempt=\d\.log$/;
    const triggerNames = [...counts.keys()].filter((name) => name.includes(".trigger."));
    assert.deepEqual(
      triggerNames.sort(),
      [...seeded.triggerStreams].map((name) => name.replace(/:/g, "_")).sort(),
    );
    for (const name of triggerNames) {
      assert.match(name, /\.log\.trigger\.\d+\.log$/);
      assert.ok(counts.has(name.replace(/\.trigger\.\d+\.log$/, "")), `${name} sits beside its try's stream`);
    }
    assert.ok(
      [...counts.keys()].every((name) => tryName.test(name.replace(/\.trigger\.\d+\.log$/, ""))),
      [...counts.keys()].join("\n"),
    );
    assert.ok([...counts.keys()].some((name) => name.includes("/map_index=")));

    const again = await copyTaskLogs(input, { nowMs: now });
    assert.equal(again.eventsCopied, 0);
    assert.equal(again.streams.skipped, seeded.expected.streams - seeded.expected.missing);
  });
});
