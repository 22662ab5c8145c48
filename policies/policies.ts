/**
 * The pack's policies: metadata (name, description, level, remediation, config schema) wired to the
 * pure rules. Only types come from @pulumi/policy, so this module loads without the policy server
 * and resolves the same way from the pack and from the project's tests.
 */
import type {
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { ConfigKey, PackConfig, configSchema, readConfig } from "./lib/config";
import { Finding, formatFinding } from "./lib/findings";
import { ResourceLike, TYPES } from "./lib/stackModel";
import { KnownView, knownView } from "./lib/unknowns";
import { checkBucketDataProtection } from "./rules/buckets";
import {
  checkAirflowVersion,
  checkEnvironmentLogging,
  checkExecutionRoleNotShared,
  checkWebserverPrivate,
} from "./rules/environments";
import {
  checkExecutionRoleActions,
  checkExecutionRoleKmsViaService,
  checkExecutionRoleResourceStar,
  checkExecutionRoleSecrets,
  checkExecutionRoleTrust,
} from "./rules/executionRole";
import { checkWebUiAdmins } from "./rules/webUi";
import {
  checkExportGrant,
  checkGrantsRemovedAfterComplete,
  checkImportGrant,
  checkMigrationResourcePolicies,
  checkNoDeleteOnMigrationBucket,
} from "./rules/grants";

type Meta = Pick<
  StackValidationPolicy,
  "name" | "description" | "enforcementLevel" | "remediationSteps" | "severity"
>;

/**
 * Reports the findings; when there are none but a check had to skip a value unknown during preview,
 * rethrows the engine's error so the engine reports the policy as not run rather than passed.
 */
function reportOrRethrow(findings: Finding[], view: KnownView<ResourceLike>, report: ReportViolation): void {
  for (const f of findings) report(formatFinding(f), f.urn);
  const unknown = view.unknownRead();
  if (!findings.length && unknown) throw unknown;
}

function stackPolicy(
  meta: Meta,
  keys: ConfigKey[],
  rule: (resources: ResourceLike[], config: PackConfig) => Finding[],
): StackValidationPolicy {
  return {
    ...meta,
    configSchema: configSchema(keys),
    validateStack: (args: StackValidationArgs, report: ReportViolation) => {
      const config = readConfig(args.getConfig<object>());
      const view = knownView(args.resources);
      reportOrRethrow(rule(view.resources, config), view, report);
    },
  };
}

function environmentPolicy(
  meta: Meta,
  keys: ConfigKey[],
  rule: (environment: ResourceLike, config: PackConfig) => Finding[],
): ResourceValidationPolicy {
  return {
    ...meta,
    configSchema: configSchema(keys),
    validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
      if (args.type !== TYPES.environment) return;
      const config = readConfig(args.getConfig<object>());
      const view = knownView([args]);
      reportOrRethrow(rule(view.resources[0], config), view, report);
    },
  };
}

const ROLE_KEYS: ConfigKey[] = ["exemptRoles"];
const GRANT_KEYS: ConfigKey[] = ["migrationBuckets", "migrationPrefix"];
const ENV_KEYS: ConfigKey[] = ["exemptEnvironments"];

export const executionRoleTrust = stackPolicy(
  {
    name: "mwaa-execution-role-trust",
    description:
      "MWAA execution roles (roles MWAA can assume and roles an environment runs as) are trusted only by airflow.amazonaws.com and airflow-env.amazonaws.com, and no role in the stack is trusted by every principal.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      'Remove every other principal from an execution role\'s assumeRolePolicy and give other callers their own role; name the principals of every other role instead of "*" or NotPrincipal.',
  },
  ROLE_KEYS,
  checkExecutionRoleTrust,
);

