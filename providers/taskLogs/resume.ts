/**
 * Where a task-log copy resumes a target stream that an interrupted run left half-written.
 *
 * A copy writes a stream's events in source order (time order, as GetLogEvents returns them) in whole
 * PutLogEvents batches, so a half-written target holds a prefix of the source's events. The target's last
 * timestamp T and the number of its events at T identify that prefix: every source event before T is in the
 * target, and so are the first `eventsAtTimestamp` source events at T. Counting the events at T matters
 * because a batch can end in the middle of a run of equal timestamps.
 */
import { LogEvent } from "./batching";

export interface ResumePoint {
  /** The target stream's last timestamp. */
  timestamp: number;
  /** How many of the target's events carry that timestamp. */
  eventsAtTimestamp: number;
}

/**
 * Reads the resume point from the target's last events (ascending, ending with its last event).
 * `earlierExist` says whether events before `tail` exist: when they do and every event of `tail` has the last
 * timestamp, the count is not known yet and `undefined` is returned, meaning "read the page before this one
 * and call again with it prepended". An empty target with nothing earlier has no resume point: copy it all,
 * which is `{ timestamp: -Infinity, eventsAtTimestamp: 0 }`.
 */
export function resumePointFrom(tail: readonly LogEvent[], earlierExist: boolean): ResumePoint | undefined {
  if (tail.length === 0) return earlierExist ? undefined : { timestamp: -Infinity, eventsAtTimestamp: 0 };
  const timestamp = tail[tail.length - 1].timestamp;
  let eventsAtTimestamp = 0;
  for (let i = tail.length - 1; i >= 0 && tail[i].timestamp === timestamp; i--) eventsAtTimestamp++;
  if (eventsAtTimestamp === tail.length && earlierExist) return undefined;
  return { timestamp, eventsAtTimestamp };
}

/**
 * Drops, from source events read in order from the resume point's timestamp on, those the target already has.
 * Feed it every page in turn; it remembers how many events at the resume timestamp it has dropped so far.
 */
export class ResumeFilter {
  private toSkipAtTimestamp: number;

  constructor(private readonly point: ResumePoint) {
    this.toSkipAtTimestamp = point.eventsAtTimestamp;
  }

  /** The source's first timestamp still of interest (GetLogEvents' startTime), if any. */
  get startTime(): number | undefined {
    return Number.isFinite(this.point.timestamp) ? this.point.timestamp : undefined;
  }

  remaining(events: readonly LogEvent[]): LogEvent[] {
    const out: LogEvent[] = [];
    for (const event of events) {
      if (event.timestamp < this.point.timestamp) continue;
      if (event.timestamp === this.point.timestamp && this.toSkipAtTimestamp > 0) {
        this.toSkipAtTimestamp--;
        continue;
      }
      out.push(event);
    }
    return out;
  }
}
