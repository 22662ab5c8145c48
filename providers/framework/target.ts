/**
 * Where the migration DAGs run and how they get there. These shapes are resource inputs, so
 * they hold names and addresses only: AWS credentials come from the default chain, or from a
 * role assumed with it or a named profile (awsAccess) for a side in another account. A
 * self-managed Airflow's login is an input (there is no other place for it) and is therefore
 * kept secret in state by the resources.
 */
import { type AirflowKind, airflowKindOf } from "../../rules/airflowKind";
import { AirflowConnection, chooseAirflowClientKind, createAirflowClient } from "../airflow/chooser";
import type { AirflowClient } from "../airflow/client";
import { type MigrationPluginClient, PluginHttpClient } from "../airflow/pluginClient";
import { type SessionSource, mwaaWebSessions, selfManagedSessions } from "../airflow/webLogin";
import { parseDagFolder } from "../../rules/dagLocation";
import { ASSUME_ROLE_ARN_PATTERN, type AwsAccess, accessOf } from "./awsAccess";
import { Failures, fail, isUnknown } from "./checks";

export interface AirflowTarget {
  kind: AirflowKind;
  /** e.g. "2.10.3"; picks the REST API version and, for MWAA, InvokeRestApi or the CLI token. */
  airflowVersion: string;
  /** MWAA: the environment name. */
  environmentName?: string;
  /** MWAA: defaults to the provider's `aws:region`. */
  region?: string;
  /**
   * MWAA in another account: the role its side is reached as (assumed with the default chain). Its DAG
   * folder, task logs and the environment's own APIs are all called as this role.
   */
  assumeRoleArn?: string;
  /** MWAA: a named profile of the shared AWS config files for this side, in place of the default chain. */
  profile?: string;
  /** Self-managed: base URL of the webserver / API server, e.g. http://127.0.0.1:8080. */
  url?: string;
  username?: string;
  password?: string;
  /** Override the client the chooser picks: "mwaa-rest", "mwaa-cli" or "airflow-rest". */
  client?: string;
}

/** A short label for progress lines and errors (never includes credentials). */
export function describeAirflow(target: AirflowTarget): string {
  return target.kind === "mwaa" ? `MWAA environment ${target.environmentName}` : `Airflow at ${target.url}`;
}

/** Which Airflow it is, without the login or transport: what decides where the work runs. */
export function airflowIdentity(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  // Who the side is reached as is not which Airflow it is: a new role or profile re-runs nothing.
  const {
    username: _u,
    password: _p,
    client: _c,
    assumeRoleArn: _r,
    profile: _f,
    ...identity
  } = value as Record<string, unknown>;
  const kind = airflowKindOf(identity.kind);
  return kind ? { ...identity, kind } : identity;
}

/** The connection the providers/airflow chooser builds a client from. */
export function connectionFor(target: AirflowTarget, defaultRegion: string | undefined): AirflowConnection {
  const kind = chooseAirflowClientKind(
    airflowKindOf(target.kind) ?? target.kind,
    target.airflowVersion,
    target.client,
  );
  if (kind === "airflow-rest") {
    return {
      kind,
      baseUrl: target.url!,
      username: target.username ?? "",
      password: target.password ?? "",
      airflowVersion: target.airflowVersion,
    };
  }
  const region = target.region ?? defaultRegion ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) {
    throw new Error(
      `no region for ${describeAirflow(target)}: set airflow.region on the resource or \`pulumi config set aws:region <region>\``,
    );
  }
  return {
    kind,
    environmentName: target.environmentName!,
    airflowVersion: target.airflowVersion,
    ...accessOf(target),
    region,
  };
}

/**
 * How a side's own AWS resources are reached (its DAG folder in S3, its task logs): as its MWAA environment
 * is, or, for a self-managed Airflow, with the provider's region and the default chain.
 */
export function sideAccess(target: AirflowTarget | undefined, defaultRegion: string | undefined): AwsAccess {
  const region = target?.region ?? defaultRegion;
  return accessOf({ ...(target?.kind === "mwaa" ? target : {}), region });
}

/**
 * Sessions with an Airflow 3 API server, for what lives beside its REST API (the migration plugin, the FAB
 * auth manager's API): self-managed with its REST login, MWAA through the web login (InvokeRestApi reaches
 * only the REST API root).
 */
