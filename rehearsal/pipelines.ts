/**
 * `npm run rehearse -- --pipelines <folder>`: the folder's Data Pipeline definitions converted for the
 * target as the stack converts `pipelineDefinitions`, delivered with the target's workflow assets, and
 * each DAG run once on the local target against the stack's AWS stand-in (moto). What a pipeline reads
 * can be put into moto's S3 first: `<folder>/s3/<bucket>/<key>` files land in `s3://<bucket>/<key>`.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { convertPipelineFolder, type ConvertedPipeline } from "../datapipeline/folder";

/** The longest any one task, sensor or wait of a rehearsal run may take. */
export const RUN_CAP_SECONDS = 60;

/** Where the seed files sit inside the definitions folder. */
export const S3_SEED_FOLDER = "s3";

/** One converted pipeline and its run on the target, as the report shows it. */
export interface PipelineRun {
  definition: string;
  dagId: string;
  dagFile: string;
  converted: number;
  approximated: number;
  notConverted: number;
  /** success, failed, or "not run" (the DAG could not be run at all). */
  state: string;
  /** The run's run-after time: the first run of the DAG's schedule, or the rehearsal's time for none. */
  runAfter?: string;
  seconds?: number;
  /** Task id -> its state after the run. */
  tasks: Record<string, string>;
  /** Task id -> what the run bounded (retries, timeouts beyond the cap). */
  bounded: Record<string, string[]>;
  error?: string;
}

/** What run_once.py writes per DAG. */
export interface RunOnceResult {
  state: string;
  runAfter?: string;
  seconds?: number;
  tasks: Record<string, string>;
  bounded: Record<string, string[]>;
  error?: string;
}

/**
 * The folder converted for the target's Airflow, or an error listing every definition at fault.
 * Pipelines that start at their first activation start at `activation`: the rehearsal activates them.
 */
export function convertForRehearsal(
  folder: string,
  targetVersion: string,
  activation: Date,
): ConvertedPipeline[] {
  const { pipelines, problems } = convertPipelineFolder(folder, targetVersion, {
    activationTime: activation,
  });
  if (problems.length > 0)
    throw new Error(
      `--pipelines ${folder}: ${problems.length} definition${problems.length === 1 ? "" : "s"} did not convert:\n` +
        problems.map((p) => `  - ${p.replace("mwaa-migration:pipelineDefinitions: ", "")}`).join("\n"),
    );
  return pipelines;
}

/** The converted DAGs by file name with their sha256, as WorkflowAssets hashes its generated files. */
export function generatedDagHashes(pipelines: readonly ConvertedPipeline[]): Record<string, string> {
  return Object.fromEntries(
    pipelines.map((p) => [p.dagFile, crypto.createHash("sha256").update(p.content).digest("hex")]),
  );
}

/** The seed files under `<folder>/s3`, as bucket, key and local path; none when there is no such folder. */
export function s3SeedFiles(folder: string): { bucket: string; key: string; file: string }[] {
  const root = path.join(folder, S3_SEED_FOLDER);
  if (!fs.existsSync(root)) return [];
  const files: { bucket: string; key: string; file: string }[] = [];
  const walk = (dir: string) => {
    for (const entry of fs
      .readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else {
        const [bucket, ...key] = path.relative(root, full).split(path.sep);
        if (key.length > 0) files.push({ bucket, key: key.join("/"), file: full });
      }
    }
  };
  walk(root);
  return files;
}

/** Puts the seed files into the stand-in's S3, creating their buckets. */
export async function seedS3(folder: string): Promise<number> {
  const files = s3SeedFiles(folder);
  if (files.length === 0) return 0;
  const s3sdk = await import("@aws-sdk/client-s3");
  const s3 = new s3sdk.S3Client({ forcePathStyle: true });
  try {
    for (const bucket of new Set(files.map((f) => f.bucket))) {
      try {
        await s3.send(new s3sdk.CreateBucketCommand({ Bucket: bucket }));
      } catch (e) {
        if (!["BucketAlreadyOwnedByYou", "BucketAlreadyExists"].includes((e as { name?: string }).name ?? ""))
          throw e;
      }
    }
    for (const f of files)
      await s3.send(
        new s3sdk.PutObjectCommand({ Bucket: f.bucket, Key: f.key, Body: fs.readFileSync(f.file) }),
      );
  } finally {
    s3.destroy();
  }
  return files.length;
}

/** Each converted pipeline with its run; a DAG the runner did not report is "not run". */
export function pipelineRuns(
  pipelines: readonly ConvertedPipeline[],
  results: Record<string, RunOnceResult>,
): PipelineRun[] {
  return pipelines.map((p) => {
    const result = results[p.dagId] ?? {
      state: "not run",
      tasks: {},
      bounded: {},
      error: "the runner reported nothing for it",
    };
    return {
      definition: p.definition,
      dagId: p.dagId,
      dagFile: p.dagFile,
      converted: p.converted,
      approximated: p.approximated,
      notConverted: p.notConverted,
      ...result,
    };
  });
}

/** "3 of 4 tasks succeeded; failed: load (upstream_failed: report)" and the like. */
export function taskSummary(run: PipelineRun): string {
  if (run.error) return run.error;
  const tasks = Object.entries(run.tasks);
  const succeeded = tasks.filter(([, state]) => state === "success").length;
  const byState = new Map<string, string[]>();
  for (const [task, state] of tasks)
    if (state !== "success") byState.set(state, [...(byState.get(state) ?? []), task]);
  const others = [...byState.entries()].map(([state, ids]) => `${state}: ${ids.join(", ")}`);
  return [`${succeeded} of ${tasks.length} tasks succeeded`, ...others].join("; ");
}

/** The bounds a run applied, one line per task, for the report's footnote. */
export function boundedLines(runs: readonly PipelineRun[]): string[] {
  return runs.flatMap((run) =>
    Object.entries(run.bounded).map(([task, changes]) => `${run.dagId}.${task}: ${changes.join(", ")}`),
  );
}
