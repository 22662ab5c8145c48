/**
 * Where an export or import runs, from the versions table (contract/airflowVersions.json): as a task of
 * the migration DAG on Airflow 2, in the migration plugin's app in the API server on Airflow 3. Pure, so
 * the choice is tested without Airflow.
 */
import { capabilitiesOf, type MetadataPath } from "../../rules/versions";
import type { WorkKind } from "./runIds";

export type WorkPath = { kind: MetadataPath } | { kind: "refused"; reason: string };

export function workPathFor(kind: WorkKind, airflowVersion: string): WorkPath {
  const row = capabilitiesOf(airflowVersion);
  if (!row) {
    return {
      kind: "refused",
      reason: `Airflow ${airflowVersion} is outside every range of the versions table (contract/airflowVersions.json)`,
    };
  }
  const path = kind === "export" ? row.exportPath : row.importPath;
  if (path) return { kind: path };
  const refusal = kind === "export" ? row.exportRefusal : row.importRefusal;
  return {
    kind: "refused",
    reason: `the ${kind} cannot run on Airflow ${airflowVersion}: ${refusal ?? "no path in the versions table"}`,
  };
}
