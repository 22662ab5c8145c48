/**
 * Every configuration key of the stack, in one typed table. index.ts reads config through it, Pulumi.yaml's
 * `config:` block declares the same keys, and the README's configuration reference is checked against it.
 *
 * Settings a clone can take from the source default to "" or 0, meaning "from the source when cloning,
 * else the built-in default": the Pulumi CLI fills declared defaults in before the program runs, so a
 * non-empty default would always override the cloned value.
 */
import { PIPELINE_ID } from "../datapipeline/live";
import { type ConversionChoices, parseConversionOptions } from "../datapipeline/options";
import { IAM_ROLE_ARN_PATTERN, parseSsoInstanceArn, REGION_PATTERN } from "./arns";
import { parseDagFolder } from "./dagLocation";
import { isStage, Stage } from "./stages";
import { LOG_LEVELS, LogLevel, ScalarEnvironmentSettings, TASK_LOG_LEVELS } from "./clone";
import { environmentNameProblems } from "./names";
import { NetworkEgress, subnetIdProblems } from "./network";
import { parsePackageSource, type PackageSourceSetting } from "./packageSource";
import {
  SECRETS_BACKEND_KWARGS_OPTION,
  SECRETS_BACKEND_OPTION,
  type SecretKind,
  type SecretsManagerBackend,
  secretPrefixProblem,
  secretsBackendOptions,
} from "./secretsBackend";
import { type WebUiMapping, parseWebUiAccess } from "./webUiAccess";
import {
  MWAA_VERSIONS,
  compareVersions,
  findMwaaVersion,
  importableTargetVersions,
  importRefusal,
  parseVersion,
  supportedVersionList,
} from "./versions";

export const CONFIG_NAMESPACE = "mwaa-migration";

export type ConfigKeyType = "string" | "integer" | "boolean" | "array";

export interface ConfigKeySpec {
  readonly type: ConfigKeyType;
  readonly default: string | number | boolean | string[];
  readonly description: string;
  readonly secret?: boolean;
}

