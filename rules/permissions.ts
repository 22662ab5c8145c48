/**
 * IAM policy documents as pure functions of names and ARNs, so each statement can be read and tested.
 *
 * The execution-role policy follows the policy MWAA documents for a customer-managed execution role,
 * with its wildcard actions spelled out and every resource scoped to this environment. `Resource: "*"`
 * appears only where MWAA documents it and the action supports no resource scoping
 * (logs:DescribeLogGroups, cloudwatch:PutMetricData, s3:GetAccountPublicAccessBlock).
 */
import { IMPORT_REPORT_FILE } from "../contract";
import {
  accountKmsKeysArn,
  airflowRoleArn,
  celeryQueuesArn,
  environmentLogGroupsArn,
  iamRolesUnderPath,
  mwaaEnvironmentArn,
  partitionOf,
  partitionOfArn,
  s3BucketArn,
} from "./arns";

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

/** A bucket's ARN in the partition that an ARN of the same stack (a key, a log group) names. */
function bucketArnBeside(siblingArn: string, bucketName: string): string {
  return s3BucketArn(partitionOfArn(siblingArn) ?? "aws", bucketName);
}

/** Trust policy: only MWAA's two service principals may assume the execution role. */
export function executionRoleTrustPolicy(account: string, region: string, environmentName: string) {
  const scope = { account, region };
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AssumedByMwaaForThisEnvironment",
        Effect: "Allow",
        Principal: { Service: ["airflow.amazonaws.com", "airflow-env.amazonaws.com"] },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": account },
          ArnLike: { "aws:SourceArn": mwaaEnvironmentArn(scope, environmentName) },
        },
      },
    ],
  };
}

export interface ExecutionRoleScope {
  readonly region: string;
  readonly account: string;
  readonly environmentName: string;
  readonly dagBucketName: string;
  /** A customer-managed key for the environment; AWS-owned keys are used when absent. */
  readonly kmsKeyArn?: string;
}

export function executionRolePolicy(scope: ExecutionRoleScope): PolicyDocument {
  const { region, account, environmentName } = scope;
  const bucket = s3BucketArn(partitionOf(region), scope.dagBucketName);
  const kmsViaServices = [`sqs.${region}.amazonaws.com`, `s3.${region}.amazonaws.com`];
  const kms: PolicyStatement = scope.kmsKeyArn
    ? {
        Sid: "EncryptionWithEnvironmentKey",
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey", "kms:Encrypt"],
        Resource: scope.kmsKeyArn,
        Condition: { StringLike: { "kms:ViaService": kmsViaServices } },
      }
    : {
        // MWAA's documented statement for AWS-owned keys: any key outside this account, used only through SQS.
        Sid: "EncryptionWithAwsOwnedKey",
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey", "kms:Encrypt"],
        NotResource: accountKmsKeysArn({ region, account }),
        Condition: { StringLike: { "kms:ViaService": [`sqs.${region}.amazonaws.com`] } },
      };
  return policyDocument([
    {
      Sid: "PublishEnvironmentMetrics",
      Effect: "Allow",
      Action: ["airflow:PublishMetrics"],
      Resource: mwaaEnvironmentArn(scope, environmentName),
    },
    {
      Sid: "DenyListingOtherBuckets",
      Effect: "Deny",
      Action: ["s3:ListAllMyBuckets"],
      Resource: [bucket, `${bucket}/*`],
    },
    {
      Sid: "ReadDagBucket",
      Effect: "Allow",
      Action: [
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:GetBucketLocation",
        "s3:GetBucketVersioning",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetEncryptionConfiguration",
        "s3:ListBucket",
      ],
      Resource: [bucket, `${bucket}/*`],
    },
    {
      Sid: "WriteEnvironmentLogs",
      Effect: "Allow",
      Action: [
        "logs:CreateLogStream",
        "logs:CreateLogGroup",
        "logs:PutLogEvents",
        "logs:GetLogEvents",
        "logs:GetLogRecord",
        "logs:GetLogGroupFields",
        "logs:GetQueryResults",
      ],
      Resource: [environmentLogGroupsArn(scope, environmentName)],
    },
    { Sid: "DescribeLogGroups", Effect: "Allow", Action: ["logs:DescribeLogGroups"], Resource: "*" },
    {
      Sid: "CheckAccountPublicAccessBlock",
      Effect: "Allow",
      Action: ["s3:GetAccountPublicAccessBlock"],
      Resource: "*",
    },
    { Sid: "PutMetrics", Effect: "Allow", Action: ["cloudwatch:PutMetricData"], Resource: "*" },
    {
      Sid: "CeleryQueues",
      Effect: "Allow",
      Action: [
        "sqs:ChangeMessageVisibility",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
        "sqs:ReceiveMessage",
        "sqs:SendMessage",
      ],
      Resource: celeryQueuesArn(scope),
    },
    kms,
  ]);
}

