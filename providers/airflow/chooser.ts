import { type RegionalAccess, accessOf } from "../framework/awsAccess";
import { AirflowClient } from "./client";
import { MwaaCliClient } from "./cliClient";
import { DirectRestTransport } from "./directRest";
import { InvokeRestApiTransport } from "./invokeRestApi";
import { AirflowRestClient } from "./restClient";
import { restApiVersionFor } from "./restPaths";
import { capabilitiesOf } from "../../rules/versions";

import type { AirflowKind } from "../../rules/airflowKind";
export type AirflowClientKind = "mwaa-rest" | "mwaa-cli" | "airflow-rest";
export const AIRFLOW_CLIENT_KINDS: readonly AirflowClientKind[] = ["mwaa-rest", "mwaa-cli", "airflow-rest"];

/** MWAA serves InvokeRestApi from Airflow 2.4.3 on (the versions table's `invokeRestApi`). */
const hasInvokeRestApi = (version: string): boolean => capabilitiesOf(version)?.invokeRestApi === true;

/**
 * Which client reaches an environment: self-managed Airflow only through its own REST API; MWAA through
 * InvokeRestApi where the version has it, else through a CLI token. `override` (the `client` field of the `airflow` input) picks
 * one explicitly, and is refused where it cannot work.
 */
export function chooseAirflowClientKind(
  sourceKind: AirflowKind,
  airflowVersion: string,
  override?: string,
): AirflowClientKind {
  restApiVersionFor(airflowVersion);
  if (override !== undefined && !(AIRFLOW_CLIENT_KINDS as readonly string[]).includes(override)) {
    throw new Error(
      `the airflow input's client "${override}" is not one of ${AIRFLOW_CLIENT_KINDS.join(", ")}`,
    );
  }
  if (sourceKind === "self-managed") {
    if (override && override !== "airflow-rest") {
      throw new Error(
        `the airflow input's client "${override}" needs an MWAA environment; self-managed Airflow uses "airflow-rest"`,
      );
    }
    return "airflow-rest";
  }
  if (override === "airflow-rest") {
    throw new Error(
      `the airflow input's client "airflow-rest" cannot reach an MWAA webserver (it needs a web login session); ` +
        `use "mwaa-rest" or "mwaa-cli"`,
    );
  }
  if (override === "mwaa-rest" && !hasInvokeRestApi(airflowVersion)) {
    throw new Error(
      `the airflow input's client "mwaa-rest" needs Airflow 2.4.3 or later (the environment runs ${airflowVersion})`,
    );
  }
  if (override) return override as AirflowClientKind;
  return hasInvokeRestApi(airflowVersion) ? "mwaa-rest" : "mwaa-cli";
}

export type AirflowConnection =
  | ({ kind: "mwaa-rest" | "mwaa-cli"; environmentName: string; airflowVersion: string } & RegionalAccess)
  | { kind: "airflow-rest"; baseUrl: string; username: string; password: string; airflowVersion: string };

/** Builds a client for one call; nothing here is cached between provider calls. */
export function createAirflowClient(connection: AirflowConnection): AirflowClient {
  const apiVersion = restApiVersionFor(connection.airflowVersion);
  switch (connection.kind) {
    case "mwaa-rest":
      return new AirflowRestClient(
        new InvokeRestApiTransport({
          ...accessOf(connection),
          region: connection.region,
          environmentName: connection.environmentName,
          apiVersion,
        }),
      );
    case "mwaa-cli":
      return new MwaaCliClient(connection);
    case "airflow-rest":
      return new AirflowRestClient(new DirectRestTransport({ ...connection, apiVersion }));
  }
}
