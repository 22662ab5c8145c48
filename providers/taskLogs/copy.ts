/**
 * The task-log copy as a sequence of steps: choose the task instances, name their streams, look at the
 * target group and the records of finished streams, copy what is left a few streams at a time, and count
 * what became of each. The parts: ./pageReader (GetLogEvents paging and the resume point), ./streamCopy
 * (one stream), ./targetGroup (the target's streams, retention and writes), ./archive (too-old events to S3),
 * ./completions (finished streams) and ./pool (streams in parallel).
 */
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { archivePrefix, archiveWriter } from "./archive";
import { errorName } from "./awsErrors";
import { acceptanceCutoff } from "./batching";
import { completionRecords } from "./completions";
import { pageReader } from "./pageReader";
import { runPool } from "./pool";
import { StreamCopyParts, StreamOutcome, copyStream } from "./streamCopy";
import {
  LogTemplate,
  logTemplateFor,
  streamPairsFor,
  withTriggerStreams,
  writesTriggerStreams,
} from "./streamNames";
import { listStreamNames, targetRetentionDays, targetStreamWriter } from "./targetGroup";
import { type Clock, realClock } from "../clock";
import { TokenBucket } from "./tokenBucket";
import { type AwsAccess, describeAccess, sdkSettings } from "../framework/awsAccess";

export { ARCHIVE_PART_BYTES, ARCHIVE_PART_EVENTS, archiveKey, archivePrefix } from "./archive";
export { completionPrefix } from "./completions";

/** A migrated task instance as the export's manifest lists it. */
export interface MigratedTaskInstance {
  dagId: string;
  taskId: string;
  runId: string;
  mapIndex: number;
  /** The last try; every try from 1 to this one has its own log stream. */
  tryNumber: number;
  state: string;
  /** The run's logical date; null for an Airflow 3 run that has none (its stream names need none). */
  logicalDate: string | null;
  /** When the task instance ended (ISO 8601); used for the age filter. */
  endDate?: string | null;
}

export interface TaskLogCopyInput {
  /** The region of both groups and the archive, unless an access below names its own. */
  region: string;
  /** Who reads the source group (awsAccess): the source's side, in another account or region. */
  sourceAccess?: AwsAccess;
  /** Who writes the target group. */
  targetAccess?: AwsAccess;
  /** Who writes the archive and the copy records in the migration bucket. */
  archiveAccess?: AwsAccess;
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
  const sideClient = (access: AwsAccess | undefined) =>
    new logs.CloudWatchLogsClient({ region: input.region, ...sdkSettings(access), maxAttempts: 1 });
  const sourceLogs = sideClient(input.sourceAccess);
  const cwl = sideClient(input.targetAccess);
  const s3 = new s3sdk.S3Client({
    region: input.region,
    ...sdkSettings(input.archiveAccess),
    forcePathStyle: input.s3ForcePathStyle,
  });
  const bucket = new TokenBucket(input.getLogEventsPerSecond ?? DEFAULT_GET_LOG_EVENTS_PER_SECOND);
  const result: TaskLogCopyResult = {
    streams: { total: 0, copied: 0, resumed: 0, skipped: 0, missing: 0, archivedOnly: 0 },
    eventsCopied: 0,
    eventsArchived: 0,
    taskInstances: { selected: 0, filteredByState: 0, filteredByAge: 0 },
    getLogEventsCalls: 0,
    throttledCalls: 0,
  };
  const counts = {
    called: () => result.getLogEventsCalls++,
    throttled: () => result.throttledCalls++,
  };
  const reader = pageReader(sourceLogs, bucket, counts);
  const targetReader = pageReader(cwl, bucket, counts);
  const records = completionRecords(s3, {
    bucket: input.archive.bucket,
    prefix: input.archive.recordsPrefix ?? input.archive.prefix,
    kmsKeyId: input.archive.kmsKeyId,
    sourceLogGroup: input.sourceLogGroup,
    targetLogGroup: input.targetLogGroup,
  });
  const archiveLocation = {
    bucket: input.archive.bucket,
    prefix: input.archive.prefix,
    kmsKeyId: input.archive.kmsKeyId,
    sourceLogGroup: input.sourceLogGroup,
  };

