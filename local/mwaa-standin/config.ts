import { readFileSync } from "node:fs";

/**
 * The local environments the stand-in serves, read from a JSON file (written by the test harness or the
 * rehearsal from the local stack's state). Each entry describes one real local Airflow.
 */
export interface LocalEnvironment {
  airflowVersion: string;
  /** Base URL of the local webserver, e.g. http://127.0.0.1:56010 (the REST API is under /api/v1 or /api/v2). */
  restApiUrl: string;
  username: string;
  password: string;
  /** The Airflow CLI of this environment: the executable (the venv's `airflow`) and its environment variables. */
  cli: { command: string; env: Record<string, string> };
  /** The DAG source in S3 (moto) and the local folder it is synced into. */
  sourceBucketArn: string;
  dagS3Path: string;
  dagsFolder: string;
  executionRoleArn: string;
  /** The account the environment is in (default: the stand-in's `accountId`): only its identities reach it. */
  accountId?: string;
  /** Log group names; default `airflow-<name>-<Type>` as MWAA names them. */
  logGroups?: Partial<Record<"Task" | "DAGProcessing" | "Scheduler" | "WebServer" | "Worker", string>>;
}

export interface StandinConfig {
  region: string;
  /** The account of the stand-in's own key pair, and of every environment that names no other. */
  accountId: string;
  /** moto's endpoint: the keys it issued (IAM users', assumed roles') are accepted too, each in its account. */
  iamEndpoint?: string;
  environments: Record<string, LocalEnvironment>;
}

export const accountOf = (config: StandinConfig, env: LocalEnvironment) => env.accountId ?? config.accountId;

const ENVIRONMENT_NAME = /^[a-zA-Z][0-9a-zA-Z_-]{0,79}$/;

export function parseStandinConfig(text: string, source: string): StandinConfig {
  const raw = JSON.parse(text) as Partial<StandinConfig>;
  const problems: string[] = [];
  if (!raw.region) problems.push("region is missing");
  if (!/^\d{12}$/.test(raw.accountId ?? "")) problems.push("accountId must be 12 digits");
  const environments = raw.environments ?? {};
  for (const [name, env] of Object.entries(environments)) {
    if (!ENVIRONMENT_NAME.test(name)) problems.push(`environment name "${name}" is not a valid MWAA name`);
    for (const field of ["airflowVersion", "restApiUrl", "username", "password", "dagsFolder"] as const) {
      if (!env[field]) problems.push(`environments.${name}.${field} is missing`);
    }
    if (!env.cli?.command) problems.push(`environments.${name}.cli.command is missing`);
    if (env.accountId !== undefined && !/^\d{12}$/.test(env.accountId))
      problems.push(`environments.${name}.accountId must be 12 digits`);
    if (!/^arn:aws:s3:::[a-z0-9.-]+$/.test(env.sourceBucketArn ?? "")) {
      problems.push(`environments.${name}.sourceBucketArn must be an S3 bucket ARN (arn:aws:s3:::bucket)`);
    }
  }
  if (problems.length > 0) throw new Error(`${source}: ${problems.join("; ")}`);
  return raw as StandinConfig;
}

export function loadStandinConfig(path: string): StandinConfig {
  return parseStandinConfig(readFileSync(path, "utf8"), path);
}

export function logGroupName(
  name: string,
  env: LocalEnvironment,
  type: keyof NonNullable<LocalEnvironment["logGroups"]>,
) {
  return env.logGroups?.[type] ?? `airflow-${name}-${type}`;
}
