import * as assert from "node:assert/strict";
import { MOCK_ACCOUNT, legacyAirflowFixture } from "../support/awsMocks";
import { assertNoWildcardAllows } from "../support/policyAssertions";
import { StackRun, loadDevConfig, runStackWithOutputs } from "../support/stackUnderMocks";

/**
 * Every statement of every IAM document the dev stack writes (role trust, role policies, bucket
 * policies, and the deployer policy it outputs), each compared in full with what it must say. A
 * statement added, dropped or widened anywhere fails here, by document and Sid.
 */

interface Statement {
  Sid?: string;
  Effect: string;
  Principal?: unknown;
  Action: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: unknown;
}

type Expected = Record<string, Omit<Statement, "Sid">>;

const REGION = "us-east-1";
const TARGET = "airflow-2-11";
const SOURCE = legacyAirflowFixture(REGION);
const SOURCE_TASK_LOGS = `arn:aws:logs:${REGION}:${MOCK_ACCOUNT}:log-group:airflow-legacy-airflow-Task`;
const VIA_S3 = { StringEquals: { "kms:ViaService": `s3.${REGION}.amazonaws.com` } };

/** The documents the dev stack writes, keyed by carrier (resource name or stack output). */
function documents(run: StackRun): Map<string, Statement[]> {
  const found = new Map<string, Statement[]>();
  for (const r of run.resources.filter((res) => !res.read)) {
    for (const input of ["policy", "assumeRolePolicy"]) {
      if (typeof r.inputs[input] === "string") found.set(r.name, JSON.parse(r.inputs[input]).Statement);
    }
  }
  found.set("output deployerPolicy", JSON.parse(run.outputs.deployerPolicy).Statement);
  return found;
}

