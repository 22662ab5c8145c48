/**
 * How the program's view of an environment becomes the `airflow` and `dagFolder` inputs of the
 * work resources. Pure, so the mapping is tested without a stack.
 */
import type { AirflowTarget } from "./target";

export { s3DagFolder } from "../../rules/dagLocation";

export function mwaaAirflow(environmentName: string, airflowVersion: string, region: string): AirflowTarget {
  return { kind: "mwaa", environmentName, airflowVersion, region };
}

export function selfManagedAirflow(
  api: { url: string; username: string; password: string },
  airflowVersion: string,
): AirflowTarget {
  return {
    kind: "self-managed",
    url: api.url,
    username: api.username,
    password: api.password,
    airflowVersion,
  };
}
