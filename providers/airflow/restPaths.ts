/**
 * Paths of Airflow's stable REST API, built in one place so their length can be checked before a request is
 * sent. MWAA's InvokeRestApi takes the path relative to the API root (`/api/v1` on 2.x, `/api/v2` on 3.x) and
 * refuses paths longer than 64 characters (botocore's `RestApiPath` shape), which a DAG id plus a run id
 * easily exceed; callers pick short run ids with `maxRunIdLength`, and listings fall back to the batch
 * endpoints (`/dags/~/dagRuns/~/taskInstances/list`) whose paths are short whatever the ids.
 */

import { capabilitiesOf, type VersionCapabilities } from "../../rules/versions";

export type RestApiVersion = VersionCapabilities["restApi"];

/** InvokeRestApi's limit on `Path`, from the MWAA service model. */
export const INVOKE_REST_API_MAX_PATH = 64;

/** Airflow 2.x serves API v1; 3.x serves v2 (v1 is gone). The versions table says which. */
export function restApiVersionFor(airflowVersion: string): RestApiVersion {
  const capabilities = capabilitiesOf(airflowVersion);
  if (!capabilities) {
    throw new Error(
      `Airflow version "${airflowVersion}" is not supported: the REST API needs Airflow 2.x or 3.x (e.g. "2.8.1")`,
    );
  }
  return capabilities.restApi;
}

const seg = (value: string): string => encodeURIComponent(value);

export const restPaths = {
  version: () => "/version",
  dags: () => "/dags",
  dag: (dagId: string) => `/dags/${seg(dagId)}`,
  tasks: (dagId: string) => `/dags/${seg(dagId)}/tasks`,
  dagRuns: (dagId: string) => `/dags/${seg(dagId)}/dagRuns`,
  dagRun: (dagId: string, runId: string) => `/dags/${seg(dagId)}/dagRuns/${seg(runId)}`,
  taskInstances: (dagId: string, runId: string) => `/dags/${seg(dagId)}/dagRuns/${seg(runId)}/taskInstances`,
  taskLog: (dagId: string, runId: string, taskId: string, tryNumber: number) =>
    `/dags/${seg(dagId)}/dagRuns/${seg(runId)}/taskInstances/${seg(taskId)}/logs/${tryNumber}`,
  importErrors: () => "/importErrors",
  dagRunBatch: () => "/dags/~/dagRuns/list",
  taskInstanceBatch: () => "/dags/~/dagRuns/~/taskInstances/list",
};

export function fitsPathLimit(path: string, maxPathLength: number | undefined): boolean {
  return maxPathLength === undefined || path.length <= maxPathLength;
}

/**
 * The longest run id whose run path (`/dags/<dag>/dagRuns/<run>/taskInstances`, the longest one a run's status
 * needs) still fits InvokeRestApi's limit, counted after URL encoding. Negative means the DAG id alone is too long.
 */
export function maxRunIdLength(dagId: string, maxPathLength = INVOKE_REST_API_MAX_PATH): number {
  return maxPathLength - restPaths.taskInstances(dagId, "").length;
}

export function assertPathFits(path: string, maxPathLength: number | undefined, what: string): void {
  if (!fitsPathLimit(path, maxPathLength)) {
    throw new Error(
      `${what}: the REST path "${path}" is ${path.length} characters, over the ${maxPathLength}-character limit ` +
        `of MWAA InvokeRestApi; use shorter DAG/run/task ids, or the CLI-token client (the airflow input's client: "mwaa-cli")`,
    );
  }
}
