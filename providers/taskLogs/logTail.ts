/**
 * The last lines of one task try's log, read from the environment's CloudWatch task log group: where an
 * MWAA environment's task logs are readable when Airflow's own log endpoint is not (InvokeRestApi refuses
 * the log path of a migration run, over its 64 characters, and the CLI token cannot print logs).
 *
 * The SDK is required inside the function: this code runs inside a dynamic provider serialized by
 * Pulumi's closure serializer.
 */
import { type AwsAccess, sdkSettings } from "../framework/awsAccess";
import { errorName } from "./awsErrors";
import { logTemplateFor, renderStreamName, type TaskInstanceLogKey } from "./streamNames";

export interface TaskLogTailRequest {
  /** The environment's side: its region and who reads its logs (awsAccess). */
  access: AwsAccess;
  logGroupName: string;
  airflowVersion: string;
  key: Omit<TaskInstanceLogKey, "logicalDate">;
  maxLines: number;
}

export async function cloudWatchTaskLogTail(request: TaskLogTailRequest): Promise<string> {
  const logs = require("@aws-sdk/client-cloudwatch-logs") as typeof import("@aws-sdk/client-cloudwatch-logs");
  // Airflow 2.3 and later name a try's stream without its logical date, which the run status lacks.
  const stream = renderStreamName(
    { ...request.key, logicalDate: null },
    logTemplateFor(request.airflowVersion),
  );
  const cwl = new logs.CloudWatchLogsClient({ ...sdkSettings(request.access), maxAttempts: 2 });
  try {
    const page = await cwl.send(
      new logs.GetLogEventsCommand({
        logGroupName: request.logGroupName,
        logStreamName: stream,
        startFromHead: false,
        limit: request.maxLines,
      }),
    );
    return (page.events ?? []).map((event) => (event.message ?? "").replace(/\n$/, "")).join("\n");
  } catch (error) {
    throw new Error(
      `reading ${request.logGroupName}/${stream}: ${errorName(error) || "Error"}: ${(error as Error).message}`,
    );
  } finally {
    cwl.destroy();
  }
}
