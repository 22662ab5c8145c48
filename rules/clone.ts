/**
 * Cloning a target environment's settings from the source MWAA environment.
 *
 * Only an explicit allowlist is copied. Everything else on the source is either output-only (ARN, status,
 * webserver URL, timestamps), belongs to the source alone (execution role, network and its endpoint
 * management, KMS key, name), or would be harmful to share: the DAG bucket and path, because two
 * schedulers reading the same DAG folder would both run every DAG. The worker replacement strategy is
 * not copied because GetEnvironment does not report it.
 */
import { bucketNameOf, s3DagFolder } from "./dagLocation";
import { rewriteLegacySecretsBackend } from "./secretsBackend";

// The secrets backend's class paths and their rewrite live in ./secretsBackend; re-exported for callers of clone.
export {
  LEGACY_SECRETS_BACKENDS,
  SECRETS_BACKEND_OPTION,
  rewriteLegacySecretsBackend,
} from "./secretsBackend";

/** Settings a clone may take from the source. Listed, not derived, so a new source field is never copied by accident. */
export const CLONE_ALLOWLIST = [
  "airflowConfigurationOptions",
  "environmentClass",
  "minWorkers",
  "maxWorkers",
  "schedulers",
  "minWebservers",
  "maxWebservers",
  "webserverAccessMode",
  "weeklyMaintenanceWindowStart",
  "logLevels",
] as const;

export type LogType = "dagProcessingLogs" | "schedulerLogs" | "taskLogs" | "webserverLogs" | "workerLogs";
export const LOG_TYPES: readonly LogType[] = [
  "dagProcessingLogs",
  "schedulerLogs",
  "taskLogs",
  "webserverLogs",
  "workerLogs",
];
export const LOG_LEVELS = ["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Task logs are what the migration copies and what operators read after cutover: INFO or finer. */
export const TASK_LOG_LEVELS: readonly LogLevel[] = ["INFO", "DEBUG"];

/** Capacity and access settings a clone copies as they are and config can override one by one. */
export interface ScalarEnvironmentSettings {
  readonly environmentClass?: string;
  readonly minWorkers?: number;
  readonly maxWorkers?: number;
  readonly schedulers?: number;
  readonly minWebservers?: number;
  readonly maxWebservers?: number;
  readonly webserverAccessMode?: string;
  readonly weeklyMaintenanceWindowStart?: string;
}

/** The source environment as `aws.mwaa.Environment.get` returns it (only the fields read here). */
export interface SourceEnvironmentState extends ScalarEnvironmentSettings {
  readonly airflowConfigurationOptions?: Record<string, string>;
  readonly loggingConfiguration?: Partial<Record<LogType, { enabled?: boolean; logLevel?: string }>>;
}

export interface ClonedSettings extends ScalarEnvironmentSettings {
  airflowConfigurationOptions?: Record<string, string>;
  logLevels?: Partial<Record<LogType, LogLevel>>;
}

/** A count the source reports; 0 or nothing (a setting the source's MWAA did not have yet) is not one. */
function reportedCount(value: number | undefined): number | undefined {
  return value !== undefined && Number.isInteger(value) && value > 0 ? value : undefined;
}

/**
 * Picks the allowlisted settings from the source; undefined fields stay undefined. Values are copied as
 * the source reports them: whether they fit the target (its class, its Airflow version) is checked
 * when the target's settings are resolved, naming the source as where they came from.
 */
export function cloneAllowlisted(source: SourceEnvironmentState): ClonedSettings {
  const logLevels: Partial<Record<LogType, LogLevel>> = {};
  for (const type of LOG_TYPES) {
    const level = source.loggingConfiguration?.[type]?.logLevel;
    if (level && (LOG_LEVELS as readonly string[]).includes(level)) logLevels[type] = level as LogLevel;
  }
  const options = source.airflowConfigurationOptions;
  return {
    airflowConfigurationOptions: options ? rewriteLegacySecretsBackend(options).options : undefined,
    environmentClass: source.environmentClass || undefined,
    minWorkers: reportedCount(source.minWorkers),
    maxWorkers: reportedCount(source.maxWorkers),
    schedulers: reportedCount(source.schedulers),
    minWebservers: reportedCount(source.minWebservers),
    maxWebservers: reportedCount(source.maxWebservers),
    webserverAccessMode: source.webserverAccessMode || undefined,
    weeklyMaintenanceWindowStart: source.weeklyMaintenanceWindowStart || undefined,
    logLevels: Object.keys(logLevels).length > 0 ? logLevels : undefined,
  };
}

/** Explicit settings win over cloned ones, which win over defaults; options merge key by key. */
export function mergeSettings<T extends object>(defaults: T, cloned: Partial<T>, explicit: Partial<T>): T {
  const result: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const layer of [cloned, explicit] as Record<string, unknown>[]) {
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      const previous = result[key];
      result[key] = isPlainObject(previous) && isPlainObject(value) ? { ...previous, ...value } : value;
    }
  }
  return result as T;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A target that reads the source's DAG folder (or a folder inside it, or one that contains it) would make
 * two schedulers run the same DAGs. Any other folder of the source's bucket is refused too: the target's
 * requirements.txt, plugins.zip and startup script go to fixed keys at the bucket root and would
 * replace the source's, changing an environment this stack only reads.
 */
export function sharedDagLocationProblem(
  source: { bucketArn: string; dagS3Path: string },
  target: { bucketArn: string; dagS3Path: string },
): string | undefined {
  const a = s3DagFolder(source.bucketArn, source.dagS3Path);
  const b = s3DagFolder(target.bucketArn, target.dagS3Path);
  const overlaps = a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
  if (overlaps) {
    return (
      `mwaa-migration:targetDagBucketName and mwaa-migration:dagS3Path put the target's DAGs at ${b}, which ` +
      `overlaps the source's ${a}: both schedulers would run the same DAGs. Leave targetDagBucketName empty ` +
      `(the stack creates its own bucket) or name a bucket of the target's own.`
    );
  }
  const bucket = bucketNameOf(target.bucketArn);
  if (bucket !== bucketNameOf(source.bucketArn)) return undefined;
  return (
    `mwaa-migration:targetDagBucketName "${bucket}" is the source's DAG bucket: the target's requirements.txt, ` +
    `plugins.zip and startup script would replace the source's at the bucket root. Leave targetDagBucketName ` +
    `empty (the stack creates its own bucket) or name a bucket of the target's own.`
  );
}