export const CONFIG_KEYS = {
  stage: {
    type: "string",
    default: "prepare",
    description: "Migration stage: prepare, bulk, cutover or complete. Stages move forward only.",
  },
  allowStageRollback: {
    type: "boolean",
    default: false,
    description: "Allow moving the stage backwards (re-creates grants and re-runs phases).",
  },
  sourceEnvironmentName: {
    type: "string",
    default: "",
    description: "Name of the existing MWAA environment to migrate from (read only, never changed).",
  },
  sourceAirflowUrl: {
    type: "string",
    default: "",
    description: "Base URL of a self-managed Airflow webserver to migrate from, instead of an MWAA source.",
  },
  sourceAirflowUsername: {
    type: "string",
    default: "",
    description: "User name for the self-managed Airflow REST API.",
  },
  sourceAirflowPassword: {
    type: "string",
    default: "",
    secret: true,
    description: "Password for the self-managed Airflow REST API (set with --secret).",
  },
  sourceAirflowVersion: {
    type: "string",
    default: "",
    description: "Airflow version of the self-managed source (MWAA sources report their own).",
  },
  sourceDagsLocation: {
    type: "string",
    default: "",
    description: "Where the self-managed source's DAG files are delivered: an s3:// URI or a local folder.",
  },
  targetEnvironmentName: {
    type: "string",
    default: "",
    description:
      "Name of the new MWAA environment (letters, digits, - and _; starts with a letter; at most 80).",
  },
  targetAirflowVersion: {
    type: "string",
    default: "2.11.0",
    description: "Airflow version of the new environment; one MWAA supports, not older than the source.",
  },
  cloneSourceSettings: {
    type: "boolean",
    default: true,
    description:
      "Take allowlisted settings (Airflow options, class, workers, schedulers, webservers, access mode, maintenance window, log levels) from the MWAA source.",
  },
  environmentClass: {
    type: "string",
    default: "",
    description:
      "mw1.micro, mw1.small, mw1.medium, mw1.large, mw1.xlarge or mw1.2xlarge; empty: from the source or mw1.small.",
  },
  minWorkers: {
    type: "integer",
    default: 0,
    description: "Minimum workers; 0: from the source or 1.",
  },
  maxWorkers: {
    type: "integer",
    default: 0,
    description: "Maximum workers; 0: from the source or 10.",
  },
  schedulers: {
    type: "integer",
    default: 0,
    description: "Schedulers (2 to 5; 1 on mw1.micro); 0: from the source, else 2 (1 on mw1.micro).",
  },
  minWebservers: {
    type: "integer",
    default: 0,
    description:
      "Minimum webservers (2 to 5; 1 on mw1.micro); 0: from the source, else MWAA's default (2; 1 on mw1.micro).",
  },
  maxWebservers: {
    type: "integer",
    default: 0,
    description:
      "Maximum webservers (2 to 5; 1 on mw1.micro); 0: from the source, else MWAA's default (2; 1 on mw1.micro).",
  },
  webserverAccessMode: {
    type: "string",
    default: "",
    description:
      "PRIVATE_ONLY, PUBLIC_ONLY, or PUBLIC_AND_PRIVATE (Airflow 3.2 and later); empty: from the source or PRIVATE_ONLY.",
  },
  workerReplacementStrategy: {
    type: "string",
    default: "",
    description:
      "How MWAA replaces workers when the stack updates the environment: FORCED, or GRACEFUL (running tasks finish first, up to 12 hours); empty: MWAA's default (FORCED).",
  },
  endpointManagement: {
    type: "string",
    default: "",
    description:
      "Who creates the VPC endpoints of the environment's webserver and database: SERVICE (MWAA), or CUSTOMER (you, as a shared VPC requires; needs subnetIds); empty: MWAA's default (SERVICE).",
  },
  weeklyMaintenanceWindowStart: {
    type: "string",
    default: "",
    description:
      "Maintenance window start as DAY:HH:MM in UTC (e.g. SUN:03:00); empty: from the source or SUN:03:00.",
  },
  taskLogLevel: {
    type: "string",
    default: "",
    description: "Task log level, INFO or DEBUG; empty: from the source (raised to INFO if coarser) or INFO.",
  },
  logLevel: {
    type: "string",
    default: "",
    description:
      "Level of the DAG processing, scheduler, webserver and worker logs; empty: from the source or WARNING.",
  },
  airflowConfigurationOptions: {
    type: "string",
    default: "{}",
    description:
      'JSON object of Airflow configuration options, merged over the cloned ones (e.g. {"core.default_timezone":"utc"}).',
  },
  kmsKeyArn: {
    type: "string",
    default: "",
    description: "Customer-managed KMS key ARN for the new environment; empty: an AWS-owned key.",
  },
  secretsConnectionsPrefix: {
    type: "string",
    default: "",
    description:
      "Secrets Manager prefix the target's Airflow reads connections from (e.g. airflow/connections); any secrets*Prefix turns Airflow's Secrets Manager backend on; all empty: the source's backend when cloning, else none.",
  },
  secretsVariablesPrefix: {
    type: "string",
    default: "",
    description:
      "Secrets Manager prefix the target's Airflow reads variables from (e.g. airflow/variables); empty: not looked up there.",
  },
  secretsConfigPrefix: {
    type: "string",
    default: "",
    description:
      "Secrets Manager prefix the target's Airflow reads configuration options from (e.g. airflow/config); empty: not looked up there.",
  },
  secretsKmsKeyArn: {
    type: "string",
    default: "",
    description:
      "Customer-managed KMS key ARN of the backend's secrets (the execution role decrypts through Secrets Manager only); empty: the aws/secretsmanager key.",
  },
  webUiAccess: {
    type: "string",
    default: "[]",
    description:
      'JSON list mapping IAM principals to Airflow roles in the target\'s UI, e.g. [{"principal":"arn:aws:iam::<account>:role/Analysts","airflowRole":"Viewer"}]; a custom role takes "dags".',
  },
  cloneWebUiAccess: {
    type: "boolean",
    default: false,
    description:
      "With cloneSourceSettings and an MWAA source: read the source's web UI mapping at preview (customer-managed IAM policies allowing airflow:CreateWebLoginToken on its Airflow roles) and give the same principals the same built-in roles on the target; webUiAccess entries win.",
  },
  targetRoleArn: {
    type: "string",
    default: "",
    description:
      "A role in the target's account that the deployer assumes for everything on the target's side: the environment, network, buckets, migration bucket and key, execution role, web UI policies, and the phases' calls to the target and the bundle; empty: the target is in the account of the stack's credentials.",
  },
  targetProfile: {
    type: "string",
    default: "",
    description:
      "A named profile of the shared AWS config files for the target's side, in place of the default credentials (with targetRoleArn, the role is assumed with this profile's credentials).",
  },
  targetRegion: {
    type: "string",
    default: "",
    description:
      "The target's region when it is not the source's (aws:region, where the source is read); the migration bucket is created there too.",
  },
  ssoInstanceArn: {
    type: "string",
    default: "",
    description:
      "IAM Identity Center instance ARN (arn:aws:sso:::instance/ssoins-...) administered from the deployer's account: each permission set webUiAccess maps gets its login policy attached and is provisioned again; empty: the policies are created for you to attach.",
  },
  subnetIds: {
    type: "array",
    default: [],
    description:
      "Two existing private subnet IDs in different Availability Zones; empty: the stack builds a VPC.",
  },
  vpcCidrBlock: {
    type: "string",
    default: "10.192.0.0/16",
    description: "CIDR block of the VPC the stack builds when subnetIds is empty.",
  },
  networkEgress: {
    type: "string",
    default: "nat-gateway",
    description: "How the built VPC reaches AWS services: nat-gateway, or vpc-endpoints (no internet route).",
  },
  targetDagBucketName: {
    type: "string",
    default: "",
    description: "Existing S3 bucket for the new environment's DAGs; empty: the stack creates one.",
  },
  dagS3Path: {
    type: "string",
    default: "dags",
    description: "Folder of the DAG bucket that MWAA reads DAGs from.",
  },
  dagsFolder: {
    type: "string",
    default: "dags",
    description: "Local folder whose DAG files are uploaded to the new environment.",
  },
  requirementsFile: {
    type: "string",
    default: "requirements.txt",
    description:
      "Local requirements.txt uploaded to the new environment; must pin the target's --constraint; empty: none.",
  },
  pluginsZip: {
    type: "string",
    default: "",
    description: "Local plugins.zip uploaded to the new environment; empty: none.",
  },
  packageSource: {
    type: "string",
    default: "auto",
    description:
      "Where the environment's pip gets requirementsFile's packages: wheels (built at preview into plugins.zip, installed with --no-index), an https:// private repository index URL, pypi (as written), or auto (wheels when the built VPC has no internet route).",
  },
  constraintsFile: {
    type: "string",
    default: "",
    description:
      "Local copy of the target's Airflow constraint file, shipped in plugins.zip for wheels or a private index; empty: the URL requirementsFile pins is downloaded at preview.",
  },
  startupScript: {
    type: "string",
    default: "",
    description: "Local startup shell script uploaded to the new environment; empty: none.",
  },
  pipelineDefinitions: {
    type: "string",
    default: "",
    description:
      "Local folder of AWS Data Pipeline definitions (.json files), converted at preview into DAGs uploaded under datapipeline/ in the DAG folder; empty: none.",
  },
  pipelineIds: {
    type: "array",
    default: [],
    description:
      "AWS Data Pipeline ids (df-...) read from the account at preview (their latest definitions) and converted like pipelineDefinitions; the deployer then needs datapipeline:DescribePipelines and GetPipelineDefinition on them.",
  },
  pipelineActivationTime: {
    type: "string",
    default: "",
    description:
      "When pipelines that start at their first activation (FIRST_ACTIVATION_DATE_TIME) start as DAGs, ISO 8601; empty: none may.",
  },
  pipelineConversionOptions: {
    type: "string",
    default: "{}",
    description:
      'JSON object of the converter\'s choices for every pipeline: shellRunner (worker, ssm or ecs), ssmTargetTag, ecsCluster, ecsTaskDefinition, ecsContainer, awsConnId, roleConnections ({"<IAM role name>":"<connection id>"}); empty: the defaults of convert-pipeline.',
  },
  migrationPrefix: {
    type: "string",
    default: "migration",
    description: "Key prefix of the export bundles in the migration bucket.",
  },
  bundleExpirationDays: {
    type: "integer",
    default: 30,
    description: "Days after which the lifecycle rule deletes export bundles.",
  },
  historyImport: {
    type: "boolean",
    default: true,
    description:
      "Move the run history, pools, variables, connections and task logs; false builds only the new environment (stage prepare).",
  },
  conflictPolicy: {
    type: "string",
    default: "skip",
    description:
      "Pools, variables and connections the target already has: skip (keep the target's), overwrite, or fail.",
  },
  importOrphanHistory: {
    type: "boolean",
    default: false,
    description:
      "Also import the history of DAGs the target does not have (default: report them, import none).",
  },
  skipUnstorableRows: {
    type: "boolean",
    default: false,
    description:
      "Leave out, and list in the import report, rows the target cannot store (e.g. too long for a column) instead of failing the import.",
  },
  exportDeadlineSeconds: {
    type: "integer",
    default: 3600,
    description:
      "How long pulumi up waits for an export (60 to 604800); the next up resumes one still running.",
  },
  importDeadlineSeconds: {
    type: "integer",
    default: 3600,
    description:
      "How long pulumi up waits for an import (60 to 604800); the next up resumes one still running.",
  },
  parseDeadlineSeconds: {
    type: "integer",
    default: 600,
    description: "How long to wait for Airflow to parse a delivered migration DAG (10 to 86400).",
  },
  pollIntervalSeconds: {
    type: "integer",
    default: 15,
    description: "How often the phases look at Airflow while they wait (1 to 600).",
  },
  quiesceDeadlineSeconds: {
    type: "integer",
    default: 1800,
    description:
      "At cutover, how long to wait for the paused DAGs' running tasks and runs to finish (0 to 604800); past it the pause is undone.",
  },
  runFinishGraceSeconds: {
    type: "integer",
    default: 90,
    description:
      "At cutover, how long the source's scheduler gets to finish a paused DAG's run whose tasks have all ended (0 to 3600); then the pause marks it finished through the REST API.",
  },
  acceptUnparsedDags: {
    type: "array",
    default: [],
    description:
      "DAG ids whose history bulk and cutover may move although they are active on the source and do not parse on the target (the dag-parse check's findings).",
  },
  keepRunningDags: {
    type: "array",
    default: [],
    description: "DAG ids the cutover leaves running on the source (e.g. a monitoring DAG).",
  },
  leaveTargetPaused: {
    type: "boolean",
    default: false,
    description: "After cutover, keep the target's DAGs paused (unpause them by hand).",
  },
  taskLogStates: {
    type: "array",
    default: ["success", "failed", "skipped", "upstream_failed"],
    description: "States of the task instances whose CloudWatch logs are copied to the target.",
  },
  taskLogMaxAgeDays: {
    type: "integer",
    default: 0,
    description:
      "Copy the logs of task instances that ended in the last N days only (a few keep the cost down); 0: all.",
  },
  purgeBundlesOnDelete: {
    type: "boolean",
    default: false,
    description:
      "Delete an export's bundle with its resource (default: the bucket's lifecycle rule expires it).",
  },
} as const satisfies Record<string, ConfigKeySpec>;

