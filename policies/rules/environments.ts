/**
 * Checks on MWAA environments: complete logs (the task-log copy and any audit depend on them), a
 * private webserver, a supported Airflow version, and an execution role of their own.
 */
import { PackConfig } from "../lib/config";
import {
  MWAA_LOG_TYPES,
  PRIVATE_WEBSERVER_ACCESS_MODE,
  PUBLIC_WEBSERVER_ACCESS_MODES,
  SUPPORTED_AIRFLOW_VERSIONS,
  TASK_LOG_LEVELS_INFO_OR_FINER,
} from "../lib/facts";
import { Finding } from "../lib/findings";
import { isUnknown } from "../lib/unknowns";
import { ResourceLike, TYPES, executionRoleKey, ofType, resourceLabel } from "../lib/stackModel";

function environmentName(env: ResourceLike): string {
  return typeof env.props.name === "string" && env.props.name !== "" ? env.props.name : env.name;
}

function exempt(env: ResourceLike, config: PackConfig): boolean {
  return (
    config.exemptEnvironments.includes(environmentName(env)) || config.exemptEnvironments.includes(env.name)
  );
}

function finding(env: ResourceLike, subject: string, problem: string, fix: string): Finding {
  return { urn: env.urn, resource: resourceLabel(env), subject, problem, fix };
}

/** All five log types enabled; task logs at INFO or finer. */
export function checkEnvironmentLogging(env: ResourceLike, config: PackConfig): Finding[] {
  if (env.type !== TYPES.environment || exempt(env, config)) return [];
  const configured = env.props.loggingConfiguration;
  if (isUnknown(configured)) return [];
  const logging = (configured ?? {}) as Record<string, { enabled?: unknown; logLevel?: unknown }>;
  const findings: Finding[] = [];
  const disabled = MWAA_LOG_TYPES.filter(
    (t) => !isUnknown(logging[t]) && !isUnknown(logging[t]?.enabled) && logging[t]?.enabled !== true,
  );
  if (disabled.length) {
    findings.push(
      finding(
        env,
        "loggingConfiguration",
        `does not enable ${disabled.join(", ")}.`,
        `set loggingConfiguration.{${MWAA_LOG_TYPES.join(",")}}.enabled = true.`,
      ),
    );
  }
  const level = isUnknown(logging.taskLogs) ? undefined : logging.taskLogs?.logLevel;
  if (
    logging.taskLogs?.enabled === true &&
    !isUnknown(level) &&
    !TASK_LOG_LEVELS_INFO_OR_FINER.includes(String(level).toUpperCase())
  ) {
    findings.push(
      finding(
        env,
        "loggingConfiguration.taskLogs.logLevel",
        `is ${level ?? "not set"}; task logs below INFO lose what the migration copies and reviewers read.`,
        'set loggingConfiguration.taskLogs.logLevel to "INFO" (or "DEBUG").',
      ),
    );
  }
  return findings;
}

/** Webserver reachable only from the VPC unless the config allows this environment a public one. */
export function checkWebserverPrivate(env: ResourceLike, config: PackConfig): Finding[] {
  if (env.type !== TYPES.environment || exempt(env, config)) return [];
  const mode = env.props.webserverAccessMode;
  // MWAA creates PRIVATE_ONLY when the mode is not given.
  if (mode === undefined || mode === PRIVATE_WEBSERVER_ACCESS_MODE || isUnknown(mode)) return [];
  const allowed = config.allowPublicWebserver;
  if (allowed.includes("*") || allowed.includes(environmentName(env)) || allowed.includes(env.name))
    return [];
  return [
    finding(
      env,
      "webserverAccessMode",
      whyNotPrivate(String(mode)),
      `set webserverAccessMode to "${PRIVATE_WEBSERVER_ACCESS_MODE}", or list "${environmentName(env)}" in allowPublicWebserver.`,
    ),
  ];
}

function whyNotPrivate(mode: string): string {
  if (mode === "PUBLIC_AND_PRIVATE")
    return "is PUBLIC_AND_PRIVATE, which is not private: besides the private endpoint, MWAA serves the Airflow UI and REST API on a public one reachable from the internet.";
  if (PUBLIC_WEBSERVER_ACCESS_MODES.includes(mode))
    return `is ${mode}; the Airflow UI and REST API would be reachable from the internet.`;
  const known = [PRIVATE_WEBSERVER_ACCESS_MODE, ...PUBLIC_WEBSERVER_ACCESS_MODES].join(", ");
  return `is ${mode}, not an access mode MWAA knows (${known}); only ${PRIVATE_WEBSERVER_ACCESS_MODE} keeps the Airflow UI private.`;
}

/** Airflow version on the supported list (data in facts.ts, replaceable through config). */
export function checkAirflowVersion(env: ResourceLike, config: PackConfig): Finding[] {
  if (env.type !== TYPES.environment || exempt(env, config)) return [];
  const version = env.props.airflowVersion;
  // Without a version MWAA picks its current default, which is supported by definition.
  if (version === undefined || version === "" || isUnknown(version)) return [];
  const supported = config.supportedAirflowVersions.length
    ? config.supportedAirflowVersions
    : SUPPORTED_AIRFLOW_VERSIONS;
  if (supported.includes(String(version))) return [];
  return [
    finding(
      env,
      "airflowVersion",
      `${version} is not a supported MWAA Airflow version (${supported.join(", ")}).`,
      "choose a supported version, or add it to supportedAirflowVersions if MWAA has added it since.",
    ),
  ];
}

/** No two environments in the stack share an execution role (compared by ARN or dependency). */
export function checkExecutionRoleNotShared(resources: ResourceLike[], config: PackConfig): Finding[] {
  const byRole = new Map<string, ResourceLike[]>();
  for (const env of ofType(resources, TYPES.environment)) {
    if (exempt(env, config)) continue;
    const key = executionRoleKey(env);
    if (!key) continue;
    byRole.set(key, [...(byRole.get(key) ?? []), env]);
  }
  const findings: Finding[] = [];
  for (const [role, envs] of byRole) {
    if (envs.length < 2) continue;
    for (const env of envs) {
      const others = envs.filter((e) => e !== env).map((e) => `"${environmentName(e)}"`);
      findings.push(
        finding(
          env,
          "executionRoleArn",
          `${role} is also the execution role of ${others.join(", ")}; the migration's grants on one environment would reach the other.`,
          "give each environment its own execution role.",
        ),
      );
    }
  }
  return findings;
}
