/**
 * The archive of events too old for the target group (older than 14 days or its retention): gzip JSON Lines
 * objects in the migration bucket, SSE-KMS, one or more numbered parts per source stream.
 */
import { gzipSync } from "node:zlib";
import type { S3Client } from "@aws-sdk/client-s3";
import { LogEvent, eventSize } from "./batching";
import { ResumePoint } from "./resume";
import { StreamPair } from "./streamNames";

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

export interface ArchiveLocation {
  bucket: string;
  prefix: string;
  kmsKeyId?: string;
  sourceLogGroup: string;
}

export interface ArchiveWriter {
  /** Adds an event to the current part, writing the part when it is full. */
  add(event: LogEvent): Promise<void>;
  /** Writes the current part, if it holds anything, and starts the next. */
  flush(): Promise<void>;
}

/**
 * Collects one stream's too-old events into numbered parts of bounded size, each written as one object.
 * `onArchived` is told how many events each written part held.
 */
export function archiveWriter(
  s3: S3Client,
  location: ArchiveLocation,
  pair: StreamPair,
  from: ResumePoint,
  onArchived: (events: number) => void,
): ArchiveWriter {
  const s3sdk = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  let part = 0;
  let events: LogEvent[] = [];
  let bytes = 0;
  const flush = async () => {
    if (events.length === 0) return;
    const lines =
      events.map((event) => JSON.stringify({ ...event, targetStream: pair.target })).join("\n") + "\n";
    await s3.send(
      new s3sdk.PutObjectCommand({
        Bucket: location.bucket,
        Key: archiveKey(location.prefix, location.sourceLogGroup, pair.source, part, from),
        Body: gzipSync(lines),
        ContentType: "application/x-ndjson",
        ContentEncoding: "gzip",
        ServerSideEncryption: "aws:kms",
        SSEKMSKeyId: location.kmsKeyId,
      }),
    );
    onArchived(events.length);
    part++;
    events = [];
    bytes = 0;
  };
  return {
    flush,
    async add(event) {
      events.push(event);
      bytes += eventSize(event);
      if (events.length >= ARCHIVE_PART_EVENTS || bytes >= ARCHIVE_PART_BYTES) await flush();
    },
  };
}