export function sessionsFor(target: AirflowTarget, defaultRegion: string | undefined): SessionSource {
  const connection = connectionFor(target, defaultRegion);
  if (connection.kind === "airflow-rest")
    return selfManagedSessions({
      baseUrl: connection.baseUrl,
      username: connection.username,
      password: connection.password,
    });
  return mwaaWebSessions({
    ...accessOf(connection),
    region: connection.region,
    environmentName: connection.environmentName,
    airflowVersion: connection.airflowVersion,
  });
}

/** A client of the migration plugin in an Airflow 3 API server. */
export function pluginClientFor(
  target: AirflowTarget,
  defaultRegion: string | undefined,
): MigrationPluginClient {
  return new PluginHttpClient(sessionsFor(target, defaultRegion));
}

export function checkAirflow(failures: Failures, property: string, value: unknown): void {
  if (isUnknown(value)) return;
  if (typeof value !== "object" || value === null) {
    fail(
      failures,
      property,
      `${property} is required: { kind: "mwaa", environmentName, airflowVersion } or { kind: "self-managed", url, airflowVersion }`,
    );
    return;
  }
  const target = value as Record<string, unknown>;
  const kind = airflowKindOf(target.kind);
  const known = (v: unknown) => v !== undefined && !isUnknown(v);
  if (
    known(target.airflowVersion) &&
    (typeof target.airflowVersion !== "string" || !/^[23]\.\d+\.\d+/.test(target.airflowVersion))
  ) {
    fail(
      failures,
      `${property}.airflowVersion`,
      `${property}.airflowVersion must be the Airflow version, e.g. "2.10.3" or "3.0.6"`,
    );
  } else if (target.airflowVersion === undefined) {
    fail(failures, `${property}.airflowVersion`, `${property}.airflowVersion is required, e.g. "2.10.3"`);
  }
  if (kind === "mwaa") {
    checkAssumeRole(failures, `${property}.assumeRoleArn`, target.assumeRoleArn);
    if (
      !isUnknown(target.environmentName) &&
      (typeof target.environmentName !== "string" ||
        !/^[A-Za-z][0-9A-Za-z_-]{0,79}$/.test(target.environmentName))
    ) {
      fail(
        failures,
        `${property}.environmentName`,
        `${property}.environmentName must be an MWAA environment name (a letter, then up to 79 letters, digits, "-" or "_")`,
      );
    }
  } else if (kind === "self-managed") {
    if (
      !isUnknown(target.url) &&
      (typeof target.url !== "string" || !/^https?:\/\/[^/\s]+/.test(target.url))
    ) {
      fail(
        failures,
        `${property}.url`,
        `${property}.url must be the Airflow webserver's http(s) URL, e.g. "http://127.0.0.1:8080"`,
      );
    }
  } else if (!isUnknown(target.kind)) {
    fail(
      failures,
      `${property}.kind`,
      `${property}.kind is ${JSON.stringify(target.kind)}; use "mwaa" or "self-managed"`,
    );
  }
  if (known(target.client) && known(target.airflowVersion) && kind) {
    try {
      chooseAirflowClientKind(kind, String(target.airflowVersion), String(target.client));
    } catch (e) {
      fail(failures, `${property}.client`, (e as Error).message);
    }
  }
}

/** An optional role to assume: an IAM role ARN. */
export function checkAssumeRole(failures: Failures, property: string, value: unknown): void {
  if (value === undefined || isUnknown(value)) return;
  if (typeof value !== "string" || !ASSUME_ROLE_ARN_PATTERN.test(value))
    fail(
      failures,
      property,
      `${property} must be an IAM role ARN, e.g. "arn:aws:iam::210987654321:role/mwaa-migration-target"`,
    );
}

export function checkDagFolder(failures: Failures, property: string, value: unknown): void {
  if (isUnknown(value)) return;
  if (typeof value !== "string") {
    fail(
      failures,
      property,
      `${property} is required: the environment's DAG folder as "s3://bucket/dags" or an absolute local folder`,
    );
    return;
  }
  try {
    parseDagFolder(value);
  } catch (e) {
    fail(failures, property, (e as Error).message);
  }
}

/** A client for an `airflow` input, for callers outside the providers (the rehearsal's checks). */
export function airflowClientFor(target: AirflowTarget, defaultRegion?: string): AirflowClient {
  return createAirflowClient(connectionFor(target, defaultRegion));
}
