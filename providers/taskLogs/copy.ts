import { gzipSync } from "node:zlib";
import { LogEvent, acceptanceCutoff, planBatches, splitByAge } from "./batching";
import { LogTemplate, StreamPair, logTemplateFor, streamPairsFor } from "./streamNames";
import { Clock, TokenBucket, realClock } from "./tokenBucket";

/** A migrated task instance as the export's manifest lists it. */
export interface MigratedTaskInstance {
  dagId: string;
  taskId: string;
  runId: string;
  mapIndex: number;
  /** The last try; every try from 1 to this one has its own log stream. */
  tryNumber: number;
  state: string;
  logicalDate: string;
  /** When the task instance ended (ISO 8601); used for the age filter. */
  endDate?: string | null;
}

export interface TaskLogCopyInput {
  region: string;
  sourceLogGroup: string;
  targetLogGroup: string;
  sourceAirflowVersion: string;
  targetAirflowVersion: string;
  /** Overrides the version's default template, for sources with a custom `log_filename_template`. */
  sourceLogTemplate?: LogTemplate;
  taskInstances: MigratedTaskInstance[];
  /** Task instance states whose logs are copied. */
  states?: string[];
  /** Task instances that ended longer ago than this are left out entirely. */
  maxAgeDays?: number;
  /** Where events too old for the target group go: gzip JSON Lines under `<prefix>task-logs/`, SSE-KMS. */
  archive: { bucket: string; prefix: string; kmsKeyId?: string };
  getLogEventsPerSecond?: number;
  /** How many streams are read at once; the token bucket bounds the call rate whatever this is. */
  parallelStreams?: number;
  s3ForcePathStyle?: boolean;
}

export interface TaskLogCopyResult {
  streams: { total: number; copied: number; skipped: number; missing: number; archivedOnly: number };
  eventsCopied: number;
  eventsArchived: number;
  taskInstances: { selected: number; filteredByState: number; filteredByAge: number };
  /** Set when anything was archived: `s3://bucket/prefix` of the archive objects. */
  archiveLocation?: string;
  getLogEventsCalls: number;
  throttledCalls: number;
}

export const DEFAULT_COPIED_STATES = ["success", "failed", "skipped", "upstream_failed"];
export const DEFAULT_GET_LOG_EVENTS_PER_SECOND = 25;

export interface CopyOptions {
  progress?: (line: string) => void;
  clock?: Clock;
  nowMs?: number;
}

const DAY_MS = 86_400_000;

/** Which task instances are copied: by state, then by age of their end date. Pure. */
export function selectTaskInstances(
  taskInstances: readonly MigratedTaskInstance[],
  states: readonly string[],
  maxAgeDays: number | undefined,
  nowMs: number,
) {
  const byState = taskInstances.filter((ti) => states.includes(ti.state));
  const oldest = maxAgeDays === undefined ? -Infinity : nowMs - maxAgeDays * DAY_MS;
  const selected = byState.filter((ti) => !ti.endDate || Date.parse(ti.endDate) >= oldest);
  return {
    selected,
    filteredByState: taskInstances.length - byState.length,
    filteredByAge: byState.length - selected.length,
  };
}

