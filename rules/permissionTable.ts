/**
 * Every IAM permission the migration gives an identity, as one table of rows: who holds it, its Sid, its
 * actions, what they reach, the condition, and why it is there. Each identity's document is the selection
 * of its rows that apply to a scope (`statementsFor`), in table order, so a statement is written in one
 * place and read beside its reason.
 *
 * The identities:
 * - `execution-role`: the target environment's execution role (MWAA's documented policy for a
 *   customer-managed role, wildcard actions spelled out, every resource scoped to the environment;
 *   `Resource: "*"` only where MWAA documents it and the action has no resource scoping);
 * - `export-grant`: added to the source's execution role, so the export DAG writes the bundle;
 * - `import-grant`: added to the target's execution role, so the import DAG reads the bundle and writes
 *   its report;
 * - `deployer`: whoever runs `pulumi up`, for the MWAA-specific work and for what the dynamic providers
 *   do as that identity (deliver and remove the migration DAGs, read the bundle's results, copy the task
 *   logs, purge bundles).
 */
import {
  EXPORT_DAG_ID,
  IMPORT_DAG_ID,
  IMPORT_REPORT_FILE,
  LIBRARY_FOLDER,
  MANIFEST_FILE,
  bundleKeyPrefix,
  tableStreamKey,
} from "../contract";
import {
  accountKmsKeysArn,
  type AccountScope,
  airflowRoleArn,
  celeryQueuesArn,
  environmentLogGroupsArn,
  iamPolicyArn,
  iamRolesUnderPath,
  mwaaEnvironmentArn,
  partitionOf,
  partitionOfArn,
  s3BucketArn,
  secretsNamedUnder,
  ssoAccountsArn,
  ssoPermissionSetsArn,
} from "./arns";
import { bucketNameOf, parseDagFolder, s3DagFolder } from "./dagLocation";
import { importRunsInPlugin } from "./versions";

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow" | "Deny";
  /** Only in resource policies (bucket and key policies). */
  Principal?: "*" | Record<string, string | string[]>;
  Action: string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

export function policyDocument(statements: PolicyStatement[]): PolicyDocument {
  return { Version: "2012-10-17", Statement: statements };
}

export interface ExecutionRoleScope {
  readonly region: string;
  readonly account: string;
  readonly environmentName: string;
  readonly dagBucketName: string;
  /** A customer-managed key for the environment; AWS-owned keys are used when absent. */
  readonly kmsKeyArn?: string;
  /** Airflow's Secrets Manager backend, when the environment runs it: what the execution role reads. */
  readonly secretsBackend?: SecretsBackendScope;
}

/** The secrets Airflow's Secrets Manager backend reads, and the key they are encrypted with. */
export interface SecretsBackendScope {
  /** Secret-name prefixes, each ending in the backend's separator (`airflow/connections/`). */
  readonly namePrefixes: readonly string[];
  /** A customer-managed key of the secrets; absent, they use the aws/secretsmanager key, which needs no grant. */
  readonly kmsKeyArn?: string;
}

/** Where the migration's bundles are: the migration bucket, the key prefix and the migration key. */
export interface BundleScope {
  readonly bucketName: string;
  readonly prefix: string;
  readonly keyArn: string;
}

/** An environment's DAG folder in S3: its bucket (name or ARN) and folder (MWAA's `dagS3Path`). */
export interface DagFolderScope {
  readonly bucket: string;
  readonly dagS3Path: string;
}

