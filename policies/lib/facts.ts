/**
 * Facts the policies hold the stack to, kept as data so that a change in AWS's documentation is an
 * edit here (or a pack config value) rather than a change to the checks.
 */

/** Service principals that may assume an MWAA execution role (MWAA execution role guide). */
export const MWAA_TRUSTED_SERVICES = ["airflow.amazonaws.com", "airflow-env.amazonaws.com"];

/**
 * Wildcard actions that MWAA's documented execution-role policy itself uses: read access to the DAG
 * bucket (`s3:GetObject*`, `s3:GetBucket*`, `s3:List*`) and data keys for the environment's KMS key.
 * Action names in these lists are compared case-insensitively. Anything else with a `*` or `?` needs
 * a pack config exception.
 */
export const MWAA_DOCUMENTED_WILDCARD_ACTIONS = [
  "s3:GetObject*",
  "s3:GetBucket*",
  "s3:List*",
  "kms:GenerateDataKey*",
];

/**
 * The actions MWAA's documented execution-role policy grants on `Resource: "*"` because they have no
 * resource-level permissions: listing log groups, reading the account's public-access block, and
 * publishing CloudWatch metrics.
 */
export const MWAA_RESOURCE_STAR_ACTIONS = [
  "logs:DescribeLogGroups",
  "s3:GetAccountPublicAccessBlock",
  "cloudwatch:PutMetricData",
];

/**
 * Actions that let a role hand out or widen permissions. An execution role runs user DAG code, so
 * any of these turns a DAG author into an account administrator.
 */
export const PRIVILEGE_ESCALATION_ACTIONS = [
  "iam:PassRole",
  "iam:CreatePolicy",
  "iam:CreatePolicyVersion",
  "iam:DeletePolicy",
  "iam:DeletePolicyVersion",
  "iam:SetDefaultPolicyVersion",
  "iam:AttachRolePolicy",
  "iam:DetachRolePolicy",
  "iam:PutRolePolicy",
  "iam:DeleteRolePolicy",
  "iam:AttachUserPolicy",
  "iam:DetachUserPolicy",
  "iam:PutUserPolicy",
  "iam:DeleteUserPolicy",
  "iam:AttachGroupPolicy",
  "iam:DetachGroupPolicy",
  "iam:PutGroupPolicy",
  "iam:DeleteGroupPolicy",
  "iam:AddUserToGroup",
  "iam:UpdateAssumeRolePolicy",
  "iam:PutRolePermissionsBoundary",
  "iam:DeleteRolePermissionsBoundary",
  "iam:PutUserPermissionsBoundary",
  "iam:DeleteUserPermissionsBoundary",
  "iam:CreateRole",
  "iam:CreateUser",
  "iam:CreateAccessKey",
  "iam:CreateLoginProfile",
  "iam:UpdateLoginProfile",
];

/** Actions that remove data or protection from a bucket. */
export const S3_DESTRUCTIVE_ACTIONS = [
  "s3:DeleteObject",
  "s3:DeleteObjectVersion",
  "s3:DeleteObjectTagging",
  "s3:DeleteBucket",
  "s3:DeleteBucketPolicy",
  "s3:PutBucketVersioning",
  "s3:PutLifecycleConfiguration",
  "s3:PutBucketPolicy",
  "s3:PutEncryptionConfiguration",
  "s3:PutBucketPublicAccessBlock",
  "s3:PutBucketAcl",
  "s3:PutObjectAcl",
  "s3:DeleteObjectVersionTagging",
  "s3:BypassGovernanceRetention",
];

/**
 * What the export (on the source environment's role) may do: write objects under the migration
 * prefix. `kms:Decrypt` is included because S3 multipart uploads to an SSE-KMS bucket need it to
 * assemble the parts; it cannot read objects without an `s3:Get*` grant.
 */
export const EXPORT_GRANT_ACTIONS = [
  "s3:PutObject",
  "s3:AbortMultipartUpload",
  "s3:ListMultipartUploadParts",
  "kms:GenerateDataKey",
  "kms:Encrypt",
  "kms:Decrypt",
  "kms:DescribeKey",
];

/**
 * What the import (on the target environment's role) may do on the migration bucket and key: read the
 * bundle, and write its own report beside the manifest. `s3:PutObject` is held to objects named
 * IMPORT_REPORT_OBJECT, and `kms:GenerateDataKey` is there to encrypt that one object.
 */
export const IMPORT_GRANT_ACTIONS = [
  "s3:GetObject",
  "s3:GetObjectVersion",
  "s3:ListBucket",
  "s3:PutObject",
  "kms:Decrypt",
  "kms:DescribeKey",
  "kms:GenerateDataKey",
];

/** The only object the import writes: its report, beside the manifest of the export it imported. */
export const IMPORT_REPORT_OBJECT = "import-report.json";

/**
 * Log reads an import grant may carry, on the source environment's task log group only. The program's
 * import grant has none (its task-log copy runs in the provider, as the deployer); the pack still accepts
 * them there for a grant that reads the logs from the target's side.
 */
export const IMPORT_GRANT_LOG_ACTIONS = [
  "logs:GetLogEvents",
  "logs:FilterLogEvents",
  "logs:DescribeLogStreams",
  "logs:GetLogRecord",
];

/** Lower-cased copies of action lists, for comparing with parsed statements. */
export function lowered(...lists: string[][]): string[] {
  return lists.flat().map((a) => a.toLowerCase());
}

/**
 * Airflow versions MWAA creates new environments on: 2.7.2 to 3.0.6 from the MWAA API model's
 * documentation (2026), 3.2.1 and 3.3.1 from MWAA's published images (aws/amazon-mwaa-docker-images).
 * 2.4.3–2.6.3 ended support on 2025-12-30 and are left out on purpose. Override with the
 * `supportedAirflowVersions` config.
 *
 * This mirrors the program's table, `mwaaCreates` in contract/airflowVersions.json as read by
 * `MWAA_VERSIONS` in rules/versions.ts; the pack loads without the program, so it keeps its own copy,
 * and test/policies/supportedVersions.test.ts fails when the two differ.
 */
export const SUPPORTED_AIRFLOW_VERSIONS = [
  "2.7.2",
  "2.8.1",
  "2.9.2",
  "2.10.1",
  "2.10.3",
  "2.11.0",
  "3.0.6",
  "3.2.1",
  "3.3.1",
];

/**
 * MWAA's webserver access modes (`WebserverAccessMode`). Only PRIVATE_ONLY keeps the Airflow UI and
 * REST API inside the VPC; PUBLIC_AND_PRIVATE (Airflow 3.2 and later) adds a public endpoint beside the
 * private one, so it is as public as PUBLIC_ONLY.
 */
export const PRIVATE_WEBSERVER_ACCESS_MODE = "PRIVATE_ONLY";
export const PUBLIC_WEBSERVER_ACCESS_MODES = ["PUBLIC_ONLY", "PUBLIC_AND_PRIVATE"];

/** Log levels at INFO or finer, as MWAA spells them. */
export const TASK_LOG_LEVELS_INFO_OR_FINER = ["INFO", "DEBUG"];

/** The five MWAA log types; every one must be enabled. */
export const MWAA_LOG_TYPES = [
  "dagProcessingLogs",
  "schedulerLogs",
  "taskLogs",
  "webserverLogs",
  "workerLogs",
];

/** Prefix of AWS managed policy ARNs (any partition). */
export const AWS_MANAGED_POLICY_ARN = /^arn:aws[a-z-]*:iam::aws:policy\/(?:.*\/)?([^/]+)$/;