export type ConfigKeyName = keyof typeof CONFIG_KEYS;

export const ENVIRONMENT_CLASSES = [
  "mw1.micro",
  "mw1.small",
  "mw1.medium",
  "mw1.large",
  "mw1.xlarge",
  "mw1.2xlarge",
] as const;
/** The class whose scheduler and worker share one container: it runs 1 scheduler and 1 webserver. */
export const SINGLE_INSTANCE_CLASS = "mw1.micro";
export const WEBSERVER_ACCESS_MODES = ["PRIVATE_ONLY", "PUBLIC_ONLY", "PUBLIC_AND_PRIVATE"] as const;
export const WORKER_REPLACEMENT_STRATEGIES = ["FORCED", "GRACEFUL"] as const;
export const ENDPOINT_MANAGEMENT_MODES = ["SERVICE", "CUSTOMER"] as const;

/**
 * Setting values MWAA offers only from an Airflow version on. PUBLIC_AND_PRIVATE: "only available for
 * Apache Airflow version 3.2 and later" (CreateEnvironment, WebserverAccessMode). GRACEFUL: graceful
 * environment updates need Airflow 2.4.3 or later (User Guide, "Update an Amazon MWAA environment").
 */
export const VERSION_BOUND_VALUES = [
  {
    key: "webserverAccessMode",
    value: "PUBLIC_AND_PRIVATE",
    from: "3.2.0",
    label: "3.2",
    instead: "PRIVATE_ONLY or PUBLIC_ONLY",
  },
  {
    key: "workerReplacementStrategy",
    value: "GRACEFUL",
    from: "2.4.3",
    label: "2.4.3",
    instead: "FORCED, or leave it empty",
  },
] as const;

const MAINTENANCE_WINDOW = /^(MON|TUE|WED|THU|FRI|SAT|SUN):([01]\d|2[0-3]):(00|30)$/;

export type SourceConfig =
  | { readonly kind: "mwaa"; readonly environmentName: string }
  | {
      readonly kind: "self-managed";
      readonly url: string;
      readonly username: string;
      readonly airflowVersion: string;
      readonly dagsLocation: string;
    };

/** Target settings given explicitly (undefined: clone from the source or use the default). */
export interface ExplicitTargetSettings extends ScalarEnvironmentSettings {
  readonly taskLogLevel?: LogLevel;
  readonly logLevel?: LogLevel;
  /** Never cloned: MWAA's GetEnvironment does not report it. Undefined: MWAA's default (FORCED). */
  readonly workerReplacementStrategy?: (typeof WORKER_REPLACEMENT_STRATEGIES)[number];
  /** Never cloned: it belongs to the source's network. Undefined: MWAA's default (SERVICE). */
  readonly endpointManagement?: (typeof ENDPOINT_MANAGEMENT_MODES)[number];
  readonly airflowConfigurationOptions: Record<string, string>;
  /**
   * The target's Airflow version (targetAirflowVersion), always explicit: what the settings MWAA offers
   * only from a version on are checked against, cloned ones included.
   */
  readonly airflowVersion: string;
}

/** Where a resolved target setting came from. */
export type SettingOrigin = "explicit" | "cloned" | "default";

/** The target settings whose values MWAA restricts by environment class or by Airflow version. */
export interface RestrictedSettings {
  readonly environmentClass?: string;
  readonly schedulers?: number;
  readonly minWebservers?: number;
  readonly maxWebservers?: number;
  readonly webserverAccessMode?: string;
  readonly workerReplacementStrategy?: string;
}

export type SettingOrigins = Partial<Record<keyof RestrictedSettings, SettingOrigin>>;

/**
 * What MWAA would refuse among target settings: a scheduler or webserver count the environment class
 * does not run (exactly 1 on mw1.micro, 2 to 5 on the other classes), and a value the target's Airflow
 * version does not offer (VERSION_BOUND_VALUES). Each problem names the key, where its value came from,
 * and the fix; a value cloned from the source says how to override it. Undefined settings are not
 * checked (class rules need the class); a setting without an origin counts as explicit.
 */
export function restrictedSettingProblems(
  settings: RestrictedSettings,
  targetAirflowVersion: string,
  origins: SettingOrigins = {},
): string[] {
  const problems: string[] = [];
  const origin = (key: keyof RestrictedSettings) => origins[key] ?? "explicit";
  const stated = (key: keyof RestrictedSettings, value: string | number) => {
    const from = { explicit: "", cloned: " (cloned from the source environment)", default: " (the default)" };
    return `${CONFIG_NAMESPACE}:${key} is ${value}${from[origin(key)]}`;
  };
  const fix = (key: keyof RestrictedSettings, value: string) =>
    origin(key) === "cloned"
      ? `set ${CONFIG_NAMESPACE}:${key} to ${value} to override the source's value`
      : `set ${CONFIG_NAMESPACE}:${key} to ${value}`;

  const versionKnown = parseVersion(targetAirflowVersion) !== undefined;
  for (const bound of VERSION_BOUND_VALUES) {
    if (!versionKnown || settings[bound.key] !== bound.value) continue;
    if (compareVersions(targetAirflowVersion, bound.from) >= 0) continue;
    const later = MWAA_VERSIONS.map((v) => v.airflow).filter((v) => compareVersions(v, bound.from) >= 0);
    problems.push(
      `${stated(bound.key, bound.value)}, which MWAA offers on Airflow ${bound.label} and later only, and the ` +
        `target runs Airflow ${targetAirflowVersion} (${CONFIG_NAMESPACE}:targetAirflowVersion); ` +
        `${fix(bound.key, bound.instead)}` +
        (later.length > 0
          ? `, or set ${CONFIG_NAMESPACE}:targetAirflowVersion to ${later.join(" or ")}.`
          : "."),
    );
  }

  const environmentClass = settings.environmentClass;
  if (environmentClass === undefined) return problems;
  const single = environmentClass === SINGLE_INSTANCE_CLASS;
  const classFrom = {
    explicit: `(${CONFIG_NAMESPACE}:environmentClass)`,
    cloned: `(${CONFIG_NAMESPACE}:environmentClass, cloned from the source environment)`,
    default: `(the default; ${CONFIG_NAMESPACE}:environmentClass is empty)`,
  }[origin("environmentClass")];
  const counts = [
    ["schedulers", "scheduler"],
    ["minWebservers", "webserver"],
    ["maxWebservers", "webserver"],
  ] as const;
  for (const [key, noun] of counts) {
    const value = settings[key];
    if (value === undefined || (single ? value === 1 : value >= 2 && value <= 5)) continue;
    problems.push(
      single
        ? `${stated(key, value)}, but ${environmentClass} ${classFrom} runs exactly 1 ${noun}; ` +
            `${fix(key, "1")}, or set ${CONFIG_NAMESPACE}:environmentClass to a larger class (e.g. mw1.small).`
        : `${stated(key, value)}, but ${environmentClass} ${classFrom} runs 2 to 5 ${noun}s ` +
            `(1 only on ${SINGLE_INSTANCE_CLASS}); ${fix(key, "a number from 2 to 5")}.`,
    );
  }
  return problems;
}

