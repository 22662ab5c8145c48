/**
 * The create flow both resources share: deliver the DAG and wait until it is parsed (unless it is
 * staged already, see staging.ts), trigger it with a deterministic run id, poll to a deadline with
 * progress lines, then take the DAG out.
 * The outcome is a value, not an exception, so the provider decides what goes into state.
 */
import type { AirflowClient, DagRunStatus } from "../airflow/client";
import { removePayload } from "./dagDelivery";
import { describeError } from "./partialState";
import { readPayload } from "./payload";
import { pauseLedger } from "./pauseLedger";
import { ensureStaged } from "./staging";
import { type Clock, pollUntil } from "../clock";
import { formatProgress, lastTableProgress, TableProgress } from "./progress";
import type { AwsAccess } from "./awsAccess";

export interface RunSpec {
  /** Shown in progress lines, e.g. "MetadataExport". */
  resource: string;
  dagId: string;
  runId: string;
  conf: Record<string, unknown>;
  dagFolder: string;
  payloadDir: string;
  /** How the DAG folder is reached: the side's account and region (awsAccess). */
  dagFolderAccess?: AwsAccess;
  parseDeadlineSeconds: number;
  deadlineSeconds: number;
  pollIntervalSeconds: number;
}

export type RunOutcome =
  | { kind: "succeeded"; runId: string; elapsedMs: number }
  /** Never triggered: nothing to resume, plain failure. Paused state and DAG folder restored. */
  | { kind: "notStarted"; reason: string }
  /** Triggered and failed: paused state restored, DAG files removed; a resume starts the next attempt. */
  | { kind: "failed"; runId: string; reason: string }
  /**
   * Triggered, and the outcome is not known: still running at the deadline, or polling broke
   * (an S3 or API error). The run and its DAG file are left alone; a resume polls the same run.
   */
  | { kind: "unfinished"; runId: string; reason: string };

export type TaskLogTail = (
  dagId: string,
  runId: string,
  taskId: string,
  tryNumber: number,
  maxLines: number,
) => Promise<string>;

export interface RunDeps {
  airflow: AirflowClient;
  clock: Clock;
  log: (line: string) => void;
  /** Where task logs are read when Airflow's log endpoint cannot serve them (MWAA: CloudWatch). */
  taskLogFallback?: TaskLogTail;
}

/** A task try's last lines: from Airflow, else from the fallback; the error names both when neither answers. */
async function readLogTail(
  deps: RunDeps,
  ...[dagId, runId, taskId, tryNumber, maxLines]: Parameters<TaskLogTail>
): Promise<string> {
  try {
    return await deps.airflow.taskLogTail(dagId, runId, taskId, tryNumber, maxLines);
  } catch (error) {
    if (!deps.taskLogFallback) throw error;
    try {
      return await deps.taskLogFallback(dagId, runId, taskId, tryNumber, maxLines);
    } catch (fallbackError) {
      throw new Error(`${describeError(error)}; ${describeError(fallbackError)}`);
    }
  }
}

const FINISHED = ["success", "failed"];

function activeTask(run: DagRunStatus): { taskId: string; tryNumber: number } | undefined {
  const task = run.tasks.find((t) => t.state === "running") ?? run.tasks.find((t) => t.state === "queued");
  return task ? { taskId: task.taskId, tryNumber: task.tryNumber ?? 1 } : undefined;
}

async function failureReason(deps: RunDeps, spec: RunSpec, run: DagRunStatus): Promise<string> {
  const failed = run.tasks.filter((t) => t.state === "failed" || t.state === "upstream_failed");
  const details: string[] = [];
  for (const task of failed.filter((t) => t.state === "failed").slice(0, 3)) {
    let tail: string;
    if (task.tryNumber === 0) {
      // Before Airflow 2.10 a try is counted when it starts running: this one never did, and has no log.
      tail =
        "(it never started running, so it has no log: the worker could not load or start it; the scheduler's " +
        "log says why, on MWAA the environment's Scheduler and Worker log groups)";
    } else {
      try {
        tail = (await readLogTail(deps, spec.dagId, spec.runId, task.taskId, task.tryNumber ?? 1, 5)).trim();
      } catch (e) {
        tail = `(log not readable: ${describeError(e)})`;
      }
    }
    details.push(`task ${task.taskId} failed${tail ? `:\n  ${tail.split("\n").join("\n  ")}` : ""}`);
  }
  const names = failed.map((t) => t.taskId).join(", ") || "none reported";
  return [`run ${spec.runId} of ${spec.dagId} failed (failed tasks: ${names})`, ...details].join("\n");
}