export interface DeployerScope {
  readonly region: string;
  readonly account: string;
  readonly targetEnvironmentName: string;
  /** Absent for a self-managed source. */
  readonly sourceEnvironmentName?: string;
  readonly sourceExecutionRoleArn?: string;
  /** The migration bucket, prefix and key; absent, the deployer policy has no bundle statements. */
  readonly bundle?: BundleScope;
  /** The source's DAG folder when it is in S3 (MWAA, or self-managed Airflow whose DAGs arrive through S3). */
  readonly sourceDags?: DagFolderScope;
  /** The target's DAG folder. */
  readonly targetDags?: DagFolderScope;
  /** The target's Airflow version: an import that runs in the migration plugin (3.x) delivers no DAG. */
  readonly targetAirflowVersion?: string;
  /** The source's task log group; with the target's, the import copies task logs as the deployer. */
  readonly sourceTaskLogGroupArn?: string;
  readonly targetTaskLogGroupArn?: string;
  /** `purgeBundlesOnDelete`: deleting an export resource deletes its bundle, as the deployer. */
  readonly purgeBundlesOnDelete?: boolean;
  /** The principals `webUiAccess` gives a login policy: the stack puts one on each. */
  readonly webUi?: WebUiDeployerScope;
  /** `pipelineIds`: the Data Pipeline pipelines the preview reads from the account. */
  readonly pipelineIds?: readonly string[];
  /** `cloneWebUiAccess`: the preview reads the account's customer-managed policies for the source's UI mapping. */
  readonly readsSourceWebUi?: boolean;
  /**
   * The source's account and region when they are not the target's (`region` and `account` above are the
   * target's): the statements on the source's environment name these.
   */
  readonly sourceSide?: AccountScope;
  /** `targetRoleArn`: the role the deployer assumes for the target's side. */
  readonly targetRoleArn?: string;
}

/** Where the web UI login policies go: principal ARNs by kind, and the permission sets' policy names. */
export interface WebUiDeployerScope {
  readonly roleArns: readonly string[];
  readonly userArns: readonly string[];
  readonly groupArns: readonly string[];
  /** Customer-managed policies created for IAM Identity Center permission sets. */
  readonly policyNames: readonly string[];
  /** `ssoInstanceArn`: the Identity Center instance where the stack attaches those policies to their permission sets. */
  readonly ssoInstanceArn?: string;
}

export type Identity = "execution-role" | "export-grant" | "import-grant" | "deployer";

export interface ScopeOf {
  "execution-role": ExecutionRoleScope;
  "export-grant": BundleScope;
  "import-grant": BundleScope;
  deployer: DeployerScope;
}

type Condition = NonNullable<PolicyStatement["Condition"]>;

/** What a row reaches: resources, or (for MWAA's AWS-owned-key statement) every resource but these. */
export type RowResources = string | string[] | { readonly notResource: string };

export interface PermissionRow<I extends Identity = Identity> {
  readonly identity: I;
  readonly sid: string;
  /** Allow unless said otherwise. */
  readonly effect?: "Deny";
  readonly actions: readonly string[];
  readonly resources: (scope: ScopeOf[I]) => RowResources;
  readonly condition?: (scope: ScopeOf[I]) => Condition;
  /** Whether the row belongs in the identity's document for this scope (default: always). */
  readonly when?: (scope: ScopeOf[I]) => boolean;
  /** What needs it: the operation it lets through. */
  readonly why: string;
}

export type AnyPermissionRow = { [I in Identity]: PermissionRow<I> }[Identity];

const row = <I extends Identity>(r: PermissionRow<I>): AnyPermissionRow => r as unknown as AnyPermissionRow;

/** IAM path of the roles this stack creates, so permissions over them can be scoped to the path. */
export const STACK_ROLE_PATH = "/mwaa-migration/";

// --- how resources are named -----------------------------------------------------------------------

const trimSlashes = (text: string) => text.replace(/^\/+|\/+$/g, "");

/** A bucket's ARN in the partition that an ARN of the same stack (a key, a log group) names. */
export function bucketArnBeside(siblingArn: string, bucketName: string): string {
  return s3BucketArn(partitionOfArn(siblingArn) ?? "aws", bucketName);
}

/** The migration bucket's ARN. */
const migrationBucket = (b: BundleScope) => bucketArnBeside(b.keyArn, b.bucketName);

/** Objects under the bundle prefix: `arn:...:s3:::<bucket>/<prefix>/<rest>`. */
const underPrefix = (b: BundleScope, rest: string) =>
  `${migrationBucket(b)}/${trimSlashes(b.prefix)}/${rest}`;

/** Every bundle under the prefix, as the contract names a bundle's folder: `<prefix>/<exportId>/`. */
const everyBundle = (b: BundleScope) => ({ bucket: b.bucketName, prefix: b.prefix, exportId: "*" });

/** One object of every bundle, e.g. `<prefix>/<any exportId>/manifest.json`. */
const inEveryBundle = (b: BundleScope, relative: string) =>
  `${migrationBucket(b)}/${bundleKeyPrefix(everyBundle(b))}${relative}`;