function expectations(run: StackRun): Record<string, Expected> {
  const dagBucket = `arn:aws:s3:::${run.outputs.targetDagBucket}`;
  const migrationBucket = `arn:aws:s3:::${run.outputs.migrationBucketName}`;
  const key = run.outputs.migrationKeyArn as string;
  const targetEnvArn = `arn:aws:airflow:${REGION}:${MOCK_ACCOUNT}:environment/${TARGET}`;
  const sourceEnvArn = `arn:aws:airflow:${REGION}:${MOCK_ACCOUNT}:environment/legacy-airflow`;
  const stackRoles = `arn:aws:iam::${MOCK_ACCOUNT}:role/mwaa-migration/*`;
  const tlsOnly = (bucket: string) => ({
    Effect: "Deny",
    Principal: "*",
    Action: ["s3:*"],
    Resource: [bucket, `${bucket}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  });
  const denyPut = (condition: unknown) => ({
    Effect: "Deny",
    Principal: "*",
    Action: ["s3:PutObject"],
    Resource: `${migrationBucket}/*`,
    Condition: condition,
  });
  return {
    "dev-migration-target-execution-role": {
      AssumedByMwaaForThisEnvironment: {
        Effect: "Allow",
        Principal: { Service: ["airflow.amazonaws.com", "airflow-env.amazonaws.com"] },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT },
          ArnLike: { "aws:SourceArn": targetEnvArn },
        },
      },
    },
    "dev-migration-target-execution-policy": {
      PublishEnvironmentMetrics: {
        Effect: "Allow",
        Action: ["airflow:PublishMetrics"],
        Resource: targetEnvArn,
      },
      DenyListingOtherBuckets: {
        Effect: "Deny",
        Action: ["s3:ListAllMyBuckets"],
        Resource: [dagBucket, `${dagBucket}/*`],
      },
      ReadDagBucket: {
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
        Resource: [dagBucket, `${dagBucket}/*`],
      },
      WriteEnvironmentLogs: {
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
        Resource: [`arn:aws:logs:${REGION}:${MOCK_ACCOUNT}:log-group:airflow-${TARGET}-*`],
      },
      DescribeLogGroups: { Effect: "Allow", Action: ["logs:DescribeLogGroups"], Resource: "*" },
      CheckAccountPublicAccessBlock: {
        Effect: "Allow",
        Action: ["s3:GetAccountPublicAccessBlock"],
        Resource: "*",
      },
      PutMetrics: { Effect: "Allow", Action: ["cloudwatch:PutMetricData"], Resource: "*" },
      CeleryQueues: {
        Effect: "Allow",
        Action: [
          "sqs:ChangeMessageVisibility",
          "sqs:DeleteMessage",
          "sqs:GetQueueAttributes",
          "sqs:GetQueueUrl",
          "sqs:ReceiveMessage",
          "sqs:SendMessage",
        ],
        // MWAA's Celery queues live in an account of the service's, hence the account wildcard.
        Resource: `arn:aws:sqs:${REGION}:*:airflow-celery-*`,
      },
      EncryptionWithAwsOwnedKey: {
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey", "kms:Encrypt"],
        NotResource: `arn:aws:kms:*:${MOCK_ACCOUNT}:key/*`,
        Condition: { StringLike: { "kms:ViaService": [`sqs.${REGION}.amazonaws.com`] } },
      },
    },
    "dev-migration-grants-source-export": {
      WriteExportBundle: {
        Effect: "Allow",
        Action: ["s3:PutObject", "s3:AbortMultipartUpload"],
        Resource: `${migrationBucket}/migration/*`,
      },
      EncryptWithMigrationKey: {
        Effect: "Allow",
        Action: ["kms:GenerateDataKey", "kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"],
        Resource: key,
        Condition: VIA_S3,
      },
    },
    "dev-migration-grants-target-import": {
      ReadExportBundle: {
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:GetObjectVersion"],
        Resource: `${migrationBucket}/migration/*`,
      },
      ListExportBundle: {
        Effect: "Allow",
        Action: ["s3:ListBucket"],
        Resource: migrationBucket,
        Condition: { StringLike: { "s3:prefix": ["migration/*"] } },
      },
      WriteImportReport: {
        Effect: "Allow",
        Action: ["s3:PutObject"],
        Resource: `${migrationBucket}/migration/*/import-report.json`,
      },
      UseMigrationKeyThroughS3: {
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"],
        Resource: key,
        Condition: VIA_S3,
      },
      ReadSourceTaskLogs: {
        Effect: "Allow",
        Action: ["logs:GetLogEvents", "logs:DescribeLogStreams"],
        Resource: [SOURCE_TASK_LOGS, `${SOURCE_TASK_LOGS}:log-stream:*`],
      },
    },
    "dev-migration-bucket-policy": {
      DenyInsecureTransport: tlsOnly(migrationBucket),
      DenyPutWithOtherEncryption: denyPut({
        StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption": "aws:kms" },
      }),
      DenyPutWithOtherKey: denyPut({
        StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption-aws-kms-key-id": key },
      }),
      DenyPutWithAwsManagedKey: denyPut({
        StringEquals: { "s3:x-amz-server-side-encryption": "aws:kms" },
        Null: { "s3:x-amz-server-side-encryption-aws-kms-key-id": "true" },
      }),
    },
    "dev-migration-target-dags-policy": { DenyInsecureTransport: tlsOnly(dagBucket) },
    "output deployerPolicy": {
      ReadEnvironments: {
        Effect: "Allow",
        Action: ["airflow:GetEnvironment"],
        Resource: [targetEnvArn, sourceEnvArn],
      },
      ManageTargetEnvironment: {
        Effect: "Allow",
        Action: [
          "airflow:CreateEnvironment",
          "airflow:UpdateEnvironment",
          "airflow:DeleteEnvironment",
          "airflow:TagResource",
          "airflow:UntagResource",
          "airflow:ListTagsForResource",
        ],
        Resource: targetEnvArn,
      },
      ReachAirflowAsAdmin: {
        Effect: "Allow",
        Action: ["airflow:InvokeRestApi", "airflow:CreateWebLoginToken"],
        Resource: [
          `arn:aws:airflow:${REGION}:${MOCK_ACCOUNT}:role/${TARGET}/Admin`,
          `arn:aws:airflow:${REGION}:${MOCK_ACCOUNT}:role/legacy-airflow/Admin`,
        ],
      },
      RunAirflowCli: {
        Effect: "Allow",
        Action: ["airflow:CreateCliToken"],
        Resource: [targetEnvArn, sourceEnvArn],
      },
      PassTargetExecutionRole: {
        Effect: "Allow",
        Action: ["iam:PassRole"],
        Resource: stackRoles,
        Condition: { StringEquals: { "iam:PassedToService": "airflow.amazonaws.com" } },
      },
      MigrationGrantsOnExecutionRoles: {
        Effect: "Allow",
        Action: ["iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:GetRolePolicy"],
        Resource: [stackRoles, SOURCE.executionRoleArn],
      },
    },
  };
}

describe("every IAM statement of the dev stack", () => {
  let run: StackRun;
  let found: Map<string, Statement[]>;
  let expected: Record<string, Expected>;

  before(async () => {
    run = await runStackWithOutputs(loadDevConfig());
    found = documents(run);
    expected = expectations(run);
  });

  it("the stack writes exactly the expected policy documents", () => {
    assert.deepEqual([...found.keys()].sort(), Object.keys(expected).sort());
  });

  it("each document has exactly the expected statements, each in full", () => {
    for (const [carrier, statements] of found) {
      const want = expected[carrier];
      assert.deepEqual(
        statements.map((s) => String(s.Sid)),
        Object.keys(want),
        `${carrier}: statements (by Sid)`,
      );
      for (const statement of statements) {
        const { Sid, ...rest } = statement;
        assert.deepEqual(rest, want[String(Sid)], `${carrier} ${Sid}`);
      }
    }
  });

  it("no identity policy allows a wildcard action or an unscoped resource", () => {
    // The trust policy and the bucket policies are resource policies: scoped by principal, Deny only.
    for (const carrier of [
      "dev-migration-target-execution-policy",
      "dev-migration-grants-source-export",
      "dev-migration-grants-target-import",
      "output deployerPolicy",
    ]) {
      assertNoWildcardAllows(found.get(carrier)!, carrier);
    }
  });

  it("the execution role names nothing of the source, and the grants nothing outside the bundle, key and source logs", () => {
    const execution = JSON.stringify(found.get("dev-migration-target-execution-policy"));
    assert.ok(!execution.includes("legacy-airflow"), execution);
    const key = run.outputs.migrationKeyArn as string;
    const bundle = `arn:aws:s3:::${run.outputs.migrationBucketName}`;
    for (const grant of ["dev-migration-grants-source-export", "dev-migration-grants-target-import"]) {
      for (const statement of found.get(grant)!) {
        for (const resource of ([] as string[]).concat(statement.Resource ?? [])) {
          const inScope =
            resource === key || resource.startsWith(bundle) || resource.startsWith(SOURCE_TASK_LOGS);
          assert.ok(inScope, `${grant} ${statement.Sid} reaches ${resource}`);
        }
      }
    }
  });
});