/** Task-instance states a log copy can select (Airflow's finished states). */
export const TASK_LOG_STATES = ["success", "failed", "skipped", "upstream_failed", "removed"] as const;
export const CONFLICT_POLICY_CHOICES = ["skip", "overwrite", "fail"] as const;

/**
 * What the user decides about the migration's phases: the shape the phase sequence takes as its settings
 * (providers' PhaseSettings), kept here so that the rules do not reach into the providers.
 */
export interface PhaseConfig {
  readonly export: {
    readonly deadlineSeconds: number;
    readonly parseDeadlineSeconds: number;
    readonly pollIntervalSeconds: number;
  };
  readonly import: {
    readonly deadlineSeconds: number;
    readonly parseDeadlineSeconds: number;
    readonly pollIntervalSeconds: number;
  };
  readonly conflictPolicy: (typeof CONFLICT_POLICY_CHOICES)[number];
  readonly importOrphanHistory: boolean;
  readonly skipUnstorableRows: boolean;
  readonly keepRunningDags: readonly string[];
  readonly quiesceDeadlineSeconds: number;
  readonly runFinishGraceSeconds: number;
  readonly acceptUnparsedDags: readonly string[];
  readonly leaveTargetPaused: boolean;
  readonly taskLogStates: readonly string[];
  readonly taskLogMaxAgeDays?: number;
  readonly purgeBundlesOnDelete: boolean;
}

export interface MigrationConfig {
  readonly stage: Stage;
  readonly allowStageRollback: boolean;
  readonly source: SourceConfig;
  readonly targetEnvironmentName: string;
  readonly targetAirflowVersion: string;
  readonly cloneSourceSettings: boolean;
  readonly explicit: ExplicitTargetSettings;
  readonly kmsKeyArn?: string;
  readonly network:
    | { readonly kind: "subnets"; readonly subnetIds: readonly string[] }
    | { readonly kind: "vpc"; readonly cidrBlock: string; readonly egress: NetworkEgress };
  readonly targetDagBucketName?: string;
  readonly dagS3Path: string;
  readonly dagsFolder: string;
  readonly requirementsFile?: string;
  readonly pluginsZip?: string;
  readonly startupScript?: string;
  /** Where the environment's pip gets the packages (rules/packageSource). */
  readonly packageSource: PackageSourceSetting;
  readonly constraintsFile?: string;
  /** Data Pipeline definitions to convert into DAGs, and the start of those that begin at activation. */
  readonly pipelineDefinitions?: string;
  /** Data Pipeline ids to read from the account and convert the same way. */
  readonly pipelineIds: readonly string[];
  readonly pipelineActivationTime?: Date;
  /** The converter's choices for those pipelines. */
  readonly pipelineConversionOptions: ConversionChoices;
  readonly migrationPrefix: string;
  readonly bundleExpirationDays: number;
  /** false: only the new environment is built (stage prepare); no history moves. */
  readonly historyImport: boolean;
  readonly phases: PhaseConfig;
  /** The Secrets Manager backend the config turns on (its options are in explicit's); undefined: none given. */
  readonly secretsBackend?: SecretsManagerBackend;
  /** The customer-managed key of the backend's secrets, whether the backend is given or cloned. */
  readonly secretsKmsKeyArn?: string;
  /** Who may open the target's UI, as which Airflow role. */
  readonly webUiAccess: readonly WebUiMapping[];
  /** Read the MWAA source's web UI mapping at preview and carry it (explicit webUiAccess wins). */
  readonly cloneWebUiAccess: boolean;
  /** The Identity Center instance where the mapped permission sets get their login policies attached. */
  readonly ssoInstanceArn?: string;
  /** How the target's side is reached when it is another account's or region's (empty: as the source's). */
  readonly targetAccess: TargetAccess;
}

/** The target's side as the config gives it; each field absent when not set. */
export interface TargetAccess {
  readonly region?: string;
  readonly assumeRoleArn?: string;
  readonly profile?: string;
}

export class ConfigurationError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`mwaa-migration configuration is not valid:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigurationError";
  }
}

/** Reads one raw config value by short key name (undefined when unset). */
export type RawConfig = (key: ConfigKeyName) => string | undefined;

/** Builds a RawConfig from a flat map keyed "mwaa-migration:<key>" (as in a stack file). */
export function rawConfigFromMap(values: Record<string, string>): RawConfig {
  return (key) => values[`${CONFIG_NAMESPACE}:${key}`];
}

/**
 * Typed reads of raw config values that note a problem instead of throwing, so every section is parsed
 * and one preview lists every mistake. A value that is unset takes its declared default.
 */
interface ConfigReader {
  readonly raw: RawConfig;
  /** Problems found so far, in the order they were found. */
  readonly problems: string[];
  /** The trimmed value, or the declared default as text. */
  text(key: ConfigKeyName): string;
  /** The trimmed value; undefined when it is empty. */
  optional(key: ConfigKeyName): string | undefined;
  /** A whole number of at least `min` (and at most `max`); `min` (and a problem) when it is not. */
  integer(key: ConfigKeyName, min: number, max?: number): number;
  /** A list of strings (JSON, as `pulumi config set --path 'key[0]'` stores it); [] (and a problem) when not. */
  list(key: ConfigKeyName): string[];
  /** true or false; anything else is a problem (and false). */
  flag(key: ConfigKeyName): boolean;
  /** One of `allowed`, or undefined when empty; anything else is a problem (and undefined). */
  oneOf<T extends string>(key: ConfigKeyName, allowed: readonly T[]): T | undefined;
}

function configReader(raw: RawConfig): ConfigReader {
  const problems: string[] = [];
  const text = (key: ConfigKeyName): string => {
    const value = raw(key);
    if (value !== undefined) return value.trim();
    const fallback = CONFIG_KEYS[key].default;
    return typeof fallback === "string" ? fallback : String(fallback);
  };
  const optional = (key: ConfigKeyName): string | undefined => text(key) || undefined;
  return {
    raw,
    problems,
    text,
    optional,
    integer(key, min, max) {
      const value = text(key);
      if (!/^-?\d+$/.test(value) || Number(value) < min || (max !== undefined && Number(value) > max)) {
        const range = max === undefined ? `of at least ${min}` : `from ${min} to ${max}`;
        problems.push(`${CONFIG_NAMESPACE}:${key} is "${value}"; set it to a whole number ${range}.`);
        return min;
      }
      return Number(value);
    },
    list(key) {
      const value = raw(key);
      const fallback = CONFIG_KEYS[key].default;
      if (value === undefined || value.trim() === "") return Array.isArray(fallback) ? [...fallback] : [];
      try {
        const parsed: unknown = JSON.parse(value);
        if (Array.isArray(parsed) && parsed.every((item) => typeof item === "string")) return parsed;
      } catch {
        // reported below
      }
      problems.push(
        `${CONFIG_NAMESPACE}:${key} is not a list of names; set it with \`pulumi config set --path '${key}[0]' <name>\`.`,
      );
      return [];
    },
    flag(key) {
      const value = text(key).toLowerCase();
      if (value !== "true" && value !== "false") {
        problems.push(`${CONFIG_NAMESPACE}:${key} is "${value}"; set it to true or false.`);
      }
      return value === "true";
    },
    oneOf<T extends string>(key: ConfigKeyName, allowed: readonly T[]): T | undefined {
      const value = optional(key);
      if (value === undefined) return undefined;
      if (!(allowed as readonly string[]).includes(value)) {
        problems.push(`${CONFIG_NAMESPACE}:${key} is "${value}"; set it to one of ${allowed.join(", ")}.`);
        return undefined;
      }
      return value as T;
    },
  };
}

