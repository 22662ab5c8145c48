/**
 * How the program's view of an environment becomes the `airflow` and `dagFolder` inputs of the
 * work resources. Pure, so the mapping is tested without a stack.
 */
import { accessOf, type AwsAccess } from "./awsAccess";
import type { AirflowTarget } from "./target";

export { s3DagFolder } from "../../rules/dagLocation";

/** An MWAA environment in `region`, reached with the default chain or as `access` says (another account). */
export function mwaaAirflow(
  environmentName: string,
  airflowVersion: string,
  region: string,
  access?: AwsAccess,
): AirflowTarget {
  return { kind: "mwaa", environmentName, airflowVersion, ...accessOf(access ?? {}), region };
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
