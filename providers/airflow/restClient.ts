import {
  AirflowApiError,
  AirflowClient,
  DagRunStatus,
  DagImportError,
  DagSummary,
  FinishedRunState,
  IN_FLIGHT_STATES,
  InFlightTaskInstance,
  RunRef,
  TaskInstanceState,
  TriggerRequest,
  TriggerResult,
  ParseWaitOptions,
  parsedSince,
  lastLines,
  normaliseRunState,
  waitFor,
} from "./client";
import { RestApiVersion, assertPathFits, fitsPathLimit, restPaths } from "./restPaths";
import { DEFAULT_RETRY, RetryPolicy, isRetryableStatus, withRetry } from "./retry";
import { structuredLogLine } from "./structuredLog";

export type HttpMethod = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
export type QueryValue = string | number | boolean;

export interface RestRequest {
  method: HttpMethod;
  /** Relative to the API root (`/api/v1` or `/api/v2`), e.g. `/dags`. */
  path: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
}

export interface RestResponse {
  status: number;
  body: unknown;
}

/**
 * Carries one REST call to Airflow and returns Airflow's status and JSON body. Transport failures (network,
 * credentials, the MWAA service itself) reject; Airflow's own error statuses are returned for the client to judge.
 */
export interface RestTransport {
  readonly description: string;
  readonly apiVersion: RestApiVersion;
  /** Set when the transport limits the path (InvokeRestApi: 64). */
  readonly maxPathLength?: number;
  send(request: RestRequest): Promise<RestResponse>;
}

const PAGE_SIZE = 100;

type Json = Record<string, unknown>;
const asObject = (value: unknown): Json => (value && typeof value === "object" ? (value as Json) : {});
const asArray = (value: unknown): Json[] => (Array.isArray(value) ? value.map(asObject) : []);

/** Airflow's stable REST API (v1 on 2.x, v2 on 3.x) behind `AirflowClient`, over any `RestTransport`. */
export class AirflowRestClient implements AirflowClient {
  readonly description: string;