/**
 * Parses and validates the whole configuration. Collects every problem before failing, so one preview
 * shows them all; each names its key and the fix. Checks that need AWS (the source's version, the
 * subnets' zones) happen later, in the components, with the same kind of message.
 *
 * The sections are read in a fixed order, which is the order their problems are listed in.
 */
export function parseConfig(raw: RawConfig): MigrationConfig {
  const read = configReader(raw);
  const stage = parseStage(read);
  const source = parseSource(read);
  const target = parseTarget(read, source);
  const parsedExplicit = parseExplicit(read, target.airflowVersion);
  const secretsBackend = parseSecretsBackend(read, parsedExplicit.airflowConfigurationOptions);
  const explicit: ExplicitTargetSettings = secretsBackend
    ? {
        ...parsedExplicit,
        airflowConfigurationOptions: {
          ...parsedExplicit.airflowConfigurationOptions,
          ...secretsBackendOptions(secretsBackend),
        },
      }
    : parsedExplicit;
  const secretsKmsKeyArn = parseSecretsKmsKeyArn(read, secretsBackend !== undefined);
  const webUi = parseWebUiAccess(read.text("webUiAccess"));
  read.problems.push(...webUi.problems);
  const network = parseNetwork(read);
  if (explicit.endpointManagement === "CUSTOMER" && network.kind === "vpc") {
    read.problems.push(
      `${CONFIG_NAMESPACE}:endpointManagement is CUSTOMER, but ${CONFIG_NAMESPACE}:subnetIds is empty and the VPC ` +
        `this stack builds has no endpoints for the environment's webserver and database; set subnetIds to two ` +
        `subnets of the VPC where you create them (e.g. a shared VPC), or leave endpointManagement empty so MWAA ` +
        `creates them.`,
    );
  }
  const kmsKeyArn = parseKmsKeyArn(read);
  const prefixes = parsePrefixes(read);
  const historyImport = parseHistoryImport(read, stage, target.airflowVersion);
  const phases = parsePhases(read);
  const result: MigrationConfig = {
    stage,
    allowStageRollback: read.flag("allowStageRollback"),
    source: source ?? { kind: "mwaa", environmentName: "" },
    targetEnvironmentName: target.environmentName,
    targetAirflowVersion: target.airflowVersion,
    cloneSourceSettings: read.flag("cloneSourceSettings"),
    explicit,
    kmsKeyArn,
    network,
    targetDagBucketName: read.optional("targetDagBucketName"),
    dagS3Path: prefixes.dagS3Path,
    dagsFolder: read.text("dagsFolder"),
    requirementsFile: read.optional("requirementsFile"),
    pluginsZip: read.optional("pluginsZip"),
    startupScript: read.optional("startupScript"),
    packageSource: packageSource(read),
    constraintsFile: read.optional("constraintsFile"),
    pipelineDefinitions: read.optional("pipelineDefinitions"),
    pipelineIds: pipelineIds(read),
    pipelineActivationTime: activationTime(read),
    pipelineConversionOptions: conversionChoices(read),
    migrationPrefix: prefixes.migrationPrefix,
    bundleExpirationDays: read.integer("bundleExpirationDays", 1),
    historyImport,
    phases,
    secretsBackend,
    secretsKmsKeyArn,
    webUiAccess: webUi.mappings,
    cloneWebUiAccess: read.flag("cloneWebUiAccess"),
    ssoInstanceArn: ssoInstanceArn(read),
    targetAccess: targetAccess(read),
  };
  if (read.problems.length > 0) throw new ConfigurationError(read.problems);
  return result;
}

function packageSource(read: ConfigReader): PackageSourceSetting {
  const parsed = parsePackageSource(read.text("packageSource"));
  if (typeof parsed !== "string") return parsed;
  read.problems.push(parsed);
  return { kind: "auto" };
}

/** The stage to apply; `prepare` stands in for a misspelt one (already a problem). */
function parseStage(read: ConfigReader): Stage {
  const stage = read.text("stage");
  if (isStage(stage)) return stage;
  read.problems.push(
    `${CONFIG_NAMESPACE}:stage is "${stage}"; set it to prepare, bulk, cutover or complete (in that order).`,
  );
  return "prepare";
}

/** An MWAA source by name, or a self-managed one by URL; undefined when neither (or both) is set. */
function parseSource(read: ConfigReader): SourceConfig | undefined {
  const { text, problems } = read;
  const environmentName = text("sourceEnvironmentName");
  const url = text("sourceAirflowUrl");
  if (environmentName && url) {
    problems.push(
      `${CONFIG_NAMESPACE}:sourceEnvironmentName and ${CONFIG_NAMESPACE}:sourceAirflowUrl are both set; ` +
        `set sourceEnvironmentName for an MWAA source or sourceAirflowUrl for a self-managed one, not both.`,
    );
    return undefined;
  }
  if (environmentName) {
    const nameProblems = environmentNameProblems(environmentName);
    if (nameProblems.length > 0) {
      problems.push(
        `${CONFIG_NAMESPACE}:sourceEnvironmentName "${environmentName}" is not an MWAA environment name: ` +
          `${nameProblems.join("; ")}; copy the name from \`aws mwaa list-environments\`.`,
      );
    }
    return { kind: "mwaa", environmentName };
  }
  if (!url) {
    problems.push(
      `no source: set ${CONFIG_NAMESPACE}:sourceEnvironmentName to the MWAA environment to migrate from, ` +
        `or ${CONFIG_NAMESPACE}:sourceAirflowUrl (with sourceAirflowUsername, sourceAirflowPassword, ` +
        `sourceAirflowVersion and sourceDagsLocation) for a self-managed Airflow.`,
    );
    return undefined;
  }
  return parseSelfManagedSource(read, url);
}

