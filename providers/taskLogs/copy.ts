import { gzipSync } from "node:zlib";
import { LogEvent, StreamBatcher, acceptanceCutoff, eventSize } from "./batching";
import { ResumeFilter, ResumePoint, resumePointFrom } from "./resume";
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
  archive: {
    bucket: string;
    prefix: string;
    kmsKeyId?: string;
    /**
     * Where the records of finished streams go (`<recordsPrefix>task-log-copies/…`); defaults to `prefix`.
     * Copies that share it (the bulk and the delta import of one migration) skip each other's streams unread.
     */
    recordsPrefix?: string;
  };
  getLogEventsPerSecond?: number;
  /** How many streams are read at once; the token bucket bounds the call rate whatever this is. */
  parallelStreams?: number;
  s3ForcePathStyle?: boolean;
}

export interface TaskLogCopyResult {
  streams: {
    total: number;
    copied: number;
    /**
     * Target streams an interrupted run left half-written, completed from their last event. Always set by
     * this version; optional because results recorded before it have no such count.
     */
    resumed?: number;
    skipped: number;
    missing: number;
    archivedOnly: number;
  };
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
  /** Called after each PutLogEvents batch is stored; an exception from it stops the copy there. */
  onBatchStored?: (targetStream: string, events: number) => void;
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

/** Where the archived events of one source log group go, under the migration's prefix. */
export function archivePrefix(prefix: string, sourceLogGroup: string): string {
  const base = prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`;
  return `${base}task-logs/${sourceLogGroup}/`;
}

/** Events archived per object: an archive part is the most of a stream held in memory. */
export const ARCHIVE_PART_EVENTS = 10_000;
export const ARCHIVE_PART_BYTES = 8 * 1024 * 1024;

/**
 * The archive object for one part of a source stream's too-old events. Parts are numbered from the stream's
 * head (part 0 keeps the plain `<stream>.jsonl.gz` name), or from a resume point when a half-written stream
 * is completed, so archiving the same events again overwrites instead of duplicating.
 */
export function archiveKey(
  prefix: string,
  sourceLogGroup: string,
  sourceStream: string,
  part = 0,
  from?: ResumePoint,
): string {
  const origin =
    from && Number.isFinite(from.timestamp) ? `.after-${from.timestamp}-${from.eventsAtTimestamp}` : "";
  const suffix = origin === "" && part === 0 ? "" : `${origin}.${part}`;
  return `${archivePrefix(prefix, sourceLogGroup)}${sourceStream}${suffix}.jsonl.gz`;
}

/** Where the copy records streams it finished, one empty object per source stream; a re-run skips them unread. */
export function completionPrefix(prefix: string, sourceLogGroup: string): string {
  const base = prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`;
  return `${base}task-log-copies/${sourceLogGroup}/`;
}

const errorName = (error: unknown) => (error as { name?: string }).name ?? "";

/**
 * Copies the task logs of migrated task instances from the source's task log group to the target's, one page
 * and one batch at a time, so no stream is ever held whole in memory. A stream it finishes is recorded under
 * `completionPrefix` and skipped unread by a re-run; a target stream that exists without that record was left
 * half-written by an interrupted run and is completed after its last event (see ./resume), so a re-run
 * neither duplicates nor misses an event. Events too old for the target are archived to S3 instead.
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
  const recordsPrefix = input.archive.recordsPrefix ?? input.archive.prefix;
  const result: TaskLogCopyResult = {
    streams: { total: 0, copied: 0, resumed: 0, skipped: 0, missing: 0, archivedOnly: 0 },
    eventsCopied: 0,
    eventsArchived: 0,
    taskInstances: { selected: 0, filteredByState: 0, filteredByAge: 0 },
    getLogEventsCalls: 0,
    throttledCalls: 0,
  };
  let failure: { error: unknown } | undefined;

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
    const pairs = chosen.selected.flatMap((ti) => streamPairsFor(ti, sourceTemplate, targetTemplate));
    result.streams.total = pairs.length;

    const [existingTargets, retentionDays, completed] = await Promise.all([
      listStreams(input.targetLogGroup),
      targetRetention(),
      listKeys(completionPrefix(recordsPrefix, input.sourceLogGroup)),
    ]);
    const cutoff = acceptanceCutoff(nowMs, retentionDays);
    const todo = pairs.filter((pair) => !completed.has(completionKey(pair)));
    result.streams.skipped = pairs.length - todo.length;
    const halfWritten = todo.filter((pair) => existingTargets.has(pair.target)).length;
    progress(
      `task logs: ${pairs.length} streams for ${chosen.selected.length} task instances, ` +
        `${result.streams.skipped} already copied, ${todo.length} to copy` +
        `${halfWritten > 0 ? ` (${halfWritten} half-written, to complete)` : ""} (GetLogEvents ≤ ${bucket.maxRatePerSecond}/s)`,
    );

    const started = clock.now();
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < todo.length && !failure) {
        const pair = todo[next++];
        try {
          await copyStream(pair, existingTargets.has(pair.target), cutoff);
        } catch (error) {
          failure ??= { error };
          return;
        }
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
    // Every worker ends before the copy returns or rejects, so nothing writes after it has answered.
    await Promise.all(Array.from({ length: Math.max(1, input.parallelStreams ?? 8) }, worker));
    if (failure) throw failure.error;
    if (result.eventsArchived > 0) {
      result.archiveLocation = `s3://${input.archive.bucket}/${archivePrefix(input.archive.prefix, input.sourceLogGroup)}`;
    }
    return result;
  } finally {
    cwl.destroy();
    s3.destroy();
  }

  function completionKey(pair: StreamPair): string {
    return `${completionPrefix(recordsPrefix, input.sourceLogGroup)}${pair.source}`;
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

  async function listKeys(prefix: string): Promise<Set<string>> {
    const keys = new Set<string>();
    let token: string | undefined;
    do {
      const page = await s3.send(
        new s3sdk.ListObjectsV2Command({
          Bucket: input.archive.bucket,
          Prefix: prefix,
          ContinuationToken: token,
        }),
      );
      for (const object of page.Contents ?? []) if (object.Key) keys.add(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  /** One GetLogEvents call, within the token bucket, retried while throttled. undefined: no such stream. */
  async function getLogEvents(request: {
    logGroupName: string;
    logStreamName: string;
    startFromHead: boolean;
    nextToken?: string;
    startTime?: number;
  }) {
    for (;;) {
      await bucket.take();
      try {
        result.getLogEventsCalls++;
        const page = await cwl.send(new logs.GetLogEventsCommand(request));
        bucket.succeeded();
        return {
          events: (page.events ?? []).map((event) => ({
            timestamp: event.timestamp ?? 0,
            message: event.message ?? "",
          })),
          nextForwardToken: page.nextForwardToken,
          nextBackwardToken: page.nextBackwardToken,
        };
      } catch (error) {
        if (errorName(error) === "ThrottlingException") {
          result.throttledCalls++;
          bucket.throttled();
          continue;
        }
        if (errorName(error) === "ResourceNotFoundException") return undefined;
        throw error;
      }
    }
  }

