/**
 * One interface for every way this project talks to Airflow: the MWAA InvokeRestApi operation, the MWAA CLI
 * token endpoint, and Airflow's own REST API for self-managed installations. The dynamic providers depend on
 * this interface only, so a migration runs the same steps whichever transport the source or target allows.
 */

import { pollUntil, realClock } from "../clock";

export interface DagSummary {
  dagId: string;
  isPaused: boolean;
  /** The file that defines it, as Airflow records it (absolute on 2.x, absolute or bundle-relative on 3.x). */
  fileloc?: string;
  /** When the DAG processor last parsed that file; absent where the transport does not say (the CLI). */
  lastParsedTime?: string;
}

/** A DAG file Airflow could not import, from its import-error table. */
export interface DagImportError {
  filename: string;
  /** When the DAG processor last recorded the error; absent where the transport does not say. */
  timestamp?: string;
  stackTrace: string;
}

/** Airflow's DAG-run states plus `unknown` for anything a newer Airflow adds. */
export type RunState = "queued" | "running" | "success" | "failed" | "unknown";

export interface TaskInstanceState {
  taskId: string;
  mapIndex: number;
  /** null while the task has not been scheduled yet. */
  state: string | null;
  tryNumber: number | null;
}

export interface DagRunStatus {
  dagId: string;
  runId: string;
  state: RunState;
  tasks: TaskInstanceState[];
}

/** The states a run can be given through the REST API once its task instances have all ended. */
export type FinishedRunState = "success" | "failed";

export interface RunRef {
  dagId: string;
  runId: string;
}

export interface InFlightTaskInstance {
  dagId: string;
  runId: string;
  taskId: string;
  mapIndex: number;
  state: "queued" | "running";
}

/** The states in which a task instance finishes on its own, even while its DAG is paused. */
export const IN_FLIGHT_STATES: readonly InFlightTaskInstance["state"][] = ["queued", "running"];

export interface TriggerRequest {
  dagId: string;
  /** Deterministic, so that a resumed `pulumi up` finds the run it started before instead of starting another. */
  runId: string;
  conf: Record<string, unknown>;
}

export interface TriggerResult {
  runId: string;
  /** false when a run with this id already existed (a resumed create); its state is then the existing one. */
  created: boolean;
}

export interface WaitOptions {
  /** Absolute deadline in epoch milliseconds. */
  deadlineMs: number;
  pollIntervalMs: number;
  /** Receives one human-readable line per poll; providers print these to stdout. */
  progress?: (line: string) => void;
}

export interface ParseWaitOptions extends WaitOptions {
  /**
   * The DAG's last parse before its files were delivered again (`lastParsedTime`): only a later parse
   * counts. Airflow keeps a removed DAG listed until it next scans the folder (minutes on MWAA), so a
   * redelivered DAG looks parsed before its files are back, and a run triggered then fails unstarted.
   */
  parsedAfter?: string;
}

export interface AirflowClient {
  /** How this client reaches Airflow, for progress lines and error messages. */
  readonly description: string;
  version(): Promise<string>;
  /** Every DAG, all pages. */
  listDags(): Promise<DagSummary[]>;
  setPaused(dagId: string, paused: boolean): Promise<void>;
  /** When the scheduler last parsed the DAG's file; undefined for a DAG it does not list as present. */
  lastParsedTime(dagId: string): Promise<string | undefined>;
  /** Resolves once the scheduler has parsed the DAG (after `parsedAfter`); rejects at the deadline. */
  waitUntilParsed(dagId: string, options: ParseWaitOptions): Promise<void>;
  trigger(request: TriggerRequest): Promise<TriggerResult>;
  runStatus(dagId: string, runId: string): Promise<DagRunStatus>;
  /** Task instances of these DAGs that are queued or running, in any run. */
  inFlightTaskInstances(dagIds: readonly string[]): Promise<InFlightTaskInstance[]>;
  /** The queued and running DAG runs of these DAGs (a paused DAG's run stays so until it is finalised). */
  unfinishedRuns(dagIds: readonly string[]): Promise<RunRef[]>;
  /** Every DAG file the DAG processor could not import, all pages. */
  importErrors(): Promise<DagImportError[]>;
  /** Ids of the DAG's leaf tasks (nothing downstream): the scheduler decides a run's state from them. */
  leafTaskIds(dagId: string): Promise<string[]>;
  /**
   * Gives a run a finished state, as "Mark run as" in the UI does. Airflow also marks the run's unfinished
   * task instances, and on some versions finished ones too when the state is success: callers decide first.
   */
  setRunState(dagId: string, runId: string, state: FinishedRunState): Promise<void>;
  /** The last `maxLines` lines of one try of a task's log. */
  taskLogTail(
    dagId: string,
    runId: string,
    taskId: string,
    tryNumber: number,
    maxLines: number,
  ): Promise<string>;
}

/** Airflow answered, but not with what was asked for (an HTTP error status or a failed CLI command). */
export class AirflowApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly retryable: boolean,
    readonly detail?: unknown,
  ) {
    super(message);
    this.name = "AirflowApiError";
  }
}

export function normaliseRunState(raw: unknown): RunState {
  return raw === "queued" || raw === "running" || raw === "success" || raw === "failed" ? raw : "unknown";
}

export function isFinished(state: RunState): boolean {
  return state === "success" || state === "failed";
}

export function lastLines(text: string, maxLines: number): string {
  const lines = text.replace(/\n+$/, "").split("\n");
  return lines.slice(Math.max(0, lines.length - maxLines)).join("\n");
}

/** Polls `probe` until it returns a value, reporting each miss; rejects with `what` at the deadline. */
export async function waitFor<T>(
  what: string,
  options: WaitOptions,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const started = realClock.now();
  const elapsed = () => Math.round((realClock.now() - started) / 1000);
  let tries = 0;
  return pollUntil(
    realClock,
    // The last probe starts no later than one interval before the deadline, as it always has.
    options.deadlineMs - options.pollIntervalMs,
    options.pollIntervalMs,
    async () => {
      if (tries++ > 0) options.progress?.(`waiting for ${what} (${elapsed()}s)`);
      return probe();
    },
    () =>
      new Error(`timed out after ${elapsed()}s waiting for ${what}; raise the deadline input to wait longer`),
  );
}

/**
 * Whether a parse time Airflow reported is later than an earlier one. With none before, or one without
 * a time (the CLI lists none), any parse counts.
 */
export function parsedSince(lastParsed: string | undefined, before: string | undefined): boolean {
  if (lastParsed === undefined) return false;
  if (!before) return true;
  return Date.parse(lastParsed) > Date.parse(before);
}