/** The rest of a self-managed source, once its URL is known. */
function parseSelfManagedSource(read: ConfigReader, url: string): SourceConfig {
  const { text, problems } = read;
  if (!/^https?:\/\/[^\s/]+/.test(url)) {
    problems.push(
      `${CONFIG_NAMESPACE}:sourceAirflowUrl "${url}" is not an http(s) URL; give the webserver's base URL, ` +
        `e.g. https://airflow.example.internal.`,
    );
  }
  const airflowVersion = text("sourceAirflowVersion");
  if (!parseVersion(airflowVersion)) {
    problems.push(
      `${CONFIG_NAMESPACE}:sourceAirflowVersion "${airflowVersion}" is required for a self-managed source; ` +
        `set it to the version \`airflow version\` prints there (e.g. 2.8.1).`,
    );
  }
  const dagsLocation = text("sourceDagsLocation");
  if (!dagsLocation) {
    problems.push(
      `${CONFIG_NAMESPACE}:sourceDagsLocation is required for a self-managed source; set the s3:// URI or ` +
        `the local folder its DAG files are delivered to, so the migration DAGs reach its scheduler.`,
    );
  } else if (!isDagFolder(dagsLocation)) {
    problems.push(
      `${CONFIG_NAMESPACE}:sourceDagsLocation "${dagsLocation}" is neither an S3 URI nor an absolute folder; ` +
        `set it to where the source's scheduler reads DAG files, e.g. s3://corp-airflow/dags or /opt/airflow/dags.`,
    );
  }
  const username = text("sourceAirflowUsername");
  if (!username) {
    problems.push(
      `${CONFIG_NAMESPACE}:sourceAirflowUsername is required for a self-managed source; set a user with ` +
        `the Admin role and its password with \`pulumi config set --secret sourceAirflowPassword\`.`,
    );
  }
  // Only whether it is set: the value itself is read as a secret by the caller.
  if (!text("sourceAirflowPassword")) {
    problems.push(
      `${CONFIG_NAMESPACE}:sourceAirflowPassword is empty; the self-managed source's REST API needs it: ` +
        `run \`pulumi config set --secret sourceAirflowPassword\` with the password of sourceAirflowUsername.`,
    );
  }
  return { kind: "self-managed", url, username, airflowVersion, dagsLocation };
}

/** The forms the DAG delivery accepts (`s3://bucket/prefix` or an absolute folder). */
function isDagFolder(location: string): boolean {
  try {
    parseDagFolder(location);
    return true;
  } catch {
    return false;
  }
}

/** The new environment's name (valid for MWAA, not the source's) and an Airflow version MWAA creates. */
function parseTarget(
  read: ConfigReader,
  source: SourceConfig | undefined,
): { environmentName: string; airflowVersion: string } {
  const { text, problems } = read;
  const environmentName = text("targetEnvironmentName");
  const nameProblems = environmentNameProblems(environmentName);
  if (nameProblems.length > 0) {
    problems.push(
      `${CONFIG_NAMESPACE}:targetEnvironmentName "${environmentName}" is not a valid MWAA name: ` +
        `${nameProblems.join("; ")}. Use 1-80 letters, digits, - or _, starting with a letter.`,
    );
  }
  if (source?.kind === "mwaa" && source.environmentName === environmentName) {
    problems.push(
      `${CONFIG_NAMESPACE}:targetEnvironmentName equals sourceEnvironmentName "${environmentName}"; ` +
        `the new environment needs its own name.`,
    );
  }
  const airflowVersion = text("targetAirflowVersion");
  if (!findMwaaVersion(airflowVersion)) {
    problems.push(
      `${CONFIG_NAMESPACE}:targetAirflowVersion "${airflowVersion}" is not a version MWAA can create; ` +
        `set it to one of ${supportedVersionList()}.`,
    );
  }
  return { environmentName, airflowVersion };
}

/**
 * The target settings given explicitly. What their values alone can tell is checked here (ranges, both
 * bounds of a pair, values the target version does not offer, counts the explicit class does not run);
 * what depends on cloned values is checked once they are resolved (rules/targetSettings.ts).
 */
function parseExplicit(read: ConfigReader, targetAirflowVersion: string): ExplicitTargetSettings {
  const { text, oneOf, problems } = read;
  const positive = (key: ConfigKeyName): number | undefined => {
    const value = read.integer(key, 0);
    return value === 0 ? undefined : value;
  };
  const minWorkers = positive("minWorkers");
  const maxWorkers = positive("maxWorkers");
  if (minWorkers !== undefined && maxWorkers !== undefined && minWorkers > maxWorkers) {
    problems.push(
      `${CONFIG_NAMESPACE}:minWorkers ${minWorkers} is more than maxWorkers ${maxWorkers}; ` +
        `lower minWorkers or raise maxWorkers.`,
    );
  }
  // MWAA runs at most 5 of each; what the class allows below that is checked with the class.
  const count = (key: "schedulers" | "minWebservers" | "maxWebservers", noun: string) => {
    const value = positive(key);
    if (value === undefined || value <= 5) return value;
    problems.push(
      `${CONFIG_NAMESPACE}:${key} is ${value}; MWAA runs 2 to 5 ${noun}s (1 on ${SINGLE_INSTANCE_CLASS}): ` +
        `set it to a number from 2 to 5, or 0 to take it from the source.`,
    );
    return undefined;
  };
  const schedulers = count("schedulers", "scheduler");
  const minWebservers = count("minWebservers", "webserver");
  const maxWebservers = count("maxWebservers", "webserver");
  if (minWebservers !== undefined && maxWebservers !== undefined && minWebservers > maxWebservers) {
    problems.push(
      `${CONFIG_NAMESPACE}:minWebservers ${minWebservers} is more than maxWebservers ${maxWebservers}; ` +
        `lower minWebservers or raise maxWebservers.`,
    );
  }
  const window = text("weeklyMaintenanceWindowStart");
  if (window && !MAINTENANCE_WINDOW.test(window)) {
    problems.push(
      `${CONFIG_NAMESPACE}:weeklyMaintenanceWindowStart "${window}" must be DAY:HH:MM in UTC on the hour or ` +
        `half hour, e.g. SUN:03:00.`,
    );
  }
  const taskLogLevel = oneOf("taskLogLevel", LOG_LEVELS);
  if (taskLogLevel && !TASK_LOG_LEVELS.includes(taskLogLevel)) {
    problems.push(
      `${CONFIG_NAMESPACE}:taskLogLevel is ${taskLogLevel}; task logs must be at INFO or DEBUG so operators ` +
        `and the log copy see task output. Set it to INFO.`,
    );
  }
  const airflowConfigurationOptions = parseAirflowConfigurationOptions(read);
  const environmentClass = oneOf("environmentClass", ENVIRONMENT_CLASSES);
  const webserverAccessMode = oneOf("webserverAccessMode", WEBSERVER_ACCESS_MODES);
  const workerReplacementStrategy = oneOf("workerReplacementStrategy", WORKER_REPLACEMENT_STRATEGIES);
  problems.push(
    ...restrictedSettingProblems(
      {
        environmentClass,
        schedulers,
        minWebservers,
        maxWebservers,
        webserverAccessMode,
        workerReplacementStrategy,
      },
      targetAirflowVersion,
    ),
  );
  return {
    environmentClass,
    minWorkers,
    maxWorkers,
    schedulers,
    minWebservers,
    maxWebservers,
    webserverAccessMode,
    weeklyMaintenanceWindowStart: window || undefined,
    taskLogLevel: taskLogLevel && TASK_LOG_LEVELS.includes(taskLogLevel) ? taskLogLevel : undefined,
    logLevel: oneOf("logLevel", LOG_LEVELS),
    workerReplacementStrategy,
    endpointManagement: oneOf("endpointManagement", ENDPOINT_MANAGEMENT_MODES),
    airflowConfigurationOptions,
    airflowVersion: targetAirflowVersion,
  };
}

