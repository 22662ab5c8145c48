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
 * Cuts a stream of events, as they arrive, into batches that each satisfy every PutLogEvents limit, holding
 * at most one batch. Oversized messages are shortened with `fitMessage`. An event older than the one before
 * it starts a new batch, so each batch stays in time order even if its input is not.
 */
export class StreamBatcher {
  private current: LogEvent[] = [];
  private bytes = 0;

  /** Adds an event; returns the batch it completed, if it completed one. */
  add(event: LogEvent): LogEvent[] | undefined {
    const fitted = { timestamp: event.timestamp, message: fitMessage(event.message) };
    const size = eventSize(fitted);
    const current = this.current;
    const full =
      current.length > 0 &&
      (current.length >= MAX_BATCH_EVENTS ||
        this.bytes + size > MAX_BATCH_BYTES ||
        fitted.timestamp - current[0].timestamp >= MAX_BATCH_SPAN_MS ||
        fitted.timestamp < current[current.length - 1].timestamp);
    const completed = full ? this.flush() : undefined;
    this.current.push(fitted);
    this.bytes += size;
    return completed;
  }

  /** The events held back, as a last batch (undefined when none). */
  flush(): LogEvent[] | undefined {
    if (this.current.length === 0) return undefined;
    const batch = this.current;
    this.current = [];
    this.bytes = 0;
    return batch;
  }
}

/** Sorts events by time (stable, so events with one timestamp keep their order) and cuts them into batches. */
export function planBatches(events: readonly LogEvent[]): LogEvent[][] {
  const sorted = events
    .map((event, index) => ({ event, index }))
    .sort((a, b) => a.event.timestamp - b.event.timestamp || a.index - b.index)
    .map(({ event }) => event);
  const batcher = new StreamBatcher();
  const batches: LogEvent[][] = [];
  for (const event of sorted) {
    const batch = batcher.add(event);
    if (batch) batches.push(batch);
  }
  const last = batcher.flush();
  if (last) batches.push(last);
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
