/**
 * Cutover decisions, as pure functions. At cutover the source's active DAGs are paused (so the
 * delta export sees a still source), and after the delta import the target unpauses exactly
 * the DAGs that were active on the source: not the ones a user had paused there on purpose,
 * and not the migration DAGs. Going back a stage reverses both, touching only what cutover
 * itself changed.
 */
import type { DagRunStatus, DagSummary, FinishedRunState, InFlightTaskInstance } from "./airflow/client";
import { MIGRATION_DAG_IDS } from "../contract";

/** DAGs cutover pauses on the source: the active ones, minus the migration DAGs and any kept running on purpose. */
export function dagsToPauseOnSource(
  sourceDags: readonly DagSummary[],
  keepRunning: readonly string[] = [],
): string[] {
  const spared = new Set([...MIGRATION_DAG_IDS, ...keepRunning]);
  return sourceDags
    .filter((dag) => !dag.isPaused && !spared.has(dag.dagId))
    .map((dag) => dag.dagId)
    .sort();
}

export interface TargetActivationPlan {
  /** Paused on the target and active on the source before cutover: unpause these. */
  unpause: string[];
  /** Already unpaused on the target: nothing to do (and nothing to undo later). */
  alreadyActive: string[];
  /** Active on the source but not parsed on the target: they cannot be unpaused. */
  missing: string[];
}

export function planTargetActivation(
  activeOnSource: readonly string[],
  targetDags: readonly DagSummary[],
  leavePaused: boolean,
): TargetActivationPlan {
  const onTarget = new Map(targetDags.map((dag) => [dag.dagId, dag]));
  const wanted = [...new Set(activeOnSource)].filter((id) => !MIGRATION_DAG_IDS.includes(id)).sort();
  const missing = wanted.filter((id) => !onTarget.has(id));
  const present = wanted.filter((id) => onTarget.has(id));
  const alreadyActive = present.filter((id) => !onTarget.get(id)!.isPaused);
  const unpause = leavePaused ? [] : present.filter((id) => onTarget.get(id)!.isPaused);
  return { unpause, alreadyActive, missing };
}

/**
 * Going back a stage: the DAGs cutover changed that are still in the state it left them in.
 * A DAG someone changed by hand since then is left alone.
 */
export function dagsToRevert(
  changedByCutover: readonly string[],
  dagsNow: readonly DagSummary[],
  cutoverLeftThemPaused: boolean,
): string[] {
  const now = new Map(dagsNow.map((dag) => [dag.dagId, dag.isPaused]));
  return changedByCutover.filter((id) => now.get(id) === cutoverLeftThemPaused).sort();
}

export function describeActivation(plan: TargetActivationPlan, leavePaused: boolean): string[] {
  const lines: string[] = [];
  if (leavePaused) lines.push("leavePaused is set: the target's DAGs stay paused");
  if (plan.unpause.length) lines.push(`unpausing on the target: ${plan.unpause.join(", ")}`);
  if (plan.alreadyActive.length) lines.push(`already active on the target: ${plan.alreadyActive.join(", ")}`);
  if (plan.missing.length)
    lines.push(
      `active on the source but not parsed on the target (not unpaused): ${plan.missing.join(", ")}`,
    );
  return lines;
}

/** How the wait for the paused DAGs to go quiet reads in progress lines and errors. */
export function describeInFlight(tasks: readonly InFlightTaskInstance[], limit = 10): string {
  const shown = tasks
    .slice(0, limit)
    .map((t) => `${t.dagId}/${t.runId}/${t.taskId}${t.mapIndex >= 0 ? `[${t.mapIndex}]` : ""} (${t.state})`);
  const more = tasks.length > limit ? ` and ${tasks.length - limit} more` : "";
  return `${shown.join(", ")}${more}`;
}

/** Task-instance states that end a task: nothing more happens to it while its DAG is paused. */
const FINISHED_TASK_STATES: readonly string[] = [
  "success",
  "failed",
  "skipped",
  "upstream_failed",
  "removed",
];

/**
 * Runs that are about to finish: still queued or running, but every task instance has ended, so only
 * the run's own state (and end date) is still to be written. The export carries a run only once it has
 * finished, so the cutover waits for these too. A run with a task that has not ended (scheduled, up for
 * retry, never started) stays unfinished while its DAG is paused: the target runs that interval anew.
 */
export function settlingRuns(runs: readonly DagRunStatus[]): DagRunStatus[] {
  return runs.filter(
    (run) =>
      (run.state === "queued" || run.state === "running") &&
      run.tasks.length > 0 &&
      run.tasks.every((task) => task.state !== null && FINISHED_TASK_STATES.includes(task.state)),
  );
}

/** How a settling run is to be finished once the source's scheduler has had its chance. */
export type RunFinish = { state: FinishedRunState } | { cannot: string };

const FAILED_LEAF_STATES: readonly string[] = ["failed", "upstream_failed"];

/**
 * The state the scheduler would give a settling run (a leaf failed: failed; otherwise success), and whether
 * the REST API can give it that state without changing anything else. Marking a run failed only touches
 * unfinished task instances, of which a settling run has none; marking it successful also marks its skipped
 * and failed task instances successful on Airflow before 3.3, so that is done only when every task succeeded.
 */
export function planRunFinish(run: DagRunStatus, leafTaskIds: readonly string[]): RunFinish {
  const leaves = new Set(leafTaskIds);
  const leafStates = run.tasks
    .filter((t) => leaves.has(t.taskId) && t.state !== "removed")
    .map((t) => t.state);
  if (leafStates.some((state) => state !== null && FAILED_LEAF_STATES.includes(state)))
    return { state: "failed" };
  const others = run.tasks.filter((t) => t.state !== "success");
  if (others.length === 0) return { state: "success" };
  const states = [...new Set(others.map((t) => t.state))].sort().join("/");
  return {
    cannot:
      `marking it successful through the REST API would also mark its ${others.length} ${states} ` +
      `task instances successful`,
  };
}

export function describeRuns(runs: readonly { dagId: string; runId: string }[], limit = 10): string {
  const shown = runs.slice(0, limit).map((r) => `${r.dagId}/${r.runId}`);
  return `${shown.join(", ")}${runs.length > limit ? ` and ${runs.length - limit} more` : ""}`;
}
