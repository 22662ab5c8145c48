/**
 * PutLogEvents limits (CloudWatch Logs quotas): at most 10,000 events and 1,048,576 bytes per call, counting
 * each message's UTF-8 length plus 26 bytes; the events of one call in chronological order and spanning at
 * most 24 hours; one event at most 256 KiB; nothing older than 14 days or the group's retention.
 */

export interface LogEvent {
  timestamp: number;
  message: string;
}

export const MAX_BATCH_EVENTS = 10_000;
export const MAX_BATCH_BYTES = 1_048_576;
export const EVENT_OVERHEAD_BYTES = 26;
export const MAX_BATCH_SPAN_MS = 24 * 60 * 60 * 1000;
export const MAX_EVENT_BYTES = 256 * 1024;
export const MAX_EVENT_AGE_DAYS = 14;
const DAY_MS = 24 * 60 * 60 * 1000;

export const eventSize = (event: LogEvent): number =>
  Buffer.byteLength(event.message, "utf8") + EVENT_OVERHEAD_BYTES;

/** Cuts a message to the largest prefix (on a character boundary) that fits one event. */
export function fitMessage(message: string): string {
  const limit = MAX_EVENT_BYTES - EVENT_OVERHEAD_BYTES;
  if (Buffer.byteLength(message, "utf8") <= limit) return message;
  const marker = " [truncated by task-log copy]";
  let cut = Buffer.from(message, "utf8")
    .subarray(0, limit - Buffer.byteLength(marker))
    .toString("utf8");
  if (cut.endsWith("\uFFFD")) cut = cut.slice(0, -1);
  return cut + marker;
}

/**
 * Sorts events by time (stable, so events with one timestamp keep their order) and cuts them into batches that
 * each satisfy every PutLogEvents limit. Oversized messages are shortened with `fitMessage`.
 */
export function planBatches(events: readonly LogEvent[]): LogEvent[][] {
  const sorted = events
    .map((event, index) => ({
      event: { timestamp: event.timestamp, message: fitMessage(event.message) },
      index,
    }))
    .sort((a, b) => a.event.timestamp - b.event.timestamp || a.index - b.index)
    .map(({ event }) => event);
  const batches: LogEvent[][] = [];
  let current: LogEvent[] = [];
  let bytes = 0;
  for (const event of sorted) {
    const size = eventSize(event);
    const full =
      current.length >= MAX_BATCH_EVENTS ||
      bytes + size > MAX_BATCH_BYTES ||
      (current.length > 0 && event.timestamp - current[0].timestamp >= MAX_BATCH_SPAN_MS);
    if (full && current.length > 0) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(event);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** The oldest timestamp CloudWatch still accepts into a group: 14 days, or the group's retention if shorter. */
export function acceptanceCutoff(nowMs: number, retentionDays?: number): number {
  const days = retentionDays === undefined ? MAX_EVENT_AGE_DAYS : Math.min(MAX_EVENT_AGE_DAYS, retentionDays);
  return nowMs - days * DAY_MS;
}

/** Splits events into those the target group accepts and those to archive (older than the cutoff). */
export function splitByAge(
  events: readonly LogEvent[],
  cutoffMs: number,
): { put: LogEvent[]; archive: LogEvent[] } {
  const put: LogEvent[] = [];
  const archive: LogEvent[] = [];
  for (const event of events) (event.timestamp < cutoffMs ? archive : put).push(event);
  return { put, archive };
}