  try {
    // 1. Which task instances, and the source and target stream of each of their tries.
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
    const tries = chosen.selected.flatMap((ti) => streamPairsFor(ti, sourceTemplate, targetTemplate));

    // 2. What the target already has: its retention, first, since a missing group is best told with where
    //    it was looked for; its streams (half-written unless recorded as finished); and, from a 3.x source,
    //    the triggerer streams of those tries.
    const retentionDays = await targetRetentionDays(
      cwl,
      input.targetLogGroup,
      `in ${input.targetAccess?.region ?? input.region}, reached ${describeAccess(input.targetAccess)}`,
    );
    const [existingTargets, finished, sourceStreams] = await Promise.all([
      listStreamNames(cwl, input.targetLogGroup, clock),
      records.finished(),
      writesTriggerStreams(input.sourceAirflowVersion) && tries.length > 0
        ? sourceStreamNames(sourceLogs, input.sourceLogGroup, clock)
        : new Set<string>(),
    ]);
    const pairs = withTriggerStreams(tries, sourceStreams);
    result.streams.total = pairs.length;
    const cutoff = acceptanceCutoff(nowMs, retentionDays);
    const todo = pairs.filter((pair) => !finished.has(pair.source));
    result.streams.skipped = pairs.length - todo.length;
    const halfWritten = todo.filter((pair) => existingTargets.has(pair.target)).length;
    const triggerStreams = pairs.length - tries.length;
    progress(
      `task logs: ${pairs.length} streams for ${chosen.selected.length} task instances` +
        `${triggerStreams > 0 ? ` (${triggerStreams} of them triggerer streams)` : ""}, ` +
        `${result.streams.skipped} already copied, ${todo.length} to copy` +
        `${halfWritten > 0 ? ` (${halfWritten} half-written, to complete)` : ""} (GetLogEvents ≤ ${bucket.maxRatePerSecond}/s)`,
    );

    // 3. Copy the rest, a few streams at a time; every stream in flight ends before the copy answers.
    const parts: Omit<StreamCopyParts, "stopped"> = {
      reader,
      targetReader,
      sourceLogGroup: input.sourceLogGroup,
      targetLogGroup: input.targetLogGroup,
      cutoff,
      archive: (pair, from) =>
        archiveWriter(s3, archiveLocation, pair, from, (events) => (result.eventsArchived += events)),
      writer: (pair, exists) => targetStreamWriter(cwl, input.targetLogGroup, pair.target, exists, clock),
      records,
      batchStored: (targetStream, events) => {
        result.eventsCopied += events;
        options.onBatchStored?.(targetStream, events);
      },
    };
    const started = clock.now();
    const reportProgress = (done: number) => {
      if (done % 100 !== 0 && done !== todo.length) return;
      const seconds = Math.max(0.001, (clock.now() - started) / 1000);
      progress(
        `task logs: ${done}/${todo.length} streams, ${result.eventsCopied} events copied, ` +
          `${result.eventsArchived} archived, ${(result.getLogEventsCalls / seconds).toFixed(1)} GetLogEvents/s, ` +
          `${seconds.toFixed(1)}s`,
      );
    };
    await runPool(
      todo,
      input.parallelStreams ?? 8,
      async (pair, stopped) => {
        countOutcome(result, await copyStream(pair, existingTargets.has(pair.target), { ...parts, stopped }));
      },
      reportProgress,
    );

    // 4. Where the archived events are, if any were archived.
    if (result.eventsArchived > 0) {
      result.archiveLocation = `s3://${input.archive.bucket}/${archivePrefix(input.archive.prefix, input.sourceLogGroup)}`;
    }
    return result;
  } finally {
    cwl.destroy();
    sourceLogs.destroy();
    s3.destroy();
  }
}

/** The source group's stream names; none if it does not exist (then every stream is counted missing). */
async function sourceStreamNames(
  cwl: CloudWatchLogsClient,
  group: string,
  clock: Clock,
): Promise<Set<string>> {
  try {
    return await listStreamNames(cwl, group, clock);
  } catch (error) {
    if (errorName(error) === "ResourceNotFoundException") return new Set();
    throw error;
  }
}

function countOutcome(result: TaskLogCopyResult, outcome: StreamOutcome): void {
  if (outcome === "resumed") result.streams.resumed = (result.streams.resumed ?? 0) + 1;
  else result.streams[outcome]++;
}