export const executionRoleActions = stackPolicy(
  {
    name: "mwaa-execution-role-actions",
    description:
      "MWAA execution roles grant no '*' or service-wide wildcard, no Allow with NotAction, no undocumented wildcard, no iam:PassRole or policy management, and no AWS managed policy.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
      "Name each action the environment needs (MWAA's documented policy), drop iam:PassRole and policy-management actions, and replace attached AWS managed policies with a policy defined in the stack.",
  },
  [...ROLE_KEYS, "extraAllowedWildcardActions", "allowedManagedPolicies"],
  checkExecutionRoleActions,
);

export const executionRoleResourceStar = stackPolicy(
  {
    name: "mwaa-execution-role-resource-star",
    description:
      'MWAA execution roles use Resource "*" only for logs:DescribeLogGroups, s3:GetAccountPublicAccessBlock and cloudwatch:PutMetricData.',
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Scope every other statement to the environment's bucket, airflow-<env>-* log groups, airflow-celery-* queues and its KMS key.",
  },
  [...ROLE_KEYS, "extraResourceStarActions"],
  checkExecutionRoleResourceStar,
);

export const executionRoleKmsViaService = stackPolicy(
  {
    name: "mwaa-execution-role-kms-via-service",
    description: "KMS permissions on MWAA execution roles are conditioned on kms:ViaService.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps:
      "Add a kms:ViaService condition naming sqs.<region>.amazonaws.com and s3.<region>.amazonaws.com.",
  },
  ROLE_KEYS,
  checkExecutionRoleKmsViaService,
);

export const executionRoleSecretsPrefixes = stackPolicy(
  {
    name: "mwaa-execution-role-secrets-prefixes",
    description:
      "MWAA execution roles read Secrets Manager only as Airflow's backend does: secretsmanager:GetSecretValue and DescribeSecret on secret:<prefix>/* of the backend's prefixes, never secret:* or *.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Scope the statement to arn:aws:secretsmanager:<region>:<account>:secret:<prefix>/* for each connections/variables/config prefix, with only GetSecretValue and DescribeSecret; list the prefixes in secretsPrefixes.",
  },
  [...ROLE_KEYS, "secretsPrefixes"],
  checkExecutionRoleSecrets,
);

export const webUiAdminAllowlist = stackPolicy(
  {
    name: "mwaa-web-ui-admin-allowlist",
    description:
      "Only principals in webUiAdmins may open an MWAA environment's Airflow UI as Admin (airflow:CreateWebLoginToken on role/<environment>/Admin, or a pattern covering it).",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Map the principal to Op, User, Viewer or a custom role limited to its DAGs, or add it to webUiAdmins.",
  },
  ["webUiAdmins"],
  checkWebUiAdmins,
);

export const exportGrantWriteOnly = stackPolicy(
  {
    name: "migration-export-grant-write-only",
    description: "The export grant writes objects under the migration prefix and nothing else.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Allow only s3:PutObject/AbortMultipartUpload/ListMultipartUploadParts on arn:aws:s3:::<bucket>/<prefix>/* and KMS data-key use on the migration key.",
  },
  [...GRANT_KEYS, "extraExportActions"],
  checkExportGrant,
);

export const importGrantReadOnly = stackPolicy(
  {
    name: "migration-import-grant-read-only",
    description:
      "The import grant reads objects under the migration prefix and writes only its own import-report.json there; a log read, if it has one, is on the source task log group only.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Allow only s3:GetObject/GetObjectVersion on the prefix, s3:ListBucket with an s3:prefix condition, s3:PutObject on <prefix>/*/import-report.json alone, kms:Decrypt/GenerateDataKey on the migration key, and log reads (if any) on airflow-<source>-Task only.",
  },
  [...GRANT_KEYS, "extraImportActions", "sourceTaskLogGroup"],
  checkImportGrant,
);

export const migrationBucketNoDelete = stackPolicy(
  {
    name: "migration-bucket-no-delete",
    description:
      "No IAM policy in the stack allows deleting objects from, or weakening, the migration bucket.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Drop s3:Delete* and bucket-configuration actions from statements that reach the migration bucket.",
  },
  ["migrationBuckets"],
  checkNoDeleteOnMigrationBucket,
);

