/**
 * How the program's view of an environment becomes the `airflow` and `dagFolder` inputs of the
 * work resources. Pure, so the mapping is tested without a stack.
 */
import type { AirflowTarget } from "./target";

/** "arn:aws:s3:::bucket" or "bucket" -> "bucket". */
export function bucketNameOf(bucketArnOrName: string): string {
  return bucketArnOrName.replace(/^arn:aws[a-z-]*:s3:::/, "");
}

/** "arn:aws:s3:::bucket" or "bucket" plus MWAA's dagS3Path ("dags") -> "s3://bucket/dags". */
export function s3DagFolder(bucketArnOrName: string, dagS3Path: string): string {
  const bucket = bucketNameOf(bucketArnOrName);
  const prefix = dagS3Path.replace(/^\/+|\/+$/g, "");
  return prefix ? `s3://${bucket}/${prefix}` : `s3://${bucket}`;
}

export function mwaaAirflow(environmentName: string, airflowVersion: string, region: string): AirflowTarget {
  return { kind: "mwaa", environmentName, airflowVersion, region };
}

export function selfManagedAirflow(
  api: { url: string; username: string; password: string },
  airflowVersion: string,
): AirflowTarget {
  return {
    kind: "self-managed",
    url: api.url,
    username: api.username,
    password: api.password,
    airflowVersion,
  };
}
