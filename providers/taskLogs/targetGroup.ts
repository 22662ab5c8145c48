/**
 * The target log group: which streams it already has, its retention (which sets the age beyond which events
 * are archived instead), and a writer that creates a stream on its first batch and puts batches with retries.
 */
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { LogEvent } from "./batching";
import { errorName, withRetries } from "./awsErrors";
import type { Clock } from "../clock";

/** Every stream name in a log group (DescribeLogStreams, all pages, each retried while throttled). */
export async function listStreamNames(
  cwl: CloudWatchLogsClient,
  group: string,
  clock: Clock,
): Promise<Set<string>> {
  const logs = require("@aws-sdk/client-cloudwatch-logs") as typeof import("@aws-sdk/client-cloudwatch-logs");
  const names = new Set<string>();
  let nextToken: string | undefined;
  do {
    const page = await withRetries(clock, () =>
      cwl.send(new logs.DescribeLogStreamsCommand({ logGroupName: group, nextToken })),
    );
    for (const stream of page.logStreams ?? []) if (stream.logStreamName) names.add(stream.logStreamName);
    nextToken = page.nextToken;
  } while (nextToken);
  return names;
}

/**
 * The target group's retention in days (undefined: never expires); rejects if the group does not exist where
 * it was looked for (`where`: the region and identity, for the message).
 */
export async function targetRetentionDays(
  cwl: CloudWatchLogsClient,
  group: string,
  where = "",
): Promise<number | undefined> {
  const logs = require("@aws-sdk/client-cloudwatch-logs") as typeof import("@aws-sdk/client-cloudwatch-logs");
  const page = await cwl.send(new logs.DescribeLogGroupsCommand({ logGroupNamePrefix: group }));
  const found = page.logGroups?.find((candidate) => candidate.logGroupName === group);
  if (!found) {
    throw new Error(
      `target log group ${group} does not exist${where ? ` ${where}` : ""}; create the target environment first, ` +
        `or, for a target in another account or region, set targetRoleArn (or targetProfile) and targetRegion`,
    );
  }
  return found.retentionInDays;
}

export interface TargetStreamWriter {
  /** Stores one batch (PutLogEvents), creating the stream first if it does not exist yet. */
  put(batch: LogEvent[]): Promise<void>;
}

export function targetStreamWriter(
  cwl: CloudWatchLogsClient,
  group: string,
  stream: string,
  exists: boolean,
  clock: Clock,
): TargetStreamWriter {
  const logs = require("@aws-sdk/client-cloudwatch-logs") as typeof import("@aws-sdk/client-cloudwatch-logs");
  let created = exists;

  async function create(): Promise<void> {
    try {
      await cwl.send(new logs.CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
    } catch (error) {
      if (errorName(error) !== "ResourceAlreadyExistsException") throw error;
    }
  }

  return {
    async put(batch) {
      if (!created) {
        await create();
        created = true;
      }
      await withRetries(clock, () =>
        cwl.send(
          new logs.PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: batch }),
        ),
      );
    },
  };
}