/** The promise's value, or a rejection after `seconds` (the timer does not keep the process alive). */
function withinSeconds<T>(seconds: number, promise: Promise<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${seconds}s`)), seconds * 1000);
    timer.unref?.();
    promise.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (error) => (clearTimeout(timer), reject(error)),
    );
  });
}

const withoutElapsed = (line: string) => line.replace(/ · [^·]+ elapsed$/, "");

/** Waits for the run to end; logs a progress line whenever state, task or table changes, and at least every minute. */
async function watchRun(deps: RunDeps, spec: RunSpec, startedAt: number): Promise<DagRunStatus | undefined> {
  let lastLine = "";
  let lastLoggedAt = -Infinity;
  const timedOut = new Error("deadline");
  try {
    return await pollUntil(
      deps.clock,
      startedAt + spec.deadlineSeconds * 1000,
      spec.pollIntervalSeconds * 1000,
      async () => {
        const run = await deps.airflow.runStatus(spec.dagId, spec.runId);
        const task = activeTask(run);
        let table: TableProgress | undefined;
        if (task) {
          try {
            // Progress must never hold up the poll: give the log read a few seconds at most.
            table = lastTableProgress(
              await withinSeconds(
                5,
                readLogTail(deps, spec.dagId, spec.runId, task.taskId, task.tryNumber, 50),
              ),
            );
          } catch {
            // Progress is best effort; the run state is what decides.
          }
        }
        const now = deps.clock.now();
        const line = formatProgress({
          resource: spec.resource,
          runId: spec.runId,
          state: run.state,
          task: task?.taskId,
          table,
          elapsedMs: now - startedAt,
        });
        if (withoutElapsed(line) !== withoutElapsed(lastLine) || now - lastLoggedAt >= 60_000) {
          deps.log(line);
          lastLine = line;
          lastLoggedAt = now;
        }
        return FINISHED.includes(run.state) ? run : undefined;
      },
      () => timedOut,
    );
  } catch (e) {
    if (e === timedOut) return undefined;
    throw e;
  }
}

export async function runMigrationDag(deps: RunDeps, spec: RunSpec): Promise<RunOutcome> {
  const startedAt = deps.clock.now();
  const files = readPayload(spec.payloadDir, spec.dagId);
  const keys = files.map((f) => f.key);
  const ledger = pauseLedger(deps.airflow);
  const cleanUp = async (): Promise<string[]> => {
    const problems = await ledger.restore();
    try {
      await removePayload(spec.dagFolder, keys, spec.dagFolderAccess);
    } catch (e) {
      problems.push(`could not remove the DAG files from ${spec.dagFolder}: ${describeError(e)}`);
    }
    return problems;
  };

  let triggered = false;
  try {
    await ensureStaged(
      { airflow: deps.airflow, log: deps.log, resource: spec.resource },
      { ...spec, files, parseDeadlineMs: startedAt + spec.parseDeadlineSeconds * 1000 },
    );
    const dag = (await deps.airflow.listDags()).find((d) => d.dagId === spec.dagId);
    // A DAG must be unpaused for its triggered run to be scheduled; the ledger puts it back.
    await ledger.set(spec.dagId, dag?.isPaused ?? true, false);
    const trigger = await deps.airflow.trigger({ dagId: spec.dagId, runId: spec.runId, conf: spec.conf });
    triggered = true;
    deps.log(
      `[${spec.resource}] ${trigger.created ? "triggered" : "resuming existing"} run ${spec.runId} of ${spec.dagId}`,
    );

    const run = await watchRun(deps, spec, deps.clock.now());
    if (run === undefined) {
      return {
        kind: "unfinished",
        runId: spec.runId,
        reason: `run ${spec.runId} of ${spec.dagId} was still running after deadlineSeconds=${spec.deadlineSeconds}; it keeps running, and the next \`pulumi up\` resumes waiting for it (raise deadlineSeconds to wait longer)`,
      };
    }
    if (run.state !== "success") {
      const reason = await failureReason(deps, spec, run);
      const problems = await cleanUp();
      return { kind: "failed", runId: spec.runId, reason: [reason, ...problems].join("\n") };
    }
    const problems = await cleanUp();
    for (const problem of problems) deps.log(`[${spec.resource}] warning: ${problem}`);
    return { kind: "succeeded", runId: spec.runId, elapsedMs: deps.clock.now() - startedAt };
  } catch (e) {
    if (triggered) {
      return {
        kind: "unfinished",
        runId: spec.runId,
        reason: `lost track of run ${spec.runId} of ${spec.dagId}: ${describeError(e)}; the next \`pulumi up\` resumes waiting for it`,
      };
    }
    const problems = await cleanUp();
    return { kind: "notStarted", reason: [describeError(e), ...problems].join("\n") };
  }
}