  /**
   * Hands each page of a source stream, from `startTime`, to `onPage` before reading the next, until the
   * forward token stops changing.
   */
  async function readSource(
    name: string,
    startTime: number | undefined,
    onPage: (events: LogEvent[]) => Promise<void>,
  ): Promise<void> {
    let token: string | undefined;
    for (;;) {
      const page = await getLogEvents({
        logGroupName: input.sourceLogGroup,
        logStreamName: name,
        startFromHead: true,
        nextToken: token,
        // The same startTime on every page: a token is a position among the events the request selects.
        startTime,
      });
      if (page === undefined) throw missingStream();
      await onPage(page.events);
      if (!page.nextForwardToken || page.nextForwardToken === token) return;
      token = page.nextForwardToken;
    }
  }

  /** Reads the target stream backwards from its end until its last timestamp's events are all counted. */
  async function targetResumePoint(name: string): Promise<ResumePoint> {
    let tail: LogEvent[] = [];
    let token: string | undefined;
    for (;;) {
      const page = await getLogEvents({
        logGroupName: input.targetLogGroup,
        logStreamName: name,
        startFromHead: false,
        nextToken: token,
      });
      if (page === undefined) return resumePointFrom([], false)!;
      // Only events at one timestamp are carried to the next (earlier) page.
      tail = [...page.events, ...tail];
      const ended = !page.nextBackwardToken || page.nextBackwardToken === token || page.events.length === 0;
      const point = resumePointFrom(tail, !ended);
      if (point) return point;
      token = page.nextBackwardToken;
    }
  }