export function archiveKey(prefix: string, sourceLogGroup: string, sourceStream: string): string {
  const base = prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`;
  return `${base}task-logs/${sourceLogGroup}/${sourceStream}.jsonl.gz`;
}

const errorName = (error: unknown) => (error as { name?: string }).name ?? "";

/**
 * Copies the task logs of migrated task instances from the source's task log group to the target's.
 * A target stream that exists is taken as copied and skipped without reading the source, so a re-run copies
 * nothing twice; to keep that true a stream is created only when its events are in hand, and deleted again if
 * writing it fails part way. Events too old for the target are archived to S3 instead of being dropped.
 */
export async function copyTaskLogs(
  input: TaskLogCopyInput,
  options: CopyOptions = {},
): Promise<TaskLogCopyResult> {
  const logs = require("@aws-sdk/client-cloudwatch-logs") as typeof import("@aws-sdk/client-cloudwatch-logs");
  const s3sdk = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  const progress = options.progress ?? (() => undefined);
  const clock = options.clock ?? realClock;
  const nowMs = options.nowMs ?? clock.now();
  const cwl = new logs.CloudWatchLogsClient({ region: input.region, maxAttempts: 1 });
  const s3 = new s3sdk.S3Client({ region: input.region, forcePathStyle: input.s3ForcePathStyle });
  const bucket = new TokenBucket(input.getLogEventsPerSecond ?? DEFAULT_GET_LOG_EVENTS_PER_SECOND);
  const result: TaskLogCopyResult = {
    streams: { total: 0, copied: 0, skipped: 0, missing: 0, archivedOnly: 0 },
    eventsCopied: 0,
    eventsArchived: 0,
    taskInstances: { selected: 0, filteredByState: 0, filteredByAge: 0 },
    getLogEventsCalls: 0,
    throttledCalls: 0,
  };

  try {
    const chosen = selectTaskInstances(
      input.taskInstances,
      input.states ?? DEFAULT_COPIED_STATES,
      input.maxAgeDays,
      nowMs,
    );
    result.taskInstances = {
      selected: chosen.selected.length,
      filteredByState: chosen.filteredByState,
      filteredByAge: chosen.filteredByAge,
    };
    const sourceTemplate = input.sourceLogTemplate ?? logTemplateFor(input.sourceAirflowVersion);
    const targetTemplate = logTemplateFor(input.targetAirflowVersion);
    const pairs = chosen.selected.flatMap((ti) =>
      streamPairsFor(ti, sourceTemplate, targetTemplate).map((pair) => ({ ...pair, endDate: ti.endDate })),
    );
    result.streams.total = pairs.length;

    const [existingTargets, retentionDays, archived] = await Promise.all([
      listStreams(input.targetLogGroup),
      targetRetention(),
      listArchived(),
    ]);
    const cutoff = acceptanceCutoff(nowMs, retentionDays);
    // Archives are rewritten whole under a fixed key, so redoing one never duplicates; an archive alone proves a
    // stream done only when its task instance ended before the cutoff (then nothing of it belongs in the target).
    const todo = pairs.filter((pair) => {
      const endedBeforeCutoff = pair.endDate ? Date.parse(pair.endDate) < cutoff : false;
      const done =
        existingTargets.has(pair.target) ||
        (endedBeforeCutoff &&
          archived.has(archiveKey(input.archive.prefix, input.sourceLogGroup, pair.source)));
      if (done) result.streams.skipped++;
      return !done;
    });
    progress(
      `task logs: ${pairs.length} streams for ${chosen.selected.length} task instances, ` +
        `${result.streams.skipped} already copied, ${todo.length} to copy (GetLogEvents ≤ ${bucket.maxRatePerSecond}/s)`,
    );

    const started = clock.now();
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < todo.length) {
        const pair = todo[next++];
        await copyStream(pair, cutoff);
        done++;
        if (done % 100 === 0 || done === todo.length) {
          const seconds = Math.max(0.001, (clock.now() - started) / 1000);
          progress(
            `task logs: ${done}/${todo.length} streams, ${result.eventsCopied} events copied, ` +
              `${result.eventsArchived} archived, ${(result.getLogEventsCalls / seconds).toFixed(1)} GetLogEvents/s, ` +
              `${seconds.toFixed(1)}s`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, input.parallelStreams ?? 8) }, worker));
    if (result.eventsArchived > 0) {
      result.archiveLocation = `s3://${input.archive.bucket}/${archiveKey(input.archive.prefix, input.sourceLogGroup, "")}`;
    }
    return result;
  } finally {
    cwl.destroy();
    s3.destroy();
  }

  async function listStreams(group: string): Promise<Set<string>> {
    const names = new Set<string>();
    let nextToken: string | undefined;
    do {
      const page = await cwl.send(new logs.DescribeLogStreamsCommand({ logGroupName: group, nextToken }));
      for (const stream of page.logStreams ?? []) if (stream.logStreamName) names.add(stream.logStreamName);
      nextToken = page.nextToken;
    } while (nextToken);
    return names;
  }

  async function targetRetention(): Promise<number | undefined> {
    const page = await cwl.send(
      new logs.DescribeLogGroupsCommand({ logGroupNamePrefix: input.targetLogGroup }),
    );
    const group = page.logGroups?.find((candidate) => candidate.logGroupName === input.targetLogGroup);
    if (!group) {
      throw new Error(
        `target log group ${input.targetLogGroup} does not exist; create the target environment first`,
      );
    }
    return group.retentionInDays;
  }

  async function listArchived(): Promise<Set<string>> {
    const keys = new Set<string>();
    let token: string | undefined;
    do {
      const page = await s3.send(
        new s3sdk.ListObjectsV2Command({
          Bucket: input.archive.bucket,
          Prefix: archiveKey(input.archive.prefix, input.sourceLogGroup, ""),
          ContinuationToken: token,
        }),
      );
      for (const object of page.Contents ?? []) if (object.Key) keys.add(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  /** Reads a whole source stream, paging until the forward token stops changing. undefined: no such stream. */
  async function readStream(name: string): Promise<LogEvent[] | undefined> {
    const events: LogEvent[] = [];
    let token: string | undefined;
    for (;;) {
      await bucket.take();
      let page;
      try {
        result.getLogEventsCalls++;
        page = await cwl.send(
          new logs.GetLogEventsCommand({
            logGroupName: input.sourceLogGroup,
            logStreamName: name,
            startFromHead: true,
            nextToken: token,
          }),
        );
        bucket.succeeded();
      } catch (error) {
        if (errorName(error) === "ThrottlingException") {
          result.throttledCalls++;
          bucket.throttled();
          continue;
        }
        if (errorName(error) === "ResourceNotFoundException") return undefined;
        throw error;
      }
      for (const event of page.events ?? []) {
        events.push({ timestamp: event.timestamp ?? 0, message: event.message ?? "" });
      }
      if (!page.nextForwardToken || page.nextForwardToken === token) return events;
      token = page.nextForwardToken;
    }
  }

  async function copyStream(pair: StreamPair & { endDate?: string | null }, cutoff: number): Promise<void> {
    const events = await readStream(pair.source);
    if (events === undefined) {
      result.streams.missing++;
      return;
    }
    const { put, archive } = splitByAge(events, cutoff);
    if (archive.length > 0) {
      await writeArchive(pair, archive);
      result.eventsArchived += archive.length;
    }
    if (put.length === 0) {
      result.streams.archivedOnly++;
      return;
    }
    await cwl.send(
      new logs.CreateLogStreamCommand({ logGroupName: input.targetLogGroup, logStreamName: pair.target }),
    );
    try {
      for (const batch of planBatches(put)) {
        await putWithRetry(pair.target, batch);
      }
    } catch (error) {
      // A half-written stream would be skipped as copied next time; remove it so a re-run writes it whole.
      await cwl
        .send(
          new logs.DeleteLogStreamCommand({ logGroupName: input.targetLogGroup, logStreamName: pair.target }),
        )
        .catch(() => undefined);
      throw new Error(
        `copying ${pair.source} to ${input.targetLogGroup}/${pair.target} failed: ${String(error)}`,
      );
    }
    result.eventsCopied += put.length;
    result.streams.copied++;
  }

  async function putWithRetry(stream: string, batch: LogEvent[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await cwl.send(
          new logs.PutLogEventsCommand({
            logGroupName: input.targetLogGroup,
            logStreamName: stream,
            logEvents: batch,
          }),
        );
        return;
      } catch (error) {
        const name = errorName(error);
        const retryable = name === "ThrottlingException" || name === "ServiceUnavailableException";
        if (!retryable || attempt >= 8) throw error;
        await clock.sleep(Math.min(5000, 200 * 2 ** attempt));
      }
    }
  }

  async function writeArchive(pair: StreamPair, events: LogEvent[]): Promise<void> {
    const lines =
      events.map((event) => JSON.stringify({ ...event, targetStream: pair.target })).join("\n") + "\n";
    await s3.send(
      new s3sdk.PutObjectCommand({
        Bucket: input.archive.bucket,
        Key: archiveKey(input.archive.prefix, input.sourceLogGroup, pair.source),
        Body: gzipSync(lines),
        ContentType: "application/x-ndjson",
        ContentEncoding: "gzip",
        ServerSideEncryption: "aws:kms",
        SSEKMSKeyId: input.archive.kmsKeyId,
      }),
    );
  }
}
