import type { RegionalAccess } from "../framework/awsAccess";
import { mwaaSdkConfig } from "./endpoint";

/** What the providers need to know about an MWAA environment, from GetEnvironment. */
export interface MwaaEnvironmentInfo {
  name: string;
  airflowVersion: string;
  status: string;
  /** Bucket name (not ARN) and DAG folder of the environment's S3 source. */
  dagBucket: string;
  dagS3Path: string;
  webserverHostname: string;
  executionRoleArn: string;
  /** The CloudWatch group of task logs, or undefined when task logging is off. */
  taskLogGroup?: string;
}

/**
 * The log group name in a CloudWatch Logs group ARN. MWAA reports ARNs with or without the trailing `:*`
 * (`arn:aws:logs:us-east-1:123456789012:log-group:airflow-MyEnv-Task:*`).
 */
export function logGroupNameFromArn(arn: string): string {
  const match = /^arn:aws[\w-]*:logs:[^:]*:\d*:log-group:([^:]+)(?::\*)?$/.exec(arn);
  if (!match)
    throw new Error(
      `"${arn}" is not a CloudWatch Logs group ARN (arn:aws:logs:<region>:<account>:log-group:<name>)`,
    );
  return match[1];
}

export async function getMwaaEnvironment(name: string, access: RegionalAccess): Promise<MwaaEnvironmentInfo> {
  const { MWAAClient, GetEnvironmentCommand } =
    require("@aws-sdk/client-mwaa") as typeof import("@aws-sdk/client-mwaa");
  const mwaa = new MWAAClient(mwaaSdkConfig(access));
  try {
    const { Environment: env } = await mwaa.send(new GetEnvironmentCommand({ Name: name }));
    if (!env) throw new Error(`GetEnvironment ${name} returned no environment`);
    const taskLogs = env.LoggingConfiguration?.TaskLogs;
    return {
      name,
      airflowVersion: env.AirflowVersion ?? "",
      status: env.Status ?? "",
      dagBucket: (env.SourceBucketArn ?? "").replace(/^arn:aws[\w-]*:s3:::/, ""),
      dagS3Path: env.DagS3Path ?? "",
      webserverHostname: env.WebserverUrl ?? "",
      executionRoleArn: env.ExecutionRoleArn ?? "",
      taskLogGroup:
        taskLogs?.Enabled && taskLogs.CloudWatchLogGroupArn
          ? logGroupNameFromArn(taskLogs.CloudWatchLogGroupArn)
          : undefined,
    };
  } finally {
    mwaa.destroy();
  }
}
