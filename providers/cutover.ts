/**
 * Cutover decisions, as pure functions. At cutover the source's active DAGs are paused (so the
 * delta export sees a still source), and after the delta import the target unpauses exactly
 * the DAGs that were active on the source: not the ones a user had paused there on purpose,
 * and not the migration DAGs. Going back a stage reverses both, touching only what cutover
 * itself changed.
 */
import type { DagSummary, InFlightTaskInstance } from "./airflow/client";
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
