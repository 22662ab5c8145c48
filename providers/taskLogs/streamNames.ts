/**
 * CloudWatch log stream names of Airflow task logs. Airflow's CloudWatch handler names a stream after the
 * task log's relative file name and writes every `:` as `_` (CloudWatch refuses `:` in stream names). Which
 * file name depends on the version that wrote the log:
 *   - 2.0–2.2: `{dag_id}/{task_id}/{ts}/{try_number}.log`, `ts` being the logical date in Python's isoformat;
 *   - 2.3+:    `dag_id=…/run_id=…/task_id=…/[map_index=…/]attempt=N.log` (the default `log_template` row, and
 *              what MWAA uses);
 *   - 3.0–3.3: the same name as 2.3+. The default `[logging] log_filename_template` is unchanged, the
 *              scheduler renders it when it queues a try (the workload's `log_path`), the task SDK writes the
 *              log under that path and the CloudWatch processor (the Amazon provider's, and MWAA's own
 *              `CloudWatchRemoteTaskLogger`) streams it to the stream of that name, `:` written as `_`. The UI
 *              reads the same name back with the run's `log_template` row. `map_index=N/` appears only for a
 *              mapped task, `attempt=N` counts tries from 1. New in 3.x: the triggerer writes the log of a
 *              deferred try to its own stream, the try's name followed by `.trigger.<triggerer job id>.log`,
 *              which MWAA's log view reads after the try's own stream (see `withTriggerStreams`).
 * Neither name holds everything the other needs (the old one has no run id, the new one no date), and the `:`
 * rewrite cannot be undone, so names are never translated from one another: both are rendered from the task
 * instance key that the export carries.
 */

export interface TaskInstanceLogKey {
  dagId: string;
  taskId: string;
  runId: string;
  /** -1 for a task that is not mapped. */
  mapIndex: number;
  tryNumber: number;
  /**
   * The run's logical (execution) date, ISO 8601. Only the 2.0–2.2 name holds it; an Airflow 3 run may have
   * none (a run triggered by an asset, or manually without a date), and its name needs none.
   */
  logicalDate: string | null;
}

/** Placeholders: {dag_id} {task_id} {run_id} {ts} {try_number} {map_index} and {map_index_dir} (`map_index=N/` or ''). */
export type LogTemplate = string;

export const LEGACY_LOG_TEMPLATE: LogTemplate = "{dag_id}/{task_id}/{ts}/{try_number}.log";
export const DEFAULT_LOG_TEMPLATE: LogTemplate =
  "dag_id={dag_id}/run_id={run_id}/task_id={task_id}/{map_index_dir}attempt={try_number}.log";

function majorMinor(airflowVersion: string): [number, number] {
  const [major, minor] = airflowVersion.split(".").map((part) => Number.parseInt(part, 10));
  if (!Number.isFinite(major) || !Number.isFinite(minor)) {
    throw new Error(`Airflow version "${airflowVersion}" is not of the form major.minor[.patch]`);
  }
  return [major, minor];
}

/** The default task log template of an Airflow version (it changed in 2.3.0, and not again up to 3.3). */
export function logTemplateFor(airflowVersion: string): LogTemplate {
  const [major, minor] = majorMinor(airflowVersion);
  return major > 2 || (major === 2 && minor >= 3) ? DEFAULT_LOG_TEMPLATE : LEGACY_LOG_TEMPLATE;
}

/**
 * Whether an Airflow version writes the log of a deferred try's trigger to streams of its own. 2.x's
 * CloudWatch handler ignores the triggerer's per-trigger identifier, so there the trigger's lines land in the
 * try's own stream; 3.x's task SDK writes them to `<try stream>.trigger.<job id>.log`.
 */
export function writesTriggerStreams(airflowVersion: string): boolean {
  return majorMinor(airflowVersion)[0] >= 3;
}

/** Python's `datetime.isoformat()` of a UTC instant: microseconds only when non-zero, `+00:00` for UTC. */
export function pythonIsoformat(isoDate: string): string {
  const date = new Date(isoDate);
  if (Number.isNaN(date.getTime())) throw new Error(`logical date "${isoDate}" is not an ISO 8601 date`);
  const base = date.toISOString().slice(0, 19);
  const millis = date.getUTCMilliseconds();
  const fraction = millis === 0 && !/\.\d*[1-9]/.test(isoDate) ? "" : `.${isoFraction(isoDate, millis)}`;
  return `${base}${fraction}+00:00`;
}