/** One table's stream in every bundle, `<prefix>/<any exportId>/tables/<table>.csv.gz` (the contract's naming). */
const tableInEveryBundle = (b: BundleScope, table: string) =>
  `${migrationBucket(b)}/${tableStreamKey(everyBundle(b), table)}`;

/** The migration key is usable only through S3, in the key's region: never directly, never by another service. */
const onlyThroughS3 = (keyArn: string): Condition => ({
  StringEquals: { "kms:ViaService": `s3.${keyArn.split(":")[3]}.amazonaws.com` },
});

/** The payload's keys in a DAG folder: one DAG file and the library folder beside it. */
function payloadObjects(folder: DagFolderScope, dagId: string, region: string): string[] {
  const bucket = bucketNameOf(folder.bucket);
  const where = parseDagFolder(s3DagFolder(bucket, folder.dagS3Path));
  const prefix = where.kind === "s3" ? where.prefix : "";
  const arn = folder.bucket.startsWith("arn:") ? folder.bucket : s3BucketArn(partitionOf(region), bucket);
  return [`${arn}/${prefix}${dagId}.py`, `${arn}/${prefix}${LIBRARY_FOLDER}/*`];
}

/** A log group and what IAM names under it (its streams), whether or not the ARN given ends in `:*`. */
const logGroupAndStreams = (groupArn: string) => {
  const group = groupArn.replace(/:\*$/, "");
  return [group, `${group}:*`];
};

const logGroupNameOf = (arn: string) => /:log-group:([^:]+)/.exec(arn)?.[1] ?? arn;

/** Whether the import copies task logs, which it does as the deployer: both sides have a task log group. */
export function deployerCopiesTaskLogs(scope: DeployerScope): boolean {
  return !!(scope.bundle && scope.sourceTaskLogGroupArn && scope.targetTaskLogGroupArn);
}

/** The import DAG is delivered unless the target's import runs in the migration plugin (Airflow 3). */
function importRunsAsDag(scope: DeployerScope): boolean {
  if (scope.targetAirflowVersion === undefined) return true;
  return !importRunsInPlugin(scope.targetAirflowVersion);
}

/** The source's account and region: its own when the config gives the target another side. */
const sourceScope = (s: DeployerScope): AccountScope => s.sourceSide ?? s;

/** Each environment's ARN by `arn`: the target's in the target's account, the source's in its own. */
const environments = (s: DeployerScope, arn: (scope: AccountScope, name: string) => string): string[] => [
  arn(s, s.targetEnvironmentName),
  ...(s.sourceEnvironmentName !== undefined ? [arn(sourceScope(s), s.sourceEnvironmentName)] : []),
];

// --- the table ---------------------------------------------------------------------------------------

const EXECUTION_ROLE_KMS_ACTIONS = ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey", "kms:Encrypt"];

