/**
 * The task-log step of a stage: the task instances an export carried (read back from its bundle,
 * so only migrated history has its logs copied) handed to the providers' CloudWatch copy.
 */
import { gunzipSync } from "node:zlib";
import { bundleKeyPrefix, BundleLocation } from "../../providers/resources/bundle";
import { copyTaskLogs, MigratedTaskInstance, TaskLogCopyResult } from "../../providers/taskLogs/copy";

type Row = Record<string, unknown>;

export function parseJsonLines(text: string): Row[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Row);
}

/**
 * Task instances of a bundle in the log copy's terms. The logical date comes from the run
 * (task_instance has no execution_date since 2.2); versions whose rows still carry it use their own.
 */
export function migratedTaskInstances(
  taskInstances: readonly Row[],
  dagRuns: readonly Row[],
): MigratedTaskInstance[] {
  const logicalDates = new Map<string, string>();
  for (const run of dagRuns) {
    const date = run.logical_date ?? run.execution_date;
    if (typeof date === "string") logicalDates.set(`${String(run.dag_id)}\u0000${String(run.run_id)}`, date);
  }
  return taskInstances.map((ti) => {
    const key = `${String(ti.dag_id)}\u0000${String(ti.run_id)}`;
    const logicalDate =
      logicalDates.get(key) ?? (typeof ti.execution_date === "string" ? ti.execution_date : "");
    return {
      dagId: String(ti.dag_id),
      taskId: String(ti.task_id),
      runId: String(ti.run_id),
      mapIndex: typeof ti.map_index === "number" ? ti.map_index : -1,
      tryNumber: typeof ti.try_number === "number" ? ti.try_number : 1,
      state: String(ti.state),
      logicalDate,
      endDate: typeof ti.end_date === "string" ? ti.end_date : null,
    };
  });
}

async function readTable(location: BundleLocation, table: string): Promise<Row[]> {
  const { S3Client, GetObjectCommand } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  const s3 = new S3Client({ forcePathStyle: true });
  try {
    const reply = await s3.send(
      new GetObjectCommand({
        Bucket: location.bucket,
        Key: `${bundleKeyPrefix(location)}tables/${table}.jsonl.gz`,
      }),
    );
    const bytes = await reply.Body!.transformToByteArray();
    return parseJsonLines(gunzipSync(Buffer.from(bytes)).toString("utf8"));
  } catch (e) {
    if ((e as { name?: string }).name === "NoSuchKey") return [];
    throw e;
  } finally {
    s3.destroy();
  }
}

export interface LogCopyPlan {
  region: string;
  sourceLogGroup: string;
  targetLogGroup: string;
  sourceAirflowVersion: string;
  targetAirflowVersion: string;
  archiveBucket: string;
  archivePrefix: string;
  kmsKeyId: string;
}

export async function copyLogsOfExport(
  plan: LogCopyPlan,
  location: BundleLocation,
  progress: (line: string) => void,
): Promise<TaskLogCopyResult> {
  const [tis, runs] = await Promise.all([
    readTable(location, "task_instance"),
    readTable(location, "dag_run"),
  ]);
  return copyTaskLogs(
    {
      region: plan.region,
      sourceLogGroup: plan.sourceLogGroup,
      targetLogGroup: plan.targetLogGroup,
      sourceAirflowVersion: plan.sourceAirflowVersion,
      targetAirflowVersion: plan.targetAirflowVersion,
      taskInstances: migratedTaskInstances(tis, runs),
      archive: { bucket: plan.archiveBucket, prefix: plan.archivePrefix, kmsKeyId: plan.kmsKeyId },
      s3ForcePathStyle: true,
    },
    { progress },
  );
}
