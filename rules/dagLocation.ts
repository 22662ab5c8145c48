/**
 * Where an environment's DAG files live: MWAA's DAG bucket and folder, written as an S3 URI
 * (`s3://bucket/dags`), or a self-managed Airflow's local DAG folder (an absolute path). The
 * migration DAGs are delivered there, and the target must never share the source's.
 */

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

/** The DAG folder the migration DAGs are copied into: an S3 URI (MWAA's DAG prefix) or a local folder. */
export type DagFolder = { kind: "s3"; bucket: string; prefix: string } | { kind: "folder"; path: string };

export function parseDagFolder(uri: string): DagFolder {
  const s3 = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(uri);
  if (s3) {
    const prefix = (s3[2] ?? "").replace(/\/+$/, "");
    return { kind: "s3", bucket: s3[1], prefix: prefix === "" ? "" : `${prefix}/` };
  }
  if (uri.startsWith("/")) return { kind: "folder", path: uri.replace(/\/+$/, "") || "/" };
  throw new Error(
    `dagFolder ${JSON.stringify(uri)} is neither an S3 URI ("s3://bucket/dags") nor an absolute local folder ("/opt/airflow/dags")`,
  );
}