/** Six fractional digits, keeping microseconds that the ISO input had beyond JavaScript's milliseconds. */
function isoFraction(isoDate: string, millis: number): string {
  const digits = /T\d{2}:\d{2}:\d{2}\.(\d+)/.exec(isoDate)?.[1];
  return (digits ?? String(millis).padStart(3, "0")).padEnd(6, "0").slice(0, 6);
}

export function renderStreamName(key: TaskInstanceLogKey, template: LogTemplate): string {
  const usesMapIndex = /\{map_index(_dir)?\}/.test(template);
  if (key.mapIndex >= 0 && !usesMapIndex) {
    throw new Error(
      `task ${key.dagId}.${key.taskId} map_index ${key.mapIndex} cannot be named by the log template "${template}" ` +
        `(it has no map index; mapped tasks need Airflow 2.3 or later)`,
    );
  }
  const values: Record<string, string> = {
    dag_id: key.dagId,
    task_id: key.taskId,
    run_id: key.runId,
    ts: template.includes("{ts}") ? pythonIsoformat(logicalDateOf(key, template)) : "",
    try_number: String(key.tryNumber),
    map_index: String(key.mapIndex),
    map_index_dir: key.mapIndex >= 0 ? `map_index=${key.mapIndex}/` : "",
  };
  const rendered = template.replace(/\{(\w+)\}/g, (placeholder, name: string) => {
    if (!(name in values))
      throw new Error(`log template "${template}" has an unknown placeholder ${placeholder}`);
    return values[name];
  });
  return rendered.replace(/:/g, "_");
}

function logicalDateOf(key: TaskInstanceLogKey, template: LogTemplate): string {
  if (key.logicalDate) return key.logicalDate;
  throw new Error(
    `task ${key.dagId}.${key.taskId} of run ${key.runId} has no logical date, which the log template "${template}" ` +
      `names its log by ({ts})`,
  );
}

export interface StreamPair {
  key: TaskInstanceLogKey;
  source: string;
  target: string;
}

/** The source and target stream of every try of a task instance (a stream per try, tries 1..tryNumber). */
export function streamPairsFor(
  key: Omit<TaskInstanceLogKey, "tryNumber"> & { tryNumber: number },
  sourceTemplate: LogTemplate,
  targetTemplate: LogTemplate,
): StreamPair[] {
  const pairs: StreamPair[] = [];
  for (let tryNumber = 1; tryNumber <= key.tryNumber; tryNumber++) {
    const attempt = { ...key, tryNumber };
    pairs.push({
      key: attempt,
      source: renderStreamName(attempt, sourceTemplate),
      target: renderStreamName(attempt, targetTemplate),
    });
  }
  return pairs;
}

/**
 * A triggerer's stream of a try: `<try stream>.trigger.<triggerer job id>.log`. The id is an integer, the id of
 * the triggerer's job row; that is the only form Airflow's and MWAA's log readers look for.
 */
const TRIGGER_STREAM = /^(.+)(\.trigger\.\d+\.log)$/;

/**
 * The pairs of `pairs` followed by a pair for each triggerer stream that `sourceStreams` (the source group's
 * stream names) holds for one of their sources: the source's trigger stream to the target stream's name with
 * the same suffix, which is where a 3.x target's log view looks for it. Keeps the order of `pairs`, each
 * try's trigger streams (sorted) right after it.
 */
export function withTriggerStreams(
  pairs: readonly StreamPair[],
  sourceStreams: Iterable<string>,
): StreamPair[] {
  const suffixes = new Map<string, Set<string>>();
  for (const name of sourceStreams) {
    const match = TRIGGER_STREAM.exec(name);
    if (!match) continue;
    const known = suffixes.get(match[1]) ?? new Set<string>();
    suffixes.set(match[1], known.add(match[2]));
  }
  return pairs.flatMap((pair) => [
    pair,
    ...[...(suffixes.get(pair.source) ?? [])]
      .sort()
      .map((suffix) => ({ key: pair.key, source: pair.source + suffix, target: pair.target + suffix })),
  ]);
}