export interface BundleScope {
  readonly bucketName: string;
  readonly prefix: string;
  readonly keyArn: string;
}

/** The grants land on execution roles: the migration key is usable only through S3 in the key's region. */
function onlyThroughS3(keyArn: string): PolicyStatement["Condition"] {
  const region = keyArn.split(":")[3];
  return { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } };
}

function bundleObjects(scope: BundleScope): string {
  return `${bucketArnBeside(scope.keyArn, scope.bucketName)}/${scope.prefix.replace(/^\/+|\/+$/g, "")}/*`;
}

/** Source side: write the export bundle, nothing else; objects must be encrypted with the migration key. */
export function exportGrantPolicy(scope: BundleScope): PolicyDocument {
  return policyDocument([
    {
      Sid: "WriteExportBundle",
      Effect: "Allow",
      Action: ["s3:PutObject", "s3:AbortMultipartUpload"],
      Resource: bundleObjects(scope),
    },
    {
      Sid: "EncryptWithMigrationKey",
      Effect: "Allow",
      // kms:Decrypt because the export streams each table as a multipart upload, and S3 decrypts the
      // parts' data keys to complete one; without s3:GetObject it reads no object.
      Action: ["kms:GenerateDataKey", "kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"],
      Resource: scope.keyArn,
      Condition: onlyThroughS3(scope.keyArn),
    },
  ]);
}

/**
 * Target side: read the bundle, decrypt it, write the import's own report beside the manifest (and no other
 * object), and read the source's task logs for the log copy.
 */
export function importGrantPolicy(scope: BundleScope & { sourceTaskLogGroupArn: string }): PolicyDocument {
  return policyDocument([
    {
      Sid: "ReadExportBundle",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:GetObjectVersion"],
      Resource: bundleObjects(scope),
    },
    {
      Sid: "ListExportBundle",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: bucketArnBeside(scope.keyArn, scope.bucketName),
      Condition: { StringLike: { "s3:prefix": [`${scope.prefix.replace(/^\/+|\/+$/g, "")}/*`] } },
    },
    {
      Sid: "WriteImportReport",
      Effect: "Allow",
      Action: ["s3:PutObject"],
      Resource: `${bundleObjects(scope)}/${IMPORT_REPORT_FILE}`,
    },
    {
      Sid: "UseMigrationKeyThroughS3",
      Effect: "Allow",
      // kms:GenerateDataKey only for the report: the one object the import writes.
      Action: ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"],
      Resource: scope.keyArn,
      Condition: onlyThroughS3(scope.keyArn),
    },
    {
      Sid: "ReadSourceTaskLogs",
      Effect: "Allow",
      Action: ["logs:GetLogEvents", "logs:DescribeLogStreams"],
      Resource: [scope.sourceTaskLogGroupArn, `${scope.sourceTaskLogGroupArn}:log-stream:*`],
    },
  ]);
}

