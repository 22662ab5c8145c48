/**
 * A migration stack that follows every policy, shaped as the engine passes it to stack policies
 * (outputs as props, links as values and propertyDependencies). Each test breaks one thing in it.
 */
import type { PolicyResource } from "@pulumi/policy";
import { resource } from "./engine";

export const ACCOUNT = "111122223333";
export const REGION = "us-east-1";
export const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b`;
export const MIGRATION_BUCKET = "mwaa-migration-bundle-a1b2c3";
export const DAG_BUCKET = "target-dags-d4e5f6";
export const PREFIX = "migration";

export const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });

export const MWAA_TRUST = doc({
  Effect: "Allow",
  Principal: { Service: ["airflow.amazonaws.com", "airflow-env.amazonaws.com"] },
  Action: "sts:AssumeRole",
});

/** MWAA's documented execution-role policy for a customer managed key, for environment `target`. */
export function documentedExecutionPolicy(env = "target", bucket = DAG_BUCKET): object {
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

export const tlsOnly = (bucket: string) =>
  doc({
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  });

export const exportGrantDocument = () =>
  doc(
    {
      Sid: "WriteBundle",
      Effect: "Allow",
      Action: ["s3:PutObject", "s3:AbortMultipartUpload"],
      Resource: `arn:aws:s3:::${MIGRATION_BUCKET}/${PREFIX}/*`,
    },
    {
      Sid: "EncryptBundle",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Encrypt", "kms:Decrypt"],
      Resource: KEY_ARN,
      Condition: { StringEquals: { "kms:ViaService": `s3.${REGION}.amazonaws.com` } },
    },
  );

export const importGrantDocument = (sourceEnv = "source") =>
  doc(
    {
      Sid: "ReadBundle",
      Effect: "Allow",
      Action: ["s3:GetObject"],
      Resource: `arn:aws:s3:::${MIGRATION_BUCKET}/${PREFIX}/*`,
    },
    {
      Sid: "ListBundle",
      Effect: "Allow",
      Action: "s3:ListBucket",
      Resource: `arn:aws:s3:::${MIGRATION_BUCKET}`,
      Condition: { StringLike: { "s3:prefix": `${PREFIX}/*` } },
    },
    {
      Sid: "DecryptBundle",
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: KEY_ARN,
      Condition: { StringEquals: { "kms:ViaService": `s3.${REGION}.amazonaws.com` } },
    },
    {
      Sid: "ReadSourceTaskLogs",
      Effect: "Allow",
      Action: ["logs:GetLogEvents", "logs:DescribeLogStreams"],
      Resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:airflow-${sourceEnv}-Task:*`,
    },
  );

function bucketWithProtection(
  logicalName: string,
  name: string,
  key: PolicyResource,
  options: { lifecycle: boolean },
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
      { bucket: name, policy: tlsOnly(name) },
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

/** Source environment read from AWS, target built by the stack, bucket, key and both grants. */
export function goodStack(): GoodStack {
  const key = resource("aws:kms/key:Key", "migration-key", { arn: KEY_ARN, keyId: KEY_ARN.split("/")[1] });
  const targetRole = resource("aws:iam/role:Role", "target-execution-role", {
    name: "target-execution-role-7c1",
    arn: `arn:aws:iam::${ACCOUNT}:role/target-execution-role-7c1`,
    assumeRolePolicy: MWAA_TRUST,
  });
  const targetRolePolicy = resource(
    "aws:iam/rolePolicy:RolePolicy",
    "target-execution-policy",
    { role: targetRole.props.name, policy: JSON.stringify(documentedExecutionPolicy()) },
    { deps: { role: [targetRole] } },
  );
  const migration = bucketWithProtection("migration-bucket", MIGRATION_BUCKET, key, { lifecycle: true });
  const dags = bucketWithProtection("target-dags", DAG_BUCKET, key, { lifecycle: false });
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
    policy: exportGrantDocument(),
  });
  const importGrant = resource(
    "aws:iam/rolePolicy:RolePolicy",
    "import-grant",
    { role: targetRole.props.name, policy: importGrantDocument() },
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

/** MWAA's documented execution-role policy with one more statement. */
export function withStatement(statement: object): object {
  const d = documentedExecutionPolicy() as { Statement: object[] };
  return { ...d, Statement: [...d.Statement, statement] };
}

export function addToTarget(stack: Stack, extra: PolicyResource[]): PolicyResource[] {
  return [...stack.resources, ...extra];
}
