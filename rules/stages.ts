/**
 * The migration's stages and what each one builds. A stage is a config value; moving to the next one
 * is a config change plus `pulumi up`, so the preview diff shows a reviewer exactly what the step does.
 */

import { importRunsInPlugin } from "./versions";

export const STAGES = ["prepare", "bulk", "cutover", "complete"] as const;
export type Stage = (typeof STAGES)[number];

export function isStage(value: string): value is Stage {
  return (STAGES as readonly string[]).includes(value);
}

/** Which parts of the migration exist at a stage. */
export interface StagePlan {
  readonly stage: Stage;
  /** Temporary cross-environment IAM grants (export write, import read, task-log read). */
  readonly grants: boolean;
  /** History export from the running source (bulk) or, at cutover, a full or delta export. */
  readonly bulkExport: boolean;
  readonly bulkImport: boolean;
  /** Pause the source, export what changed (or everything when no bulk ran), import, unpause target. */
  readonly cutover: boolean;
  /** Migration DAG files and grants removed; the bundle expires through the bucket's lifecycle rule. */
  readonly cleanup: boolean;
  /** Check that the target parses the DAGs active on the source, before any history moves. */
  readonly dagParseCheck: boolean;
}

/** What earlier updates of this stack did that the plan depends on, read from its own previous outputs. */
export interface StageHistory {
  /** The stack has built the bulk export and import (it applied `bulk`). */
  readonly bulkApplied: boolean;
}

/**
 * The history recorded in the stack's previous outputs (`stage`, `bulkApplied`). A stack whose last
 * stage was `bulk` has applied it even if it was written before `bulkApplied` was an output.
 */
export function stageHistory(previous: { stage?: unknown; bulkApplied?: unknown }): StageHistory {
  return { bulkApplied: previous.bulkApplied === true || previous.stage === "bulk" };
}

/**
 * At `cutover`, the bulk phases stay only if the stack applied `bulk` (their resources are in its
 * state, and the cutover exports what changed since their watermark). A stack that goes straight from
 * `prepare` to `cutover` builds none: it pauses the source and exports everything once.
 */
export function stagePlan(stage: Stage, history: StageHistory): StagePlan {
  const bulk = stage === "bulk" || (stage === "cutover" && history.bulkApplied);
  return {
    stage,
    grants: stage !== "complete",
    bulkExport: bulk,
    bulkImport: bulk,
    cutover: stage === "cutover",
    cleanup: stage === "complete",
    dagParseCheck: stage !== "complete",
  };
}

/**
 * Which stage moves are allowed from the stage this stack last applied (`previous`, undefined on a
 * stack that never ran). Forward only: `prepare` first, then `bulk` and/or `cutover`, then `complete`.
 * `prepare` may go straight to `cutover` (a single full export while the source is paused, as the
 * migration guide does). Going back needs `allowStageRollback`, because it re-creates grants and
 * re-runs phases that already moved data; from `complete` there is no going back (the cutover is final).
 */
export function stageTransitionProblem(
  previous: Stage | undefined,
  next: Stage,
  allowStageRollback: boolean,
): string | undefined {
  if (previous === undefined) {
    if (next === "prepare") return undefined;
    return (
      `mwaa-migration:stage is "${next}" but this stack has not run "prepare" yet; ` +
      `set mwaa-migration:stage to prepare, run pulumi up, then move on.`
    );
  }
  const from = STAGES.indexOf(previous);
  const to = STAGES.indexOf(next);
  if (previous === "complete" && next !== "complete") {
    return (
      `mwaa-migration:stage moves back from "complete" to "${next}", but complete is final: its cutover ` +
      `stays as it is even when the stack is destroyed, so going back would not resume the source. ` +
      `Unpause by hand the source's DAGs that the cutover paused (the pausedDags output of its CutoverSourcePause resource) if you mean to return to it.`
    );
  }
  if (to < from) {
    if (allowStageRollback) return undefined;
    return (
      `mwaa-migration:stage moves back from "${previous}" to "${next}"; stages move forward only. ` +
      `Set mwaa-migration:allowStageRollback to true if you mean to go back.`
    );
  }
  if (next === "complete" && previous !== "cutover" && previous !== "complete") {
    return (
      `mwaa-migration:stage skips from "${previous}" to "complete": the grants would be removed before the ` +
      `cutover moved the last changes; set mwaa-migration:stage to cutover first.`
    );
  }
  return undefined;
}

/**
 * Whether the target's plugins.zip carries the migration plugin: when history moves into a target whose
 * import runs in the plugin (Airflow 3), from `prepare` on, because on MWAA a plugins change is an
 * environment update and belongs with the create, until `complete` takes it out again.
 */
export function shipsMigrationPlugin(
  stage: Stage,
  historyImport: boolean,
  targetAirflowVersion: string,
): boolean {
  return historyImport && stage !== "complete" && importRunsInPlugin(targetAirflowVersion);
}