  async function copyStream(pair: StreamPair, targetExists: boolean, cutoff: number): Promise<void> {
    const from = targetExists ? await targetResumePoint(pair.target) : resumePointFrom([], false)!;
    const filter = new ResumeFilter(from);
    const batcher = new StreamBatcher();
    const archive = archiveWriter(pair, from);
    let created = targetExists;
    let copied = 0;
    const store = async (batch: LogEvent[] | undefined) => {
      if (!batch) return;
      if (failure) throw new Error(`stopped copying ${pair.source}: another stream failed`);
      if (!created) {
        try {
          await cwl.send(
            new logs.CreateLogStreamCommand({
              logGroupName: input.targetLogGroup,
              logStreamName: pair.target,
            }),
          );
        } catch (error) {
          if (errorName(error) !== "ResourceAlreadyExistsException") throw error;
        }
        created = true;
      }
      await putWithRetry(pair.target, batch);
      copied += batch.length;
      result.eventsCopied += batch.length;
      options.onBatchStored?.(pair.target, batch.length);
    };
    try {
      await readSource(pair.source, filter.startTime, async (page) => {
        for (const event of filter.remaining(page)) {
          if (event.timestamp < cutoff) await archive.add(event);
          else {
            // Archived events come first in time order; finishing their part first keeps memory to one part.
            await archive.flush();
            await store(batcher.add(event));
          }
        }
      });
      await archive.flush();
      await store(batcher.flush());
    } catch (error) {
      if ((error as { missingStream?: boolean }).missingStream === true) {
        result.streams.missing++;
        return;
      }
      throw new Error(
        `copying ${pair.source} to ${input.targetLogGroup}/${pair.target} stopped after ${copied} events ` +
          `(a re-run completes it): ${String(error)}`,
      );
    }
    if (targetExists) result.streams.resumed = (result.streams.resumed ?? 0) + 1;
    else if (copied > 0) result.streams.copied++;
    else result.streams.archivedOnly++;
    await s3.send(
      new s3sdk.PutObjectCommand({
        Bucket: input.archive.bucket,
        Key: completionKey(pair),
        Body: JSON.stringify({ target: `${input.targetLogGroup}/${pair.target}`, eventsCopied: copied }),
        ContentType: "application/json",
        ServerSideEncryption: "aws:kms",
        SSEKMSKeyId: input.archive.kmsKeyId,
      }),
    );
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

  /** Collects a stream's too-old events into numbered parts of bounded size, each written as one object. */
  function archiveWriter(pair: StreamPair, from: ResumePoint) {
    let part = 0;
    let events: LogEvent[] = [];
    let bytes = 0;
    const flush = async () => {
      if (events.length === 0) return;
      const lines =
        events.map((event) => JSON.stringify({ ...event, targetStream: pair.target })).join("\n") + "\n";
      await s3.send(
        new s3sdk.PutObjectCommand({
          Bucket: input.archive.bucket,
          Key: archiveKey(input.archive.prefix, input.sourceLogGroup, pair.source, part, from),
          Body: gzipSync(lines),
          ContentType: "application/x-ndjson",
          ContentEncoding: "gzip",
          ServerSideEncryption: "aws:kms",
          SSEKMSKeyId: input.archive.kmsKeyId,
        }),
      );
      result.eventsArchived += events.length;
      part++;
      events = [];
      bytes = 0;
    };
    return {
      flush,
      async add(event: LogEvent) {
        events.push(event);
        bytes += eventSize(event);
        if (events.length >= ARCHIVE_PART_EVENTS || bytes >= ARCHIVE_PART_BYTES) await flush();
      },
    };
  }
}

/** A plain Error with a flag, not a subclass: this code is serialized with the provider (see ../resources/partialState). */
const missingStream = () => Object.assign(new Error("source stream does not exist"), { missingStream: true });
