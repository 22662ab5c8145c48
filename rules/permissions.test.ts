import * as assert from "node:assert/strict";
import { assertNoWildcardAllows } from "../test/support/policyAssertions";
import {
  deployerPolicy,
  executionRolePolicy,
  executionRoleTrustPolicy,
  exportGrantPolicy,
  importGrantPolicy,
  migrationBucketPolicy,
} from "./permissions";

const scope = {
  region: "us-east-1",
  account: "123456789012",
  environmentName: "airflow-2-11",
  dagBucketName: "airflow-2-11-dags-1234",
};

describe("IAM policy documents", () => {
  describe("execution role", () => {
    const policy = executionRolePolicy(scope);
    const bySid = (sid: string) => policy.Statement.find((s) => s.Sid === sid)!;

    it("has no wildcard actions and uses * only for unscopable actions", () => {
      assertNoWildcardAllows(policy.Statement);
    });

    it("scopes metrics to the environment, S3 to its bucket, logs to its log groups, SQS to Celery queues", () => {
      assert.equal(
        bySid("PublishEnvironmentMetrics").Resource,
        "arn:aws:airflow:us-east-1:123456789012:environment/airflow-2-11",
      );
      assert.deepEqual(bySid("ReadDagBucket").Resource, [
        "arn:aws:s3:::airflow-2-11-dags-1234",
        "arn:aws:s3:::airflow-2-11-dags-1234/*",
      ]);
      assert.ok(
        !bySid("ReadDagBucket").Action.some((a) => a.startsWith("s3:Put") || a.startsWith("s3:Delete")),
      );
      assert.deepEqual(bySid("WriteEnvironmentLogs").Resource, [
        "arn:aws:logs:us-east-1:123456789012:log-group:airflow-airflow-2-11-*",
      ]);
      assert.equal(bySid("CeleryQueues").Resource, "arn:aws:sqs:us-east-1:*:airflow-celery-*");
    });

    it("uses KMS only through SQS, on AWS-owned keys unless a key is given", () => {
      const owned = bySid("EncryptionWithAwsOwnedKey");
      assert.equal(owned.NotResource, "arn:aws:kms:*:123456789012:key/*");
      assert.deepEqual(owned.Condition, {
        StringLike: { "kms:ViaService": ["sqs.us-east-1.amazonaws.com"] },
      });
      const key = "arn:aws:kms:us-east-1:123456789012:key/abcd";
      const withKey = executionRolePolicy({ ...scope, kmsKeyArn: key }).Statement.find(
        (s) => s.Sid === "EncryptionWithEnvironmentKey",
      )!;
      assert.equal(withKey.Resource, key);
      assert.deepEqual(withKey.Condition!.StringLike["kms:ViaService"], [
        "sqs.us-east-1.amazonaws.com",
        "s3.us-east-1.amazonaws.com",
      ]);
    });

    it("trusts only MWAA's service principals, for this environment in this account", () => {
      const trust = executionRoleTrustPolicy("123456789012", "us-east-1", "airflow-2-11");
      assert.equal(trust.Statement.length, 1);
      assert.deepEqual(trust.Statement[0].Principal, {
        Service: ["airflow.amazonaws.com", "airflow-env.amazonaws.com"],
      });
      assert.equal(trust.Statement[0].Condition.StringEquals["aws:SourceAccount"], "123456789012");
    });
  });

  describe("migration grants", () => {
    const bundle = { bucketName: "mig-bucket", prefix: "migration", keyArn: "arn:aws:kms:us-east-1:1:key/k" };
    it("lets the source only write bundle objects and encrypt with the migration key", () => {
      const policy = exportGrantPolicy(bundle);
      assertNoWildcardAllows(policy.Statement);
      const actions = policy.Statement.flatMap((s) => s.Action);
      assert.ok(!actions.some((a) => /^s3:(Get|List|Delete)/.test(a)), actions.join());
      assert.equal(policy.Statement[0].Resource, "arn:aws:s3:::mig-bucket/migration/*");
      assert.equal(policy.Statement[1].Resource, bundle.keyArn);
    });
    it("lets S3 complete the export's multipart uploads under the migration key, through S3 only", () => {
      const kms = exportGrantPolicy(bundle).Statement.find((s) => s.Sid === "EncryptWithMigrationKey")!;
      assert.ok(kms.Action.includes("kms:GenerateDataKey") && kms.Action.includes("kms:Decrypt"));
      assert.deepEqual(kms.Condition, { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } });
    });
    it("lets the target read and decrypt bundles and write only its import reports; it reads no log", () => {
      const policy = importGrantPolicy(bundle);
      assertNoWildcardAllows(policy.Statement);
      const writes = policy.Statement.filter((s) => s.Action.some((a) => /^s3:(Put|Delete|Abort)/.test(a)));
      assert.deepEqual(
        writes.map((s) => [s.Action, s.Resource]),
        [[["s3:PutObject"], "arn:aws:s3:::mig-bucket/migration/*/import-report.json"]],
      );
      const actions = policy.Statement.flatMap((s) => s.Action);
      assert.ok(!actions.some((a) => /^s3:Delete|kms:Encrypt|^logs:/.test(a)), actions.join());
    });
  });

  it("the bucket policy denies non-TLS requests and PUTs with other encryption or another key", () => {
    const policy = migrationBucketPolicy("mig-bucket", "arn:aws:kms:us-east-1:1:key/k");
    assert.ok(policy.Statement.every((s) => s.Effect === "Deny" && s.Principal === "*"));
    const [tls, encryption, key, awsManaged] = policy.Statement;
    assert.deepEqual(tls.Condition, { Bool: { "aws:SecureTransport": "false" } });
    assert.deepEqual(encryption.Condition, {
      StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption": "aws:kms" },
    });
    assert.deepEqual(key.Condition, {
      StringNotEqualsIfExists: {
        "s3:x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:us-east-1:1:key/k",
      },
    });
    // SSE-KMS named without a key would be encrypted with aws/s3, not the migration key.
    assert.deepEqual(awsManaged.Condition, {
      StringEquals: { "s3:x-amz-server-side-encryption": "aws:kms" },
      Null: { "s3:x-amz-server-side-encryption-aws-kms-key-id": "true" },
    });
    assert.equal(policy.Statement.length, 4);
  });

  it("the deployer policy reaches Airflow only as the Admin role of the two environments", () => {
    const policy = deployerPolicy({
      region: "us-east-1",
      account: "123456789012",
      targetEnvironmentName: "airflow-2-11",
      sourceEnvironmentName: "legacy-airflow",
    });
    assertNoWildcardAllows(policy.Statement);
    const rest = policy.Statement.find((s) => s.Action.includes("airflow:InvokeRestApi"))!;
    assert.deepEqual(rest.Resource, [
      "arn:aws:airflow:us-east-1:123456789012:role/airflow-2-11/Admin",
      "arn:aws:airflow:us-east-1:123456789012:role/legacy-airflow/Admin",
    ]);
  });
});