  constructor(
    private readonly transport: RestTransport,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {
    this.description = transport.description;
  }

  private async call(request: RestRequest, what: string, accept: number[] = []): Promise<RestResponse> {
    assertPathFits(request.path, this.transport.maxPathLength, what);
    return withRetry(async () => {
      const response = await this.transport.send(request);
      if ((response.status >= 200 && response.status < 300) || accept.includes(response.status))
        return response;
      const detail = asObject(response.body);
      const reason = String(detail.detail ?? detail.title ?? JSON.stringify(response.body) ?? "");
      throw new AirflowApiError(
        `${what} failed via ${this.description}: Airflow answered ${response.status} ${reason}`.trim(),
        response.status,
        isRetryableStatus(response.status),
        response.body,
      );
    }, this.retry);
  }

  async version(): Promise<string> {
    const response = await this.call(
      { method: "GET", path: restPaths.version() },
      "reading the Airflow version",
    );
    return String(asObject(response.body).version);
  }

  async listDags(): Promise<DagSummary[]> {
    const dags: DagSummary[] = [];
    for (let offset = 0; ; offset += PAGE_SIZE) {
      const response = await this.call(
        { method: "GET", path: restPaths.dags(), query: { limit: PAGE_SIZE, offset, order_by: "dag_id" } },
        "listing DAGs",
      );
      const page = asArray(asObject(response.body).dags);
      for (const dag of page)
        dags.push({
          dagId: String(dag.dag_id),
          isPaused: dag.is_paused === true,
          ...(typeof dag.fileloc === "string" ? { fileloc: dag.fileloc } : {}),
          ...(typeof dag.last_parsed_time === "string" ? { lastParsedTime: dag.last_parsed_time } : {}),
        });
      if (page.length < PAGE_SIZE) return dags;
    }
  }

  async setPaused(dagId: string, paused: boolean): Promise<void> {
    await this.call(
      {
        method: "PATCH",
        path: restPaths.dag(dagId),
        query: { update_mask: "is_paused" },
        body: { is_paused: paused },
      },
      `${paused ? "pausing" : "unpausing"} DAG ${dagId}`,
    );
  }

  async lastParsedTime(dagId: string): Promise<string | undefined> {
    const response = await this.call(
      { method: "GET", path: restPaths.dag(dagId) },
      `reading DAG ${dagId}`,
      [404],
    );
    if (response.status === 404) return undefined;
    // A DAG whose file was removed stays in the table until it is parsed again, marked is_active false
    // (API v1) or is_stale true (API v2).
    const dag = asObject(response.body);
    if (dag.is_active === false || dag.is_stale === true) return undefined;
    return typeof dag.last_parsed_time === "string" ? dag.last_parsed_time : "";
  }

  async waitUntilParsed(dagId: string, options: ParseWaitOptions): Promise<void> {
    const what = options.parsedAfter
      ? `the scheduler to parse DAG ${dagId} again (last parsed ${options.parsedAfter})`
      : `the scheduler to parse DAG ${dagId}`;
    await waitFor(what, options, async () =>
      parsedSince(await this.lastParsedTime(dagId), options.parsedAfter) ? true : undefined,
    );
  }

  async trigger(request: TriggerRequest): Promise<TriggerResult> {
    const body: Json = { dag_run_id: request.runId, conf: request.conf };
    // API v2 requires logical_date to be present; null lets Airflow 3 create a run without one.
    if (this.transport.apiVersion === "v2") body.logical_date = null;
    const response = await this.call(
      { method: "POST", path: restPaths.dagRuns(request.dagId), body },
      `triggering DAG ${request.dagId} as run ${request.runId}`,
      [409],
    );
    return { runId: request.runId, created: response.status !== 409 };
  }

  async runStatus(dagId: string, runId: string): Promise<DagRunStatus> {
    const [state, tasks] = await Promise.all([this.runState(dagId, runId), this.taskStates(dagId, runId)]);
    return { dagId, runId, state, tasks };
  }

  private async runState(dagId: string, runId: string) {
    const what = `reading run ${runId} of DAG ${dagId}`;
    const direct = restPaths.dagRun(dagId, runId);
    if (fitsPathLimit(direct, this.transport.maxPathLength)) {
      const response = await this.call({ method: "GET", path: direct }, what);
      return normaliseRunState(asObject(response.body).state);
    }
    for (let offset = 0; ; offset += PAGE_SIZE) {
      const response = await this.call(
        {
          method: "POST",
          path: restPaths.dagRunBatch(),
          body: { dag_ids: [dagId], page_offset: offset, page_limit: PAGE_SIZE, order_by: "-start_date" },
        },
        what,
      );
      const runs = asArray(asObject(response.body).dag_runs);
      const run = runs.find((candidate) => candidate.dag_run_id === runId);
      if (run) return normaliseRunState(run.state);
      if (runs.length < PAGE_SIZE) {
        throw new AirflowApiError(`${what}: DAG ${dagId} has no run ${runId}`, 404, false);
      }
    }
  }

  private async taskStates(dagId: string, runId: string): Promise<TaskInstanceState[]> {
    const what = `listing task instances of run ${runId} of DAG ${dagId}`;
    const direct = restPaths.taskInstances(dagId, runId);
    const useDirect = fitsPathLimit(direct, this.transport.maxPathLength);
    const tasks: TaskInstanceState[] = [];
    for (let offset = 0; ; offset += PAGE_SIZE) {
      const response = useDirect
        ? await this.call({ method: "GET", path: direct, query: { limit: PAGE_SIZE, offset } }, what)
        : await this.call(
            {
              method: "POST",
              path: restPaths.taskInstanceBatch(),
              body: { dag_ids: [dagId], dag_run_ids: [runId], page_offset: offset, page_limit: PAGE_SIZE },
            },
            what,
          );
      const page = asArray(asObject(response.body).task_instances);
      for (const ti of page) {
        tasks.push({
          taskId: String(ti.task_id),
          mapIndex: typeof ti.map_index === "number" ? ti.map_index : -1,
          state: typeof ti.state === "string" ? ti.state : null,
          tryNumber: typeof ti.try_number === "number" ? ti.try_number : null,
        });
      }
      if (page.length < PAGE_SIZE) return tasks;
    }
  }

  async unfinishedRuns(dagIds: readonly string[]): Promise<RunRef[]> {
    if (dagIds.length === 0) return [];
    const found: RunRef[] = [];
    for (let offset = 0; ; offset += PAGE_SIZE) {
      const response = await this.call(
        {
          method: "POST",
          path: restPaths.dagRunBatch(),
          body: {
            dag_ids: [...dagIds],
            states: ["queued", "running"],
            page_offset: offset,
            page_limit: PAGE_SIZE,
          },
        },
        `listing queued and running runs of ${dagIds.length} DAGs`,
      );
      const page = asArray(asObject(response.body).dag_runs);
      for (const run of page) found.push({ dagId: String(run.dag_id), runId: String(run.dag_run_id) });
      if (page.length < PAGE_SIZE) return found;
    }
  }

  async importErrors(): Promise<DagImportError[]> {
    const errors: DagImportError[] = [];
    for (let offset = 0; ; offset += PAGE_SIZE) {
      const response = await this.call(
        { method: "GET", path: restPaths.importErrors(), query: { limit: PAGE_SIZE, offset } },
        "listing DAG import errors",
      );
      const page = asArray(asObject(response.body).import_errors);
      for (const error of page)
        errors.push({
          filename: String(error.filename),
          ...(typeof error.timestamp === "string" ? { timestamp: error.timestamp } : {}),
          stackTrace: String(error.stack_trace ?? ""),
        });
      if (page.length < PAGE_SIZE) return errors;
    }
  }

  async leafTaskIds(dagId: string): Promise<string[]> {
    const response = await this.call(
      { method: "GET", path: restPaths.tasks(dagId) },
      `listing the tasks of DAG ${dagId}`,
    );
    return asArray(asObject(response.body).tasks)
      .filter((task) => !Array.isArray(task.downstream_task_ids) || task.downstream_task_ids.length === 0)
      .map((task) => String(task.task_id));
  }

  async setRunState(dagId: string, runId: string, state: FinishedRunState): Promise<void> {
    await this.call(
      { method: "PATCH", path: restPaths.dagRun(dagId, runId), body: { state } },
      `marking run ${runId} of DAG ${dagId} ${state}`,
    );
  }

  async inFlightTaskInstances(dagIds: readonly string[]): Promise<InFlightTaskInstance[]> {
    if (dagIds.length === 0) return [];
    const found: InFlightTaskInstance[] = [];
    for (let offset = 0; ; offset += PAGE_SIZE) {
      const response = await this.call(
        {
          method: "POST",
          path: restPaths.taskInstanceBatch(),
          body: {
            dag_ids: [...dagIds],
            state: [...IN_FLIGHT_STATES],
            page_offset: offset,
            page_limit: PAGE_SIZE,
          },
        },
        `listing queued and running task instances of ${dagIds.length} DAGs`,
      );
      const page = asArray(asObject(response.body).task_instances);
      for (const ti of page) {
        if (ti.state !== "queued" && ti.state !== "running") continue;
        found.push({
          dagId: String(ti.dag_id),
          runId: String(ti.dag_run_id),
          taskId: String(ti.task_id),
          mapIndex: typeof ti.map_index === "number" ? ti.map_index : -1,
          state: ti.state,
        });
      }
      if (page.length < PAGE_SIZE) return found;
    }
  }

  async taskLogTail(dagId: string, runId: string, taskId: string, tryNumber: number, maxLines: number) {
    const response = await this.call(
      {
        method: "GET",
        path: restPaths.taskLog(dagId, runId, taskId, tryNumber),
        query: { full_content: true },
      },
      `reading the log of task ${taskId} (try ${tryNumber}) in run ${runId} of DAG ${dagId}`,
    );
    return lastLines(logText(response.body), maxLines);
  }
}

/**
 * API v1 returns the log as one string (`content`), sometimes the repr of a list of (host, text) pairs; API v2
 * returns a list of structured lines (`{event, timestamp, error_detail?, ...}`) or strings.
 */
export function logText(body: unknown): string {
  if (typeof body === "string") return body;
  const content = asObject(body).content;
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content.map(structuredLogLine).join("\n");
  }
  return "";
}
