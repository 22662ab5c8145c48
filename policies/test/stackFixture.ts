/**
 * A migration stack that follows every policy, shaped as the engine passes it to stack policies
 * (outputs as props, links as values and propertyDependencies). Each test breaks one thing in it.
 *
 * Its IAM documents come from the program's own builders (rules/permissions.ts), so the pack is held
 * to what the program writes, not to a copy of it. The tests alone import the program; the pack does
 * not. Hand-written documents remain only where a test needs a foreign one (MWAA's documented
 * execution-role policy, with its wildcards) or a deliberately wrong one.
 */
import type { PolicyResource } from "@pulumi/policy";
import {
  executionRolePolicy,
  executionRoleTrustPolicy,
  exportGrantPolicy,
  importGrantPolicy,
  migrationBucketPolicy,
  tlsOnlyBucketPolicy,
} from "../../rules/permissions";
import { resource } from "./engine";

export const ACCOUNT = "111122223333";
export const REGION = "us-east-1";
export const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b`;
export const MIGRATION_BUCKET = "mwaa-migration-bundle-a1b2c3";
export const DAG_BUCKET = "target-dags-d4e5f6";
export const PREFIX = "migration";

export const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });

/**
 * MWAA's documented execution-role policy for a customer managed key, for environment `target`: a
 * foreign document the pack must accept as it is, wildcards included.
 */
export function documentedExecutionPolicy(env = "target", bucket = DAG_BUCKET): object {
  // Written out, not built by rules/permissions.ts: it stands for AWS's text, which the pack must accept too.
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: "airflow:PublishMetrics",
        Resource: `arn:aws:airflow:${REGION}:${ACCOUNT}:environment/${env}`,
      },
      {
        Effect: "Deny",
        Action: "s3:ListAllMyBuckets",
        Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
      },
      {
        Effect: "Allow",
        Action: ["s3:GetObject*", "s3:GetBucket*", "s3:List*"],
        Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
      },
      {
        Sid: "Logs",
        Effect: "Allow",
        Action: [
          "logs:CreateLogStream",
          "logs:CreateLogGroup",
          "logs:PutLogEvents",
          "logs:GetLogEvents",
          "logs:GetLogRecord",
        ],
        Resource: [`arn:aws:logs:${REGION}:${ACCOUNT}:log-group:airflow-${env}-*`],
      },
      { Effect: "Allow", Action: "logs:DescribeLogGroups", Resource: "*" },
      { Effect: "Allow", Action: "s3:GetAccountPublicAccessBlock", Resource: "*" },
      { Effect: "Allow", Action: "cloudwatch:PutMetricData", Resource: "*" },
      {
        Effect: "Allow",
        Action: [
          "sqs:ChangeMessageVisibility",
          "sqs:DeleteMessage",
          "sqs:GetQueueAttributes",
          "sqs:GetQueueUrl",
          "sqs:ReceiveMessage",
          "sqs:SendMessage",
        ],
        Resource: `arn:aws:sqs:${REGION}:*:airflow-celery-*`,
      },
      {
        Sid: "Kms",
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey*", "kms:Encrypt"],
        Resource: KEY_ARN,
        Condition: {
          StringLike: { "kms:ViaService": [`sqs.${REGION}.amazonaws.com`, `s3.${REGION}.amazonaws.com`] },
        },
      },
    ],
  };
}

const BUNDLE = { bucketName: MIGRATION_BUCKET, prefix: PREFIX, keyArn: KEY_ARN };

function bucketWithProtection(
  logicalName: string,
  name: string,
  key: PolicyResource,
  options: { lifecycle: boolean; policy: object },
) {
  const bucket = resource("aws:s3/bucket:Bucket", logicalName, {
    bucket: name,
    id: name,
    arn: `arn:aws:s3:::${name}`,
  });
  const on = { deps: { bucket: [bucket] } };
  const list = [
    bucket,
    resource(
      "aws:s3/bucketVersioning:BucketVersioning",
      `${logicalName}-versioning`,
      {
        bucket: name,
        versioningConfiguration: { status: "Enabled" },
      },
      on,
    ),
    resource(
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      `${logicalName}-sse`,
      {
        bucket: name,
        rules: [
          {
            applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.props.arn },
            bucketKeyEnabled: true,
          },
        ],
      },
      { deps: { bucket: [bucket], rules: [key] } },
    ),
    resource(
      "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
      `${logicalName}-pab`,
      {
        bucket: name,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      on,
    ),
    resource(
      "aws:s3/bucketPolicy:BucketPolicy",
      `${logicalName}-tls`,
      { bucket: name, policy: JSON.stringify(options.policy) },
      on,
    ),
  ];
  if (options.lifecycle) {
    list.push(
      resource(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        `${logicalName}-lifecycle`,
        {
          bucket: name,
          rules: [
            {
              id: "expire-bundle",
              status: "Enabled",
              expiration: { days: 30 },
              noncurrentVersionExpiration: { noncurrentDays: 30 },
            },
          ],
        },
        on,
      ),
    );
  }
  return list;
}

export interface GoodStack {
  resources: PolicyResource[];
  byName(name: string): PolicyResource;
}

/**
 * Source environment read from AWS (as the engine passes a read: outputs only, no property
 * dependencies), target built by the stack, bucket, key and both grants.
 */
export function goodStack(): GoodStack {
  const key = resource("aws:kms/key:Key", "migration-key", { arn: KEY_ARN, keyId: KEY_ARN.split("/")[1] });
  const targetRole = resource("aws:iam/role:Role", "target-execution-role", {
    name: "target-execution-role-7c1",
    arn: `arn:aws:iam::${ACCOUNT}:role/target-execution-role-7c1`,
    assumeRolePolicy: JSON.stringify(executionRoleTrustPolicy(ACCOUNT, REGION, "target")),
  });
  const executionPolicy = executionRolePolicy({
    region: REGION,
    account: ACCOUNT,
    environmentName: "target",
    dagBucketName: DAG_BUCKET,
    kmsKeyArn: KEY_ARN,
  });
  const targetRolePolicy = resource(
    "aws:iam/rolePolicy:RolePolicy",
    "target-execution-policy",
    { role: targetRole.props.name, policy: JSON.stringify(executionPolicy) },
    { deps: { role: [targetRole] } },
  );
  const migration = bucketWithProtection("migration-bucket", MIGRATION_BUCKET, key, {
    lifecycle: true,
    policy: migrationBucketPolicy(MIGRATION_BUCKET, KEY_ARN),
  });
  const dags = bucketWithProtection("target-dags", DAG_BUCKET, key, {
    lifecycle: false,
    policy: tlsOnlyBucketPolicy(DAG_BUCKET, REGION),
  });
  const logging = {
    dagProcessingLogs: { enabled: true, logLevel: "WARNING" },
    schedulerLogs: { enabled: true, logLevel: "WARNING" },
    taskLogs: { enabled: true, logLevel: "INFO" },
    webserverLogs: { enabled: true, logLevel: "WARNING" },
    workerLogs: { enabled: true, logLevel: "WARNING" },
  };
  const target = resource(
    "aws:mwaa/environment:Environment",
    "target",
    {
      name: "target",
      airflowVersion: "2.10.3",
      executionRoleArn: targetRole.props.arn,
      sourceBucketArn: dags[0].props.arn,
      webserverAccessMode: "PRIVATE_ONLY",
      loggingConfiguration: logging,
    },
    { deps: { executionRoleArn: [targetRole], sourceBucketArn: [dags[0]] } },
  );
  const source = resource("aws:mwaa/environment:Environment", "source", {
    name: "source",
    airflowVersion: "2.10.3",
    executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/source-execution-role`,
    sourceBucketArn: "arn:aws:s3:::source-dags",
    webserverAccessMode: "PRIVATE_ONLY",
    loggingConfiguration: logging,
  });
  const exportGrant = resource("aws:iam/rolePolicy:RolePolicy", "export-grant", {
    role: "source-execution-role",
    policy: JSON.stringify(exportGrantPolicy(BUNDLE)),
  });
  const importGrant = resource(
    "aws:iam/rolePolicy:RolePolicy",
    "import-grant",
    {
      role: targetRole.props.name,
      policy: JSON.stringify(importGrantPolicy(BUNDLE)),
    },
    { deps: { role: [targetRole] } },
  );
  const resources = [
    key,
    targetRole,
    targetRolePolicy,
    ...migration,
    ...dags,
    target,
    source,
    exportGrant,
    importGrant,
  ];
  return {
    resources,
    byName(name: string) {
      const found = resources.find((r) => r.name === name);
      if (!found) throw new Error(`no fixture resource ${name}`);
      return found;
    },
  };
}

type Stack = ReturnType<typeof goodStack>;

/** Replaces a fixture resource's `policy` (a document object is passed as the engine passes JSON). */
export function setPolicy(stack: Stack, name: string, policy: unknown): PolicyResource[] {
  stack.byName(name).props.policy = typeof policy === "string" ? policy : JSON.stringify(policy);
  return stack.resources;
}

/** The stack's execution-role policy (the program's) with one more statement. */
export function withStatement(stack: Stack, statement: object): object {
  const d = JSON.parse(stack.byName("target-execution-policy").props.policy) as { Statement: object[] };
  return { ...d, Statement: [...d.Statement, statement] };
}

export function addToTarget(stack: Stack, extra: PolicyResource[]): PolicyResource[] {
  return [...stack.resources, ...extra];
}