export const PERMISSION_TABLE: readonly AnyPermissionRow[] = [
  // The target environment's execution role.
  row<"execution-role">({
    identity: "execution-role",
    sid: "PublishEnvironmentMetrics",
    actions: ["airflow:PublishMetrics"],
    resources: (s) => mwaaEnvironmentArn(s, s.environmentName),
    why: "MWAA publishes the environment's own metrics as its execution role.",
  }),
  row<"execution-role">({
    identity: "execution-role",
    sid: "DenyListingOtherBuckets",
    effect: "Deny",
    actions: ["s3:ListAllMyBuckets"],
    resources: (s) => {
      const bucket = s3BucketArn(partitionOf(s.region), s.dagBucketName);
      return [bucket, `${bucket}/*`];
    },
    why: "MWAA's documented policy denies listing the account's buckets.",
  }),
  row<"execution-role">({
    identity: "execution-role",
    sid: "ReadDagBucket",
    actions: [
      "s3:GetObject",
      "s3:GetObjectVersion",
      "s3:GetBucketLocation",
      "s3:GetBucketVersioning",
      "s3:GetBucketPublicAccessBlock",
      "s3:GetEncryptionConfiguration",
      "s3:ListBucket",
    ],
    resources: (s) => {
      const bucket = s3BucketArn(partitionOf(s.region), s.dagBucketName);
      return [bucket, `${bucket}/*`];
    },
    why: "MWAA syncs the DAGs, requirements, plugins and startup script from the DAG bucket (read only).",
  }),
  row<"execution-role">({
    identity: "execution-role",
    sid: "WriteEnvironmentLogs",
    actions: [
      "logs:CreateLogStream",
      "logs:CreateLogGroup",
      "logs:PutLogEvents",
      "logs:GetLogEvents",
      "logs:GetLogRecord",
      "logs:GetLogGroupFields",
      "logs:GetQueryResults",
    ],
    resources: (s) => [environmentLogGroupsArn(s, s.environmentName)],
    why: "The environment writes (and its UI reads) its five log types in its own airflow-<env>-* groups.",
  }),
  row<"execution-role">({
    identity: "execution-role",
    sid: "DescribeLogGroups",
    actions: ["logs:DescribeLogGroups"],
    resources: () => "*",
    why: "MWAA documents it on Resource *; listing log groups has no resource scoping.",
  }),
  row<"execution-role">({
    identity: "execution-role",
    sid: "CheckAccountPublicAccessBlock",
    actions: ["s3:GetAccountPublicAccessBlock"],
    resources: () => "*",
    why: "MWAA checks the account's public-access block; the action has no resource scoping.",
  }),
  row<"execution-role">({
    identity: "execution-role",
    sid: "PutMetrics",
    actions: ["cloudwatch:PutMetricData"],
    resources: () => "*",
    why: "Airflow's metrics go to CloudWatch; the action has no resource scoping.",
  }),
  row<"execution-role">({
    identity: "execution-role",
    sid: "CeleryQueues",
    actions: [
      "sqs:ChangeMessageVisibility",
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:GetQueueUrl",
      "sqs:ReceiveMessage",
      "sqs:SendMessage",
    ],
    resources: (s) => celeryQueuesArn(s),
    why: "The scheduler and workers exchange tasks through MWAA's Celery queues (in accounts MWAA owns).",
  }),
  row<"execution-role">({
    identity: "execution-role",
    sid: "EncryptionWithEnvironmentKey",
    actions: EXECUTION_ROLE_KMS_ACTIONS,
    resources: (s) => s.kmsKeyArn!,
    condition: (s) => ({
      StringLike: { "kms:ViaService": [`sqs.${s.region}.amazonaws.com`, `s3.${s.region}.amazonaws.com`] },
    }),
    when: (s) => s.kmsKeyArn !== undefined,
    why: "With a customer-managed key, the queues and the environment's S3 data are encrypted with it, through SQS and S3 only.",
  }),
  row<"execution-role">({
    identity: "execution-role",
    sid: "EncryptionWithAwsOwnedKey",
    actions: EXECUTION_ROLE_KMS_ACTIONS,
    resources: (s) => ({ notResource: accountKmsKeysArn(s) }),
    condition: (s) => ({ StringLike: { "kms:ViaService": [`sqs.${s.region}.amazonaws.com`] } }),
    when: (s) => s.kmsKeyArn === undefined,
    why: "MWAA's documented statement for AWS-owned keys: any key outside this account, used only through SQS.",
  }),

  row<"execution-role">({
    identity: "execution-role",
    sid: "ReadBackendSecrets",
    actions: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
    resources: (s) => s.secretsBackend!.namePrefixes.map((prefix) => secretsNamedUnder(s, prefix)),
    when: (s) => (s.secretsBackend?.namePrefixes.length ?? 0) > 0,
    why: "Airflow's Secrets Manager backend reads connections, variables and config options under its prefixes, and no other secret.",
  }),
  row<"execution-role">({
    identity: "execution-role",
    sid: "DecryptBackendSecrets",
    actions: ["kms:Decrypt"],
    resources: (s) => s.secretsBackend!.kmsKeyArn!,
    condition: (s) => ({ StringEquals: { "kms:ViaService": `secretsmanager.${s.region}.amazonaws.com` } }),
    when: (s) =>
      (s.secretsBackend?.namePrefixes.length ?? 0) > 0 && s.secretsBackend?.kmsKeyArn !== undefined,
    why: "Secrets encrypted with a customer-managed key are decrypted by Secrets Manager on the role's behalf, through Secrets Manager only.",
  }),

  // The export grant, on the source's execution role.
  row<"export-grant">({
    identity: "export-grant",
    sid: "WriteExportBundle",
    actions: ["s3:PutObject", "s3:AbortMultipartUpload"],
    resources: (b) => underPrefix(b, "*"),
    why: "The export DAG writes the bundle's table streams (multipart, aborted on failure) and its manifest.",
  }),
  row<"export-grant">({
    identity: "export-grant",
    sid: "EncryptWithMigrationKey",
    // kms:Decrypt because the export streams each table as a multipart upload, and S3 decrypts the parts'
    // data keys to complete one; without s3:GetObject it reads no object.
    actions: ["kms:GenerateDataKey", "kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"],
    resources: (b) => b.keyArn,
    condition: (b) => onlyThroughS3(b.keyArn),
    why: "The bundle's objects are encrypted with the migration key, which the role may use through S3 only.",
  }),

  // The import grant, on the target's execution role.
  row<"import-grant">({
    identity: "import-grant",
    sid: "ReadExportBundle",
    actions: ["s3:GetObject", "s3:GetObjectVersion"],
    resources: (b) => underPrefix(b, "*"),
    why: "The import DAG reads the manifest and the table streams.",
  }),
  row<"import-grant">({
    identity: "import-grant",
    sid: "ListExportBundle",
    actions: ["s3:ListBucket"],
    resources: (b) => migrationBucket(b),
    condition: (b) => ({ StringLike: { "s3:prefix": [`${trimSlashes(b.prefix)}/*`] } }),
    why: "The import lists a bundle's objects, under the migration prefix only.",
  }),
  row<"import-grant">({
    identity: "import-grant",
    sid: "WriteImportReport",
    actions: ["s3:PutObject"],
    resources: (b) => inEveryBundle(b, IMPORT_REPORT_FILE),
    why: "The import writes its report beside the manifest, and no other object.",
  }),
  row<"import-grant">({
    identity: "import-grant",
    sid: "UseMigrationKeyThroughS3",
    // kms:GenerateDataKey only for the report: the one object the import writes.
    actions: ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"],
    resources: (b) => b.keyArn,
    condition: (b) => onlyThroughS3(b.keyArn),
    why: "The bundle is decrypted, and the report encrypted, with the migration key, through S3 only.",
  }),

  // The deployer: whoever runs `pulumi up`.
  row<"deployer">({
    identity: "deployer",
    sid: "ReadEnvironments",
    actions: ["airflow:GetEnvironment"],
    resources: (s) => environments(s, mwaaEnvironmentArn),
    why: "The program reads the source environment; the Airflow clients read each environment's webserver host and version.",
  }),
  row<"deployer">({
    identity: "deployer",
    sid: "ManageTargetEnvironment",
    actions: [
      "airflow:CreateEnvironment",
      "airflow:UpdateEnvironment",
      "airflow:DeleteEnvironment",
      "airflow:TagResource",
      "airflow:UntagResource",
      "airflow:ListTagsForResource",
    ],
    resources: (s) => mwaaEnvironmentArn(s, s.targetEnvironmentName),
    why: "The stack creates, updates, tags and deletes the target environment (never the source).",
  }),
  row<"deployer">({
    identity: "deployer",
    sid: "ReachAirflowAsAdmin",
    actions: ["airflow:InvokeRestApi", "airflow:CreateWebLoginToken"],
    resources: (s) => environments(s, (scope, name) => airflowRoleArn(scope, name, "Admin")),
    why: "The providers call Airflow's REST API (InvokeRestApi) and the migration plugin (web login) as the Admin Airflow role.",
  }),
  row<"deployer">({
    identity: "deployer",
    sid: "RunAirflowCli",
    actions: ["airflow:CreateCliToken"],
    resources: (s) => environments(s, mwaaEnvironmentArn),
    why: "The mwaa-cli client runs Airflow CLI commands where InvokeRestApi is not available.",
  }),
  row<"deployer">({
    identity: "deployer",
    sid: "PassTargetExecutionRole",
    actions: ["iam:PassRole"],
    resources: (s) => iamRolesUnderPath(s, STACK_ROLE_PATH),
    condition: () => ({ StringEquals: { "iam:PassedToService": "airflow.amazonaws.com" } }),
    why: "Creating the target environment passes it the execution role this stack creates, to MWAA only.",
  }),
  row<"deployer">({
    identity: "deployer",
    sid: "MigrationGrantsOnExecutionRoles",
    actions: ["iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:GetRolePolicy"],
    resources: (s) => [
      iamRolesUnderPath(s, STACK_ROLE_PATH),
      ...(s.sourceExecutionRoleArn ? [s.sourceExecutionRoleArn] : []),
    ],
    why: "The stack puts, reads and deletes the temporary grants on the two execution roles (aws.iam.RolePolicy).",
  }),
  row<"deployer">({
    identity: "deployer",
    sid: "WebUiLoginsOnRoles",
    actions: ["iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:GetRolePolicy"],
    resources: (s) => [...s.webUi!.roleArns],
    when: (s) => (s.webUi?.roleArns.length ?? 0) > 0,
    why: "The stack puts, reads and deletes the web UI login policy (aws.iam.RolePolicy) on the roles webUiAccess maps, and no other role.",
  }),
  row<"deployer">({
    identity: "deployer",
    sid: "WebUiLoginsOnUsers",
    actions: ["iam:PutUserPolicy", "iam:DeleteUserPolicy", "iam:GetUserPolicy"],
    resources: (s) => [...s.webUi!.userArns],
    when: (s) => (s.webUi?.userArns.length ?? 0) > 0,
    why: "The same for the users webUiAccess maps (aws.iam.UserPolicy).",
  }),
  row<"deployer">({
    identity: "deployer",
    sid: "WebUiLoginsOnGroups",
    actions: ["iam:PutGroupPolicy", "iam:DeleteGroupPolicy", "iam:GetGroupPolicy"],
    resources: (s) => [...s.webUi!.groupArns],
    when: (s) => (s.webUi?.groupArns.length ?? 0) > 0,
    why: "The same for the groups webUiAccess maps (aws.iam.GroupPolicy).",
  }),
  row<"deployer">({
    identity: "deployer",
    sid: "WebUiLoginPoliciesForPermissionSets",
    actions: [
      "iam:CreatePolicy",
      "iam:DeletePolicy",
      "iam:GetPolicy",
      "iam:GetPolicyVersion",
      "iam:ListPolicyVersions",
      "iam:CreatePolicyVersion",
      "iam:DeletePolicyVersion",
      "iam:TagPolicy",
      "iam:UntagPolicy",
    ],
    resources: (s) => s.webUi!.policyNames.map((name) => iamPolicyArn(s, name)),
    when: (s) => (s.webUi?.policyNames.length ?? 0) > 0,
    why: "The stack manages the customer-managed login policy of each IAM Identity Center permission set webUiAccess maps (aws.iam.Policy), by name.",
  }),
  row<"deployer">({
    identity: "deployer",
    sid: "WebUiPermissionSetAttachments",
    actions: [
      "sso:ListPermissionSets",
      "sso:DescribePermissionSet",
      "sso:AttachCustomerManagedPolicyReferenceToPermissionSet",
      "sso:DetachCustomerManagedPolicyReferenceFromPermissionSet",
      "sso:ListCustomerManagedPolicyReferencesInPermissionSet",
      "sso:ProvisionPermissionSet",
      "sso:DescribePermissionSetProvisioningStatus",
      "sso:ListAccountsForProvisionedPermissionSet",
    ],
    resources: (s) => [
      s.webUi!.ssoInstanceArn!,
      ssoPermissionSetsArn(s.webUi!.ssoInstanceArn!),
      ssoAccountsArn(s.webUi!.ssoInstanceArn!),
    ],
    when: (s) => (s.webUi?.policyNames.length ?? 0) > 0 && s.webUi?.ssoInstanceArn !== undefined,
    why: "With ssoInstanceArn, the stack finds each mapped permission set by name, attaches its login policy (aws.ssoadmin.CustomerManagedPolicyAttachment) and provisions the permission set again to the accounts it is in. A permission set's ARN carries an id the preview does not know, so the statement names the instance's permission sets.",
  }),
  row<"deployer">({
    identity: "deployer",
    sid: "AssumeTargetRole",
    actions: ["sts:AssumeRole"],
    resources: (s) => s.targetRoleArn!,
    when: (s) => s.targetRoleArn !== undefined,
    why: "With targetRoleArn, the stack's target-side provider and the phases reach the target's account, the migration bucket and the target's task logs as that role; the role needs this document too (attach it to both).",
  }),
  row<"deployer">({
    identity: "deployer",
    sid: "ReadDataPipelineDefinitions",
    actions: ["datapipeline:DescribePipelines", "datapipeline:GetPipelineDefinition"],
    resources: () => "*",
    when: (s) => (s.pipelineIds?.length ?? 0) > 0,
    why: "The preview reads the name and latest definition of each pipeline of pipelineIds to convert it into a DAG. Data Pipeline's actions take no resource ARN (AWS's Service Authorization Reference lists no resource type for them), so the statement names every pipeline; both actions only read.",
  }),
  row<"deployer">({
    identity: "deployer",
    sid: "ListPoliciesForSourceWebUi",
    actions: ["iam:ListPolicies"],
    resources: () => "*",
    when: (s) => s.readsSourceWebUi === true,
    why: "With cloneWebUiAccess, the preview lists the account's attached customer-managed policies to find those that let principals into the source's UI. ListPolicies takes no resource ARN; it only reads.",
  }),
  row<"deployer">({
    identity: "deployer",
    sid: "ReadPoliciesForSourceWebUi",
    actions: ["iam:GetPolicyVersion", "iam:ListEntitiesForPolicy"],
    resources: (s) => `arn:${partitionOf(s.region)}:iam::${sourceScope(s).account}:policy/*`,
    when: (s) => s.readsSourceWebUi === true,
    why: "With cloneWebUiAccess, the preview reads each of those policies' document and the roles, users and groups it is attached to, to carry the source's web UI mapping; both only read.",
  }),
  row<"deployer">({
    identity: "deployer",
    sid: "DeliverExportDag",
    actions: ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
    resources: (s) => payloadObjects(s.sourceDags!, EXPORT_DAG_ID, s.region),
    when: (s) => s.sourceDags !== undefined,
    why: "MetadataExport copies the export DAG and its mwaa_migration/ library into the source's DAG folder and removes them after the run; the cutover's staging puts them there before the pause, and the run reads them back (HeadObject) to find them staged.",
  }),
  row<"deployer">({
    identity: "deployer",
    sid: "DeliverImportDag",
    actions: ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
    resources: (s) => payloadObjects(s.targetDags!, IMPORT_DAG_ID, s.region),
    when: (s) => s.targetDags !== undefined && importRunsAsDag(s),
    why: "MetadataImport copies the import DAG and its mwaa_migration/ library into the target's DAG folder and removes them after the run, staged before the pause at cutover as the export's are (not on Airflow 3, where the plugin imports).",
  }),
  row<"deployer">({
    identity: "deployer",
    sid: "ReadBundleResults",
    actions: ["s3:GetObject"],
    resources: (s) => [inEveryBundle(s.bundle!, MANIFEST_FILE), inEveryBundle(s.bundle!, IMPORT_REPORT_FILE)],
    when: (s) => s.bundle !== undefined,
    why: "MetadataExport reads the manifest for its outputs, MetadataImport the import report (and the manifest for the log copy).",
  }),
  row<"deployer">({
    identity: "deployer",
    sid: "DecryptBundleThroughS3",
    actions: ["kms:Decrypt"],
    resources: (s) => s.bundle!.keyArn,
    condition: (s) => onlyThroughS3(s.bundle!.keyArn),
    when: (s) => s.bundle !== undefined,
    why: "The objects it reads are encrypted with the migration key; S3 decrypts them on the deployer's behalf.",
  }),
  row<"deployer">({
    identity: "deployer",
    sid: "ListMigrationPrefix",
    actions: ["s3:ListBucket"],
    resources: (s) => migrationBucket(s.bundle!),
    condition: (s) => ({ StringLike: { "s3:prefix": [`${trimSlashes(s.bundle!.prefix)}/*`] } }),
    when: (s) => s.bundle !== undefined && (deployerCopiesTaskLogs(s) || s.purgeBundlesOnDelete === true),
    why: "The log copy lists the streams it already finished (its records), and a purge lists the bundle it deletes, under the migration prefix only.",
  }),
  row<"deployer">({
    identity: "deployer",
    sid: "PurgeBundles",
    actions: ["s3:DeleteObject"],
    resources: (s) => underPrefix(s.bundle!, "*"),
    when: (s) => s.bundle !== undefined && s.purgeBundlesOnDelete === true,
    why: "With purgeBundlesOnDelete, deleting a MetadataExport deletes its bundle.",
  }),
  row<"deployer">({
    identity: "deployer",
    sid: "ReadBundleTaskInstances",
    actions: ["s3:GetObject"],
    resources: (s) => ["dag_run", "task_instance"].map((table) => tableInEveryBundle(s.bundle!, table)),
    when: deployerCopiesTaskLogs,
    why: "The log copy selects the migrated task instances (task_instance) and their runs' logical dates (dag_run); no other stream, so no decrypted variable or connection.",
  }),
  row<"deployer">({
    identity: "deployer",
    sid: "ReadTaskLogs",
    actions: ["logs:GetLogEvents", "logs:DescribeLogStreams"],
    resources: (s) => [
      ...logGroupAndStreams(s.sourceTaskLogGroupArn!),
      ...logGroupAndStreams(s.targetTaskLogGroupArn!),
    ],
    when: deployerCopiesTaskLogs,
    why: "The log copy reads the source's streams page by page (and lists them for an Airflow 3 source's triggerer streams), lists the target's streams and reads the end of one an interrupted copy left half-written; a failed export or import run shows the end of its task's log from here (InvokeRestApi cannot serve a migration run's log path).",
  }),
  row<"deployer">({
    identity: "deployer",
    sid: "WriteTargetTaskLogs",
    actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
    resources: (s) => logGroupAndStreams(s.targetTaskLogGroupArn!),
    when: deployerCopiesTaskLogs,
    why: "The log copy creates each target stream and writes the events in batches, in the target's task log group only.",
  }),
  row<"deployer">({
    identity: "deployer",
    sid: "ReadTargetLogRetention",
    actions: ["logs:DescribeLogGroups"],
    resources: () => "*",
    when: deployerCopiesTaskLogs,
    why: "The log copy reads the target group's retention, which decides the events it archives instead; the action has no resource scoping.",
  }),
  row<"deployer">({
    identity: "deployer",
    sid: "ArchiveOldTaskLogEvents",
    actions: ["s3:PutObject"],
    resources: (s) => inEveryBundle(s.bundle!, `task-logs/${logGroupNameOf(s.sourceTaskLogGroupArn!)}/*`),
    when: deployerCopiesTaskLogs,
    why: "Events older than 14 days or the target's retention go to <prefix>/<export>/task-logs/<source group>/ in the migration bucket.",
  }),
  row<"deployer">({
    identity: "deployer",
    sid: "RecordCopiedTaskLogStreams",
    actions: ["s3:PutObject"],
    resources: (s) => underPrefix(s.bundle!, `task-log-copies/${logGroupNameOf(s.sourceTaskLogGroupArn!)}/*`),
    when: deployerCopiesTaskLogs,
    why: "The log copy records each stream it finished under <prefix>/task-log-copies/<source group>/, so a re-run and the delta import skip it.",
  }),
  row<"deployer">({
    identity: "deployer",
    sid: "EncryptTaskLogCopyThroughS3",
    actions: ["kms:GenerateDataKey"],
    resources: (s) => s.bundle!.keyArn,
    condition: (s) => onlyThroughS3(s.bundle!.keyArn),
    when: deployerCopiesTaskLogs,
    why: "The archive and the records are written SSE-KMS with the migration key, through S3.",
  }),
];

/** The rows of one identity, in table order. */
export function rowsOf<I extends Identity>(identity: I): PermissionRow<I>[] {
  return PERMISSION_TABLE.filter((r) => r.identity === identity) as unknown as PermissionRow<I>[];
}

function statementOf<I extends Identity>(r: PermissionRow<I>, scope: ScopeOf[I]): PolicyStatement {
  const reach = r.resources(scope);
  const target =
    typeof reach === "object" && !Array.isArray(reach)
      ? { NotResource: reach.notResource }
      : { Resource: reach };
  const condition = r.condition?.(scope);
  return {
    Sid: r.sid,
    Effect: r.effect ?? "Allow",
    Action: [...r.actions],
    ...target,
    ...(condition ? { Condition: condition } : {}),
  };
}

/** The statements of one identity's document: its rows that apply to the scope, in table order. */
export function statementsFor<I extends Identity>(identity: I, scope: ScopeOf[I]): PolicyStatement[] {
  return rowsOf(identity)
    .filter((r) => r.when?.(scope) ?? true)
    .map((r) => statementOf(r, scope));
}