/** Deny on every S3 action over plain HTTP: the documented way to require TLS for a whole bucket. */
function denyInsecureTransport(bucket: string): PolicyStatement {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: ["s3:*"],
    Resource: [bucket, `${bucket}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

/** DAG bucket policy: TLS only. */
export function tlsOnlyBucketPolicy(bucketName: string, region: string): PolicyDocument {
  return policyDocument([denyInsecureTransport(s3BucketArn(partitionOf(region), bucketName))]);
}

/**
 * Migration bucket policy: TLS only, and every object written under the migration key. A PUT without
 * encryption headers gets the bucket default, which is that key. A PUT that names SSE-KMS but no key
 * would get the account's AWS managed key (aws/s3) instead, so it is denied like one naming another key.
 */
export function migrationBucketPolicy(bucketName: string, keyArn: string): PolicyDocument {
  const bucket = bucketArnBeside(keyArn, bucketName);
  return policyDocument([
    denyInsecureTransport(bucket),
    {
      Sid: "DenyPutWithOtherEncryption",
      Effect: "Deny",
      Principal: "*",
      Action: ["s3:PutObject"],
      Resource: `${bucket}/*`,
      Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption": "aws:kms" } },
    },
    {
      Sid: "DenyPutWithOtherKey",
      Effect: "Deny",
      Principal: "*",
      Action: ["s3:PutObject"],
      Resource: `${bucket}/*`,
      Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption-aws-kms-key-id": keyArn } },
    },
    {
      Sid: "DenyPutWithAwsManagedKey",
      Effect: "Deny",
      Principal: "*",
      Action: ["s3:PutObject"],
      Resource: `${bucket}/*`,
      Condition: {
        StringEquals: { "s3:x-amz-server-side-encryption": "aws:kms" },
        Null: { "s3:x-amz-server-side-encryption-aws-kms-key-id": "true" },
      },
    },
  ]);
}

export interface DeployerScope {
  readonly region: string;
  readonly account: string;
  readonly targetEnvironmentName: string;
  /** Absent for a self-managed source. */
  readonly sourceEnvironmentName?: string;
  readonly sourceExecutionRoleArn?: string;
}

/** IAM path of the roles this stack creates, so permissions over them can be scoped to the path. */
export const STACK_ROLE_PATH = "/mwaa-migration/";

/**
 * What the identity running `pulumi up` needs for the MWAA-specific work of this stack: read the source,
 * manage the target, pass the target's execution role, attach the temporary grants, and reach Airflow
 * through MWAA (REST API, CLI token, web login) as the Admin Airflow role of each environment. Creating
 * the VPC, buckets, key and roles needs the usual permissions for those resources (see the README).
 */
export function deployerPolicy(scope: DeployerScope): PolicyDocument {
  const env = (name: string) => mwaaEnvironmentArn(scope, name);
  const adminRole = (name: string) => airflowRoleArn(scope, name, "Admin");
  const stackRoles = iamRolesUnderPath(scope, STACK_ROLE_PATH);
  const environments = [scope.targetEnvironmentName, scope.sourceEnvironmentName].filter(
    (n): n is string => n !== undefined,
  );
  return policyDocument([
    {
      Sid: "ReadEnvironments",
      Effect: "Allow",
      Action: ["airflow:GetEnvironment"],
      Resource: environments.map(env),
    },
    {
      Sid: "ManageTargetEnvironment",
      Effect: "Allow",
      Action: [
        "airflow:CreateEnvironment",
        "airflow:UpdateEnvironment",
        "airflow:DeleteEnvironment",
        "airflow:TagResource",
        "airflow:UntagResource",
        "airflow:ListTagsForResource",
      ],
      Resource: env(scope.targetEnvironmentName),
    },
    {
      Sid: "ReachAirflowAsAdmin",
      Effect: "Allow",
      Action: ["airflow:InvokeRestApi", "airflow:CreateWebLoginToken"],
      Resource: environments.map(adminRole),
    },
    {
      Sid: "RunAirflowCli",
      Effect: "Allow",
      Action: ["airflow:CreateCliToken"],
      Resource: environments.map(env),
    },
    {
      Sid: "PassTargetExecutionRole",
      Effect: "Allow",
      Action: ["iam:PassRole"],
      Resource: stackRoles,
      Condition: { StringEquals: { "iam:PassedToService": "airflow.amazonaws.com" } },
    },
    {
      Sid: "MigrationGrantsOnExecutionRoles",
      Effect: "Allow",
      Action: ["iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:GetRolePolicy"],
      Resource: [stackRoles, ...(scope.sourceExecutionRoleArn ? [scope.sourceExecutionRoleArn] : [])],
    },
  ]);
}
