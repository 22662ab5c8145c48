/**
 * `npm run rehearse -- --pipelines <folder>`: the folder's Data Pipeline definitions converted for the
 * target as the stack converts `pipelineDefinitions`, delivered with the target's workflow assets, and
 * each DAG run once on the local target against the stack's AWS stand-in (moto). What a pipeline reads
 * is put into moto first (`envs.py seed-aws`): `<folder>/s3/<bucket>/<key>` files land in
 * `s3://<bucket>/<key>`, and `<folder>/dynamodb/<table>.json` files become tables with their items.
 */
import * as crypto from "node:crypto";
import { convertPipelineFolder, type ConvertedPipeline } from "../datapipeline/folder";

/** The longest any one task, sensor or wait of a rehearsal run may take. */
export const RUN_CAP_SECONDS = 60;

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
