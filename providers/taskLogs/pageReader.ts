/**
 * Reads log streams a GetLogEvents page at a time, paced by a token bucket: forwards from a start time (a
 * source stream), or backwards from the end far enough to know where a half-written target stream resumes.
 *
 * Clients are made per copy by the caller and the SDK is required inside the functions, because this code
 * runs inside a dynamic provider serialized by Pulumi's closure serializer.
 */
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { LogEvent } from "./batching";
import { errorName } from "./awsErrors";
import { ResumePoint, resumePointFrom } from "./resume";
import { TokenBucket } from "./tokenBucket";

export interface LogEventsPage {
  events: LogEvent[];
  nextForwardToken?: string;
  nextBackwardToken?: string;
}

export interface PageReaderCounts {
  /** Every GetLogEvents call made, throttled ones included. */
  called(): void;
  throttled(): void;
}

export interface PageReader {
  /**
   * Hands each page of a stream, from `startTime`, to `onPage` before reading the next, until the forward
   * token stops changing. Rejects with a `missingStream` error (see `isMissingStream`) if there is no stream.
   */
  readForward(
    group: string,
    stream: string,
    startTime: number | undefined,
    onPage: (events: LogEvent[]) => Promise<void>,
  ): Promise<void>;
  /** Where a copy continues a target stream: its last timestamp and how many events it has there. */
  resumePoint(group: string, stream: string): Promise<ResumePoint>;
}

/** The resume point of a target stream that does not exist yet or is empty: copy everything. */
export const fromTheStart = (): ResumePoint => resumePointFrom([], false)!;

export function pageReader(
  cwl: CloudWatchLogsClient,
  bucket: TokenBucket,
  counts: PageReaderCounts,
): PageReader {
  const logs = require("@aws-sdk/client-cloudwatch-logs") as typeof import("@aws-sdk/client-cloudwatch-logs");

  /** One GetLogEvents call, within the token bucket, retried while throttled. undefined: no such stream. */
  async function getLogEvents(request: {
    logGroupName: string;
    logStreamName: string;
    startFromHead: boolean;
    nextToken?: string;
    startTime?: number;
  }): Promise<LogEventsPage | undefined> {
    for (;;) {
      await bucket.take();
      try {
        counts.called();
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
          counts.throttled();
          bucket.throttled();
          continue;
        }
        if (errorName(error) === "ResourceNotFoundException") return undefined;
        throw error;
      }
    }
  }

  return {
    async readForward(group, stream, startTime, onPage) {
      let token: string | undefined;
      for (;;) {
        const page = await getLogEvents({
          logGroupName: group,
          logStreamName: stream,
          startFromHead: true,
          nextToken: token,
          // The same startTime on every page: a token is a position among the events the request selects.
          startTime,
        });
        if (page === undefined) throw missingStreamError();
        await onPage(page.events);
        if (!page.nextForwardToken || page.nextForwardToken === token) return;
        token = page.nextForwardToken;
      }
    },

    /** Reads the stream backwards from its end until its last timestamp's events are all counted. */
    async resumePoint(group, stream) {
      let tail: LogEvent[] = [];
      let token: string | undefined;
      for (;;) {
        const page = await getLogEvents({
          logGroupName: group,
          logStreamName: stream,
          startFromHead: false,
          nextToken: token,
        });
        if (page === undefined) return fromTheStart();
        // Only events at one timestamp are carried to the next (earlier) page.
        tail = [...page.events, ...tail];
        const ended = !page.nextBackwardToken || page.nextBackwardToken === token || page.events.length === 0;
        const point = resumePointFrom(tail, !ended);
        if (point) return point;
        token = page.nextBackwardToken;
      }
    },
  };
}

/** A plain Error with a flag, not a subclass: this code is serialized with the provider (see ../framework/partialState). */
const missingStreamError = () =>
  Object.assign(new Error("source stream does not exist"), { missingStream: true });

export const isMissingStream = (error: unknown): boolean =>
  (error as { missingStream?: boolean } | undefined)?.missingStream === true;