/** A JSON object of "<section>.<option>" keys; values are kept as strings, as MWAA takes them. */
function parseAirflowConfigurationOptions(read: ConfigReader): Record<string, string> {
  const { problems } = read;
  const optionsText = read.raw("airflowConfigurationOptions") ?? "{}";
  const options: Record<string, string> = {};
  try {
    const parsed: unknown = JSON.parse(optionsText || "{}");
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      throw new Error("not an object");
    for (const [key, value] of Object.entries(parsed)) {
      if (!/^[a-z_]+\.[a-z0-9_]+$/.test(key)) {
        problems.push(
          `${CONFIG_NAMESPACE}:airflowConfigurationOptions key "${key}" must be "<section>.<option>", e.g. core.default_timezone.`,
        );
      }
      options[key] = String(value);
    }
  } catch {
    problems.push(
      `${CONFIG_NAMESPACE}:airflowConfigurationOptions is not a JSON object of strings; ` +
        `set it like {"core.default_timezone":"utc"}.`,
    );
    return {};
  }
  return options;
}

function parseNetwork(read: ConfigReader): MigrationConfig["network"] {
  const { text, problems } = read;
  const subnetText = read.raw("subnetIds");
  let subnetIds: string[] = [];
  if (subnetText !== undefined && subnetText.trim() !== "") {
    try {
      const parsed: unknown = JSON.parse(subnetText);
      if (!Array.isArray(parsed) || !parsed.every((s) => typeof s === "string"))
        throw new Error("not a list");
      subnetIds = parsed;
    } catch {
      problems.push(
        `${CONFIG_NAMESPACE}:subnetIds is not a list of subnet IDs; set it with ` +
          `\`pulumi config set --path 'subnetIds[0]' subnet-...\` (and [1]).`,
      );
    }
  }
  if (subnetIds.length > 0) {
    problems.push(...subnetIdProblems(subnetIds));
    return { kind: "subnets", subnetIds };
  }
  const cidrBlock = text("vpcCidrBlock");
  const cidr = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidrBlock);
  if (
    !cidr ||
    cidr.slice(1, 5).some((o) => Number(o) > 255) ||
    Number(cidr[5]) < 16 ||
    Number(cidr[5]) > 24
  ) {
    problems.push(
      `${CONFIG_NAMESPACE}:vpcCidrBlock "${cidrBlock}" must be an IPv4 CIDR block from /16 to /24, e.g. 10.192.0.0/16.`,
    );
  }
  const egress =
    read.oneOf<NetworkEgress>("networkEgress", ["nat-gateway", "vpc-endpoints"]) ?? "nat-gateway";
  return { kind: "vpc", cidrBlock, egress };
}

const PREFIX_KEYS: Readonly<Record<SecretKind, ConfigKeyName>> = {
  connections: "secretsConnectionsPrefix",
  variables: "secretsVariablesPrefix",
  config: "secretsConfigPrefix",
};

/**
 * The Secrets Manager backend the config turns on: any prefix set turns it on, the kinds without one
 * are not looked up there. Set beside a backend in airflowConfigurationOptions is a conflict: the
 * stack would not know which prefixes the execution role reads.
 */
function parseSecretsBackend(
  read: ConfigReader,
  options: Record<string, string>,
): SecretsManagerBackend | undefined {
  const prefixes: Partial<Record<SecretKind, string>> = {};
  for (const [kind, key] of Object.entries(PREFIX_KEYS) as [SecretKind, ConfigKeyName][]) {
    const prefix = read.optional(key)?.replace(/\/+$/, "");
    if (prefix === undefined) continue;
    const problem = secretPrefixProblem(prefix);
    if (problem) {
      read.problems.push(
        `${CONFIG_NAMESPACE}:${key} "${prefix}" ${problem}; give the prefix the secrets' names start with, e.g. ` +
          `airflow/${kind}.`,
      );
      continue;
    }
    prefixes[kind] = prefix;
  }
  if (Object.keys(prefixes).length === 0) return undefined;
  const conflicting = [SECRETS_BACKEND_OPTION, SECRETS_BACKEND_KWARGS_OPTION].filter((o) => o in options);
  if (conflicting.length > 0)
    read.problems.push(
      `${CONFIG_NAMESPACE}:airflowConfigurationOptions sets ${conflicting.join(" and ")} while ` +
        `${CONFIG_NAMESPACE}:secrets*Prefix turn the Secrets Manager backend on; remove ${conflicting.join(" and ")} ` +
        `from airflowConfigurationOptions (the stack writes them from the prefixes).`,
    );
  return { prefixes, separator: "/" };
}

/** The backend's key: a KMS key ARN, and only where a backend can use it (given, or cloned from MWAA). */
function parseSecretsKmsKeyArn(read: ConfigReader, backendGiven: boolean): string | undefined {
  const keyArn = read.optional("secretsKmsKeyArn");
  if (keyArn === undefined) return undefined;
  if (!KMS_KEY_ARN.test(keyArn)) {
    read.problems.push(
      `${CONFIG_NAMESPACE}:secretsKmsKeyArn "${keyArn}" is not a KMS key ARN; give the key the backend's secrets ` +
        `are encrypted with, arn:aws:kms:<region>:<account>:key/<key-id>, or leave it empty for aws/secretsmanager.`,
    );
  } else if (
    !backendGiven &&
    (read.text("cloneSourceSettings") !== "true" || read.optional("sourceAirflowUrl"))
  ) {
    read.problems.push(
      `${CONFIG_NAMESPACE}:secretsKmsKeyArn is set but no Secrets Manager backend is: set ` +
        `${CONFIG_NAMESPACE}:secretsConnectionsPrefix or secretsVariablesPrefix, or clear secretsKmsKeyArn.`,
    );
  }
  return keyArn;
}

const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]+$/;

/** A customer-managed key for the environment; undefined (an AWS-owned key) when empty. */
function parseKmsKeyArn(read: ConfigReader): string | undefined {
  const kmsKeyArn = read.optional("kmsKeyArn");
  if (kmsKeyArn && !KMS_KEY_ARN.test(kmsKeyArn)) {
    read.problems.push(
      `${CONFIG_NAMESPACE}:kmsKeyArn "${kmsKeyArn}" is not a KMS key ARN; ` +
        `give arn:aws:kms:<region>:<account>:key/<key-id>, or leave it empty for an AWS-owned key.`,
    );
  }
  return kmsKeyArn;
}