export const migrationResourcePolicies = stackPolicy(
  {
    name: "migration-bucket-source-writer-only",
    description:
      "The migration bucket's and key's own policies allow no one but the source's execution role (a source in another account), and it only the export grant's writes under the migration prefix and the key through S3.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Name only the source environment's execution role in Allow statements of the bucket policy (s3:PutObject/AbortMultipartUpload on <bucket>/<prefix>/*) and of the key policy (the export grant's KMS actions with a kms:ViaService condition); the key's own account root may keep kms:*.",
  },
  [...GRANT_KEYS, "extraExportActions"],
  checkMigrationResourcePolicies,
);

export const grantsRemovedAfterComplete = stackPolicy(
  {
    name: "migration-grants-removed-after-complete",
    description: "Once the migration stage is complete, the export and import grants no longer exist.",
    enforcementLevel: "advisory",
    severity: "low",
    remediationSteps: "Run the complete stage, which removes the grants; or delete them from the stack.",
  },
  ["stage"],
  checkGrantsRemovedAfterComplete,
);

export const bucketDataProtection = stackPolicy(
  {
    name: "migration-bucket-data-protection",
    description:
      "Migration and environment buckets have versioning, SSE-KMS (the migration bucket with a customer managed key), all four public-access blocks and a TLS-only policy; the migration bucket also a lifecycle rule.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Add BucketVersioning, BucketServerSideEncryptionConfiguration (aws:kms), BucketPublicAccessBlock, a Deny-without-TLS bucket policy, and for the migration bucket a lifecycle rule that expires objects.",
  },
  ["migrationBuckets", "exemptBuckets"],
  checkBucketDataProtection,
);

export const environmentLogging = environmentPolicy(
  {
    name: "mwaa-environment-logging",
    description: "MWAA environments enable all five log types, with task logs at INFO or finer.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps:
      "Enable every entry of loggingConfiguration and set taskLogs.logLevel to INFO or DEBUG.",
  },
  ENV_KEYS,
  checkEnvironmentLogging,
);

export const webserverPrivate = environmentPolicy(
  {
    name: "mwaa-webserver-private",
    description:
      "MWAA webservers are PRIVATE_ONLY unless the pack config allows a public one (PUBLIC_ONLY, or PUBLIC_AND_PRIVATE on Airflow 3.2 and later).",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
      "Set webserverAccessMode to PRIVATE_ONLY, or list the environment in allowPublicWebserver.",
  },
  [...ENV_KEYS, "allowPublicWebserver"],
  checkWebserverPrivate,
);

export const airflowVersionSupported = environmentPolicy(
  {
    name: "mwaa-airflow-version-supported",
    description: "MWAA environments run an Airflow version on the supported list.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps:
      "Choose a supported Airflow version (or extend supportedAirflowVersions when MWAA adds one).",
  },
  [...ENV_KEYS, "supportedAirflowVersions"],
  checkAirflowVersion,
);

export const executionRoleNotShared = stackPolicy(
  {
    name: "mwaa-execution-role-not-shared",
    description: "No execution role is shared between MWAA environments.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Give each environment its own execution role.",
  },
  ENV_KEYS,
  checkExecutionRoleNotShared,
);

/** Every policy of the pack, in the order the README's table lists them. */
export const allPolicies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  executionRoleTrust,
  executionRoleActions,
  executionRoleResourceStar,
  executionRoleKmsViaService,
  executionRoleSecretsPrefixes,
  exportGrantWriteOnly,
  importGrantReadOnly,
  migrationBucketNoDelete,
  migrationResourcePolicies,
  grantsRemovedAfterComplete,
  bucketDataProtection,
  environmentLogging,
  webserverPrivate,
  airflowVersionSupported,
  executionRoleNotShared,
  webUiAdminAllowlist,
];
