/**
 * Which task instances' logs the import copies: every task instance the bundle carries, with its
 * run's logical date (task_instance rows name the run by run_id; the date lives on dag_run, as
 * `execution_date` on 2.x and `logical_date` on 3.x). Pure, over decoded bundle rows.
 */
import type { MigratedTaskInstance } from "../taskLogs/copy";

type Row = Record<string, unknown>;

const text = (value: unknown): string | null => (typeof value === "string" ? value : null);

/** (dag_id, run_id) -> logical date, from dag_run rows. */
export function logicalDates(dagRuns: Iterable<Row>): Map<string, string> {
  const dates = new Map<string, string>();
  for (const run of dagRuns) {
    const date = text(run.execution_date) ?? text(run.logical_date);
    if (date && text(run.dag_id) && text(run.run_id)) dates.set(`${run.dag_id}\u0000${run.run_id}`, date);
  }
  return dates;
}

/** Task instances whose run is in the bundle; a try number of 0 (never ran) has no log and is left out. */
export function migratedTaskInstances(
  taskInstances: Iterable<Row>,
  dates: Map<string, string>,
): MigratedTaskInstance[] {
  const result: MigratedTaskInstance[] = [];
  for (const ti of taskInstances) {
    const dagId = text(ti.dag_id);
    const runId = text(ti.run_id);
    const taskId = text(ti.task_id);
    const logicalDate = dagId && runId ? dates.get(`${dagId}\u0000${runId}`) : undefined;
    const tryNumber = typeof ti.try_number === "number" ? ti.try_number : 0;
    if (!dagId || !runId || !taskId || !logicalDate || tryNumber < 1) continue;
    result.push({
      dagId,
      taskId,
      runId,
      mapIndex: typeof ti.map_index === "number" ? ti.map_index : -1,
      tryNumber,
      state: text(ti.state) ?? "none",
      logicalDate,
      endDate: text(ti.end_date),
    });
  }
  return result;
}

/** A log group name from its ARN ("arn:aws:logs:r:a:log-group:NAME[:*]") or the name itself. */
export function logGroupName(arnOrName: string): string {
  const match = /:log-group:([^:]+)/.exec(arnOrName);
  return match ? match[1] : arnOrName;
}