/** The two S3 key prefixes, without leading or trailing slashes: the DAG folder and the bundles' prefix. */
function parsePrefixes(read: ConfigReader): { dagS3Path: string; migrationPrefix: string } {
  const { text, problems } = read;
  const dagS3Path = text("dagS3Path").replace(/^\/+|\/+$/g, "");
  if (!dagS3Path) {
    problems.push(`${CONFIG_NAMESPACE}:dagS3Path is empty; set the DAG folder inside the bucket, e.g. dags.`);
  }
  const migrationPrefix = text("migrationPrefix").replace(/^\/+|\/+$/g, "");
  if (!/^[a-zA-Z0-9][a-zA-Z0-9._/-]*$/.test(migrationPrefix)) {
    problems.push(
      `${CONFIG_NAMESPACE}:migrationPrefix "${migrationPrefix}" must be a plain S3 key prefix (letters, digits, . _ - /).`,
    );
  }
  return { dagS3Path, migrationPrefix };
}

/**
 * Whether history moves. A target the import cannot write is refused here, before anything exists,
 * unless the stack only builds the new environment (historyImport false, stage prepare).
 */
function parseHistoryImport(read: ConfigReader, stage: Stage, targetAirflowVersion: string): boolean {
  const historyImport = read.flag("historyImport");
  if (!historyImport) {
    if (stage !== "prepare")
      read.problems.push(
        `${CONFIG_NAMESPACE}:stage "${stage}" moves history, but ${CONFIG_NAMESPACE}:historyImport is false; ` +
          `keep the stage at prepare (only the new environment is built) or set historyImport to true.`,
      );
    return false;
  }
  const refusal = importRefusal(targetAirflowVersion);
  if (refusal)
    read.problems.push(
      `${CONFIG_NAMESPACE}:targetAirflowVersion ${targetAirflowVersion} cannot receive the run history: ${refusal}. ` +
        `Set it to one of ${importableTargetVersions().join(", ")}, or set ${CONFIG_NAMESPACE}:historyImport to false ` +
        `to build only the new environment (stage prepare).`,
    );
  return true;
}

/** The pipeline ids of `pipelineIds`, each the Data Pipeline API's form, or a problem naming it. */
function pipelineIds(read: ConfigReader): string[] {
  const ids = read.list("pipelineIds");
  const malformed = ids.filter((id) => !PIPELINE_ID.test(id));
  if (malformed.length > 0)
    read.problems.push(
      `${CONFIG_NAMESPACE}:pipelineIds has ${malformed.map((id) => JSON.stringify(id)).join(", ")}, which is not a Data Pipeline id; ` +
        "give ids as `aws datapipeline list-pipelines` prints them (df- and the rest, e.g. df-0123456789ABCDEFGHIJ).",
    );
  return ids.filter((id) => PIPELINE_ID.test(id));
}

/** The converter's choices of `pipelineConversionOptions`, with their problems added to the read's. */
function conversionChoices(read: ConfigReader): ConversionChoices {
  const { choices, problems } = parseConversionOptions(read.text("pipelineConversionOptions"));
  read.problems.push(...problems);
  return choices;
}

/** `ssoInstanceArn`: an Identity Center instance's ARN, or undefined when empty. */
function targetAccess(read: ConfigReader): TargetAccess {
  const assumeRoleArn = read.optional("targetRoleArn");
  const profile = read.optional("targetProfile");
  const region = read.optional("targetRegion");
  if (assumeRoleArn !== undefined && !IAM_ROLE_ARN_PATTERN.test(assumeRoleArn))
    read.problems.push(
      `${CONFIG_NAMESPACE}:targetRoleArn "${assumeRoleArn}" is not an IAM role ARN; give the role in the ` +
        `target's account the deployer may assume, arn:aws:iam::<account>:role/<name>, or "" for the stack's own account.`,
    );
  if (region !== undefined && !REGION_PATTERN.test(region))
    read.problems.push(
      `${CONFIG_NAMESPACE}:targetRegion "${region}" is not a region name; give one such as "eu-west-1", or "" ` +
        `for aws:region.`,
    );
  return {
    ...(region !== undefined ? { region } : {}),
    ...(assumeRoleArn !== undefined ? { assumeRoleArn } : {}),
    ...(profile !== undefined ? { profile } : {}),
  };
}

function ssoInstanceArn(read: ConfigReader): string | undefined {
  const arn = read.optional("ssoInstanceArn");
  if (arn !== undefined && !parseSsoInstanceArn(arn))
    read.problems.push(
      `${CONFIG_NAMESPACE}:ssoInstanceArn "${arn}" is not an IAM Identity Center instance ARN; give it as ` +
        '`aws sso-admin list-instances` prints it (arn:aws:sso:::instance/ssoins-<16 hex digits>), or "" for none.',
    );
  return arn;
}

/** The pipelines' activation time: an ISO 8601 instant, or undefined when empty. */
function activationTime(read: ConfigReader): Date | undefined {
  const text = read.optional("pipelineActivationTime");
  if (text === undefined) return undefined;
  const time = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(time.getTime())) {
    read.problems.push(
      `${CONFIG_NAMESPACE}:pipelineActivationTime is "${text}"; set it to an ISO 8601 instant such as 2027-01-04T00:00:00Z, or "" for none.`,
    );
    return undefined;
  }
  return time;
}

/** The phases' deadlines, what cutover spares and leaves paused, which task logs are copied. */
function parsePhases(read: ConfigReader): PhaseConfig {
  const week = 7 * 24 * 3600;
  const parseDeadlineSeconds = read.integer("parseDeadlineSeconds", 10, 24 * 3600);
  const pollIntervalSeconds = read.integer("pollIntervalSeconds", 1, 600);
  const timing = (key: "exportDeadlineSeconds" | "importDeadlineSeconds") => ({
    deadlineSeconds: read.integer(key, 60, week),
    parseDeadlineSeconds,
    pollIntervalSeconds,
  });
  const taskLogStates = read.list("taskLogStates");
  const unknownStates = taskLogStates.filter(
    (state) => !(TASK_LOG_STATES as readonly string[]).includes(state),
  );
  if (unknownStates.length > 0)
    read.problems.push(
      `${CONFIG_NAMESPACE}:taskLogStates has ${unknownStates.join(", ")}; a log copy selects finished task ` +
        `instances only: ${TASK_LOG_STATES.join(", ")}.`,
    );
  const maxAgeDays = read.integer("taskLogMaxAgeDays", 0, 3650);
  return {
    export: timing("exportDeadlineSeconds"),
    import: timing("importDeadlineSeconds"),
    conflictPolicy: read.oneOf("conflictPolicy", CONFLICT_POLICY_CHOICES) ?? "skip",
    importOrphanHistory: read.flag("importOrphanHistory"),
    skipUnstorableRows: read.flag("skipUnstorableRows"),
    keepRunningDags: read.list("keepRunningDags"),
    quiesceDeadlineSeconds: read.integer("quiesceDeadlineSeconds", 0, week),
    runFinishGraceSeconds: read.integer("runFinishGraceSeconds", 0, 3600),
    acceptUnparsedDags: read.list("acceptUnparsedDags"),
    leaveTargetPaused: read.flag("leaveTargetPaused"),
    taskLogStates,
    taskLogMaxAgeDays: maxAgeDays > 0 ? maxAgeDays : undefined,
    purgeBundlesOnDelete: read.flag("purgeBundlesOnDelete"),
  };
}
