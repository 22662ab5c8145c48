import * as assert from "node:assert/strict";
import { MOCK_ACCOUNT, legacyAirflowFixture } from "../support/awsMocks";
import {
  Document,
  Request,
  UNSCOPABLE_ACTIONS,
  allowedActions,
  assertActionsWithin,
  assertAllows,
  assertDenies,
  assertDoesNotAllow,
  assertDoesNotDeny,
  assertNoWildcardAllows,
} from "../support/policyAssertions";
import { StackRun, loadDevConfig, runStackWithOutputs } from "../support/stackUnderMocks";

/**
 * Every IAM document the dev stack writes (the execution role's trust and policy, the two grants, the
 * two bucket policies, and the deployer policy it outputs), judged by what it lets through: requests
 * the migration needs must be allowed, requests outside each document's purpose must not be, and the
 * bucket policies must deny what they exist to deny and nothing the migration does. Nothing here
 * restates the builders' text, so a statement may be reworded freely; widened (a `*` resource, an
 * extra action, a dropped condition), it fails.
 */

const REGION = "us-east-1";
const ACCOUNT = MOCK_ACCOUNT;
/** An account of AWS's own, where MWAA keeps its Celery queues and AWS-owned keys. */
const SERVICE_ACCOUNT = "999988887777";
const TARGET = "airflow-2-11";
const SOURCE = legacyAirflowFixture(REGION);
const PREFIX = "migration";

const envArn = (name: string) => `arn:aws:airflow:${REGION}:${ACCOUNT}:environment/${name}`;
const airflowRoleArn = (env: string, role: string) =>
  `arn:aws:airflow:${REGION}:${ACCOUNT}:role/${env}/${role}`;
const logGroupArn = (group: string) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${group}`;
const s3 = (bucket: string, key?: string) => `arn:aws:s3:::${bucket}${key === undefined ? "" : `/${key}`}`;
const secretArn = (nameWithSuffix: string) =>
  `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${nameWithSuffix}`;
const viaS3 = { "kms:ViaService": `s3.${REGION}.amazonaws.com` };
const viaSqs = { "kms:ViaService": `sqs.${REGION}.amazonaws.com` };
const OTHER_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/0a0b0c0d-1111-2222-3333-444455556666`;
const AWS_OWNED_KEY = `arn:aws:kms:${REGION}:${SERVICE_ACCOUNT}:key/9f8e7d6c-5555-4444-3333-222211110000`;
const SOURCE_BUCKET = SOURCE.sourceBucketArn.replace("arn:aws:s3:::", "");
const SOURCE_TASK_LOGS = logGroupArn(`airflow-${SOURCE.name}-Task`);
const TARGET_TASK_LOGS = logGroupArn(`airflow-${TARGET}-Task`);

const ask = (action: string, resource: string, context?: Record<string, string>): Request => ({
  action,
  resource,
  context,
});
const asks = (actions: string[], resource: string, context?: Record<string, string>) =>
  actions.map((a) => ask(a, resource, context));

/** The documents of one run, by what carries them, and the names they should be scoped to. */
interface Written {
  documents: Map<string, Document>;
  dagBucket: string;
  migrationBucket: string;
  migrationKey: string;
}

function written(run: StackRun): Written {
  const documents = new Map<string, Document>();
  for (const r of run.resources.filter((res) => !res.read)) {
    for (const input of ["policy", "assumeRolePolicy"]) {
      if (typeof r.inputs[input] === "string") documents.set(r.name, JSON.parse(r.inputs[input]));
    }
  }
  documents.set("output deployerPolicy", JSON.parse(run.outputs.deployerPolicy));
  return {
    documents,
    dagBucket: run.outputs.targetDagBucket,
    migrationBucket: run.outputs.migrationBucketName,
    migrationKey: run.outputs.migrationKeyArn,
  };
}

const CARRIERS = {
  trust: "dev-migration-target-execution-role",
  execution: "dev-migration-target-execution-policy",
  exportGrant: "dev-migration-grants-source-export",
  importGrant: "dev-migration-grants-target-import",
  migrationBucket: "dev-migration-bucket-policy",
  dagBucket: "dev-migration-target-dags-policy",
  deployer: "output deployerPolicy",
  webUiAnalysts: "dev-migration-web-ui-group-Analysts",
  webUiDataEngineers: "dev-migration-web-ui-sso-DataEngineers",
};

/** A context in which every condition the program writes holds, so a probe tests the resource alone. */
function everyConditionMet(w: Written): Record<string, string>[] {
  const common = {
    "s3:prefix": `${PREFIX}/exp-1/`,
    "iam:PassedToService": "airflow.amazonaws.com",
    "aws:SecureTransport": "true",
    "aws:SourceAccount": ACCOUNT,
    "aws:SourceArn": envArn(TARGET),
    "s3:x-amz-server-side-encryption": "aws:kms",
    "s3:x-amz-server-side-encryption-aws-kms-key-id": w.migrationKey,
  };
  return [
    { ...common, ...viaS3 },
    { ...common, ...viaSqs },
  ];
}

/**
 * No action the document allows reaches any of `foreign` of its own service, whatever the conditions: a
 * statement whose resource is widened to `*` or a wildcard ARN fails here. Every action must meet at
 * least one foreign resource of its service, so a new service in a document needs its own here.
 * `except` are the actions MWAA documents on any resource.
 */
function assertReachesNoneOf(
  w: Written,
  doc: Document,
  foreign: string[],
  label: string,
  except: string[] = [],
) {
  const actions = allowedActions(doc).filter((a) => !except.includes(a));
  assert.ok(actions.length > 0, `${label} allows nothing`);
  for (const action of actions) {
    const service = action.split(":")[0].toLowerCase();
    const ofService = foreign.filter((r) => r.split(":")[2] === service);
    assert.ok(ofService.length > 0, `${label}: no foreign ${service} resource to probe ${action} with`);
    for (const context of everyConditionMet(w))
      for (const resource of ofService) assertDoesNotAllow(doc, [ask(action, resource, context)], label);
  }
}

/** Every statement of a bucket policy is a Deny for everyone: the policy takes access away, never gives it. */
function assertOnlyDenies(doc: Document, label: string) {
  for (const s of doc.Statement) {
    assert.equal(s.Effect, "Deny", `${label} ${s.Sid}: a bucket policy statement that grants`);
    assert.equal(s.Principal, "*", `${label} ${s.Sid}: applies to some principals only`);
  }
}

describe("the IAM documents the dev stack writes", () => {
  let w: Written;
  let withKey: Written;
  const ENV_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/5d2c7a9e-0b1f-4c3d-9e8a-7f6b5c4d3e2a`;
  const doc = (which: keyof typeof CARRIERS, from: Written = w) => {
    const found = from.documents.get(CARRIERS[which]);
    assert.ok(found, `the stack writes no ${CARRIERS[which]}`);
    return found;
  };

  before(async () => {
    w = written(await runStackWithOutputs(loadDevConfig()));
    withKey = written(await runStackWithOutputs({ ...loadDevConfig(), "mwaa-migration:kmsKeyArn": ENV_KEY }));
  });

  it("writes these documents and no other (a new one needs its properties stated here)", () => {
    assert.deepEqual([...w.documents.keys()].sort(), Object.values(CARRIERS).sort());
  });

  describe("the target's execution role", () => {
    const mwaa = (service: string, context: Record<string, string>): Request => ({
      action: "sts:AssumeRole",
      resource: `arn:aws:iam::${ACCOUNT}:role/mwaa-migration/target-execution-role`,
      principal: { kind: "Service", id: service },
      context,
    });
    const forTarget = { "aws:SourceAccount": ACCOUNT, "aws:SourceArn": envArn(TARGET) };

    it("is assumed by MWAA's two service principals, for the target environment in this account", () => {
      assertAllows(
        doc("trust"),
        [mwaa("airflow.amazonaws.com", forTarget), mwaa("airflow-env.amazonaws.com", forTarget)],
        "trust",
      );
    });

    it("is not assumed for another environment, from another account, without MWAA's context, or by anyone else", () => {
      assertDoesNotAllow(
        doc("trust"),
        [
          mwaa("airflow.amazonaws.com", { ...forTarget, "aws:SourceArn": envArn(SOURCE.name) }),
          mwaa("airflow-env.amazonaws.com", { ...forTarget, "aws:SourceAccount": SERVICE_ACCOUNT }),
          mwaa("airflow.amazonaws.com", { "aws:SourceAccount": ACCOUNT }),
          mwaa("airflow-env.amazonaws.com", { "aws:SourceArn": envArn(TARGET) }),
          mwaa("airflow.amazonaws.com", {}),
          mwaa("ec2.amazonaws.com", forTarget),
          { ...mwaa("", forTarget), principal: { kind: "AWS", id: `arn:aws:iam::${ACCOUNT}:root` } },
          { ...mwaa("", forTarget), principal: { kind: "AWS", id: `arn:aws:iam::${SERVICE_ACCOUNT}:root` } },
        ],
        "trust",
      );
      for (const s of doc("trust").Statement) assert.equal(s.NotPrincipal, undefined, `trust ${s.Sid}`);
    });

    it("lets the environment read its DAG bucket, write its own logs and metrics, and work its Celery queues", () => {
      const bucket = w.dagBucket;
      assertAllows(
        doc("execution"),
        [
          ask("airflow:PublishMetrics", envArn(TARGET)),
          ...asks(["s3:GetObject", "s3:GetObjectVersion"], s3(bucket, "dags/daily_sales_report.py")),
          ...asks(["s3:ListBucket", "s3:GetBucketLocation", "s3:GetBucketPublicAccessBlock"], s3(bucket)),
          ask("s3:GetAccountPublicAccessBlock", "*"),
          ...asks(
            ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:GetLogEvents"],
            `${TARGET_TASK_LOGS}:log-stream:dag_id=etl/run_id=r1/task_id=t/attempt=1.log`,
          ),
          ask("logs:PutLogEvents", `${logGroupArn(`airflow-${TARGET}-Scheduler`)}:log-stream:s`),
          ask("logs:DescribeLogGroups", "*"),
          ask("cloudwatch:PutMetricData", "*"),
          ...asks(
            ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueUrl"],
            `arn:aws:sqs:${REGION}:${SERVICE_ACCOUNT}:airflow-celery-3f9a1c2e`,
          ),
          ...asks(["kms:Decrypt", "kms:GenerateDataKey"], AWS_OWNED_KEY, viaSqs),
        ],
        "execution policy",
      );
    });

    it("grants nothing beyond MWAA's documented execution-role actions, and no write to the DAG bucket", () => {
      assertNoWildcardAllows(doc("execution").Statement, "execution policy");
      // MWAA's documented actions, written out rather than read from the builder they bound.
      assertActionsWithin(
        doc("execution"),
        [
          "airflow:PublishMetrics",
          "s3:Get*",
          "s3:List*",
          "logs:CreateLogStream",
          "logs:CreateLogGroup",
          "logs:PutLogEvents",
          "logs:GetLogEvents",
          "logs:GetLogRecord",
          "logs:GetLogGroupFields",
          "logs:GetQueryResults",
          "logs:DescribeLogGroups",
          "cloudwatch:PutMetricData",
          "sqs:ChangeMessageVisibility",
          "sqs:DeleteMessage",
          "sqs:GetQueueAttributes",
          "sqs:GetQueueUrl",
          "sqs:ReceiveMessage",
          "sqs:SendMessage",
          "kms:Decrypt",
          "kms:DescribeKey",
          "kms:GenerateDataKey*",
          "kms:Encrypt",
          // The source's Secrets Manager backend, carried by the clone (scoped to its prefixes below).
          "secretsmanager:GetSecretValue",
          "secretsmanager:DescribeSecret",
        ],
        "execution policy",
      );
      const dags = s3(w.dagBucket, "dags/daily_sales_report.py");
      assertDoesNotAllow(
        doc("execution"),
        [
          ...asks(["s3:PutObject", "s3:DeleteObject", "s3:PutObjectAcl"], dags),
          ask("s3:PutBucketPolicy", s3(w.dagBucket)),
          ask("s3:ListAllMyBuckets", "*"),
          ask("iam:PassRole", "*"),
          ask("sts:AssumeRole", "*"),
        ],
        "execution policy",
      );
    });

    it("reaches nothing of the source, the migration bundle or anyone else", () => {
      assertReachesNoneOf(
        w,
        doc("execution"),
        [
          s3(SOURCE_BUCKET),
          s3(SOURCE_BUCKET, "dags/etl.py"),
          s3(w.migrationBucket),
          s3(w.migrationBucket, `${PREFIX}/exp-1/tables/connection.csv.gz`),
          s3("someone-elses-bucket", "dags/etl.py"),
          envArn(SOURCE.name),
          envArn("someone-elses-env"),
          `${SOURCE_TASK_LOGS}:log-stream:x`,
          logGroupArn("airflow-someone-elses-env-Task"),
          `arn:aws:sqs:${REGION}:${ACCOUNT}:someone-elses-queue`,
          `arn:aws:sqs:eu-west-1:${SERVICE_ACCOUNT}:airflow-celery-3f9a1c2e`,
          OTHER_KEY,
          w.migrationKey,
          `arn:aws:iam::${ACCOUNT}:role/Admin`,
          secretArn("prod/db-password-AbCdEf"),
          secretArn("airflow/connections_legacy/db-AbCdEf"),
          secretArn("other/airflow/connections/db-AbCdEf"),
          `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:airflow/connections/db-AbCdEf`,
        ],
        "execution policy",
        UNSCOPABLE_ACTIONS,
      );
      assert.ok(
        !JSON.stringify(doc("execution")).includes(SOURCE.name),
        "the execution policy names the source",
      );
    });

    it("reads the secrets under the prefixes of the backend the clone carried from the source, and no other", () => {
      // The source's kwargs name connections and variables prefixes and leave config to Airflow's default.
      assertAllows(
        doc("execution"),
        ["airflow/connections/warehouse-AbCdEf", "airflow/variables/region-AbCdEf", "airflow/config/x-AbCdEf"]
          .map(secretArn)
          .flatMap((secret) =>
            asks(["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], secret),
          ),
        "execution policy",
      );
      assertDoesNotAllow(
        doc("execution"),
        [
          ask("secretsmanager:PutSecretValue", secretArn("airflow/connections/warehouse-AbCdEf")),
          ask("secretsmanager:ListSecrets", "*"),
        ],
        "execution policy",
      );
    });

    it("uses AWS-owned keys only through SQS, and a customer-managed key only through SQS or S3", () => {
      assertDoesNotAllow(
        doc("execution"),
        [
          ask("kms:Decrypt", AWS_OWNED_KEY),
          ask("kms:Decrypt", AWS_OWNED_KEY, viaS3),
          ask("kms:Decrypt", AWS_OWNED_KEY, { "kms:ViaService": `sqs.eu-west-1.amazonaws.com` }),
        ],
        "execution policy",
      );
      const keyed = doc("execution", withKey);
      assertAllows(
        keyed,
        [
          ...asks(["kms:Decrypt", "kms:GenerateDataKey"], ENV_KEY, viaSqs),
          ask("kms:Decrypt", ENV_KEY, viaS3),
        ],
        "execution policy with a key",
      );
      assertDoesNotAllow(
        keyed,
        [
          ask("kms:Decrypt", ENV_KEY),
          ask("kms:Decrypt", ENV_KEY, { "kms:ViaService": `lambda.${REGION}.amazonaws.com` }),
          ask("kms:Decrypt", OTHER_KEY, viaSqs),
          ask("kms:Decrypt", AWS_OWNED_KEY, viaSqs),
          ask("kms:CreateGrant", ENV_KEY, viaSqs),
        ],
        "execution policy with a key",
      );
    });
  });

  describe("the export grant (on the source's role)", () => {
    const bundle = (key: string) => s3(w.migrationBucket, `${PREFIX}/exp-1/${key}`);

    it("lets the source write the bundle's tables and manifest under the migration key, through S3", () => {
      assertAllows(
        doc("exportGrant"),
        [
          ...asks(["s3:PutObject", "s3:AbortMultipartUpload"], bundle("tables/dag_run.csv.gz")),
          ask("s3:PutObject", bundle("manifest.json")),
          ...asks(["kms:GenerateDataKey", "kms:Decrypt"], w.migrationKey, viaS3),
        ],
        "export grant",
      );
    });

    it("writes only: no read, list or delete of the bundle", () => {
      assertNoWildcardAllows(doc("exportGrant").Statement, "export grant");
      // Written out from the grant's purpose, not read from the builder it bounds nor from the pack's facts.
      assertActionsWithin(
        doc("exportGrant"),
        [
          "s3:PutObject",
          "s3:AbortMultipartUpload",
          "s3:ListMultipartUploadParts",
          "kms:GenerateDataKey",
          "kms:Encrypt",
          "kms:Decrypt",
          "kms:DescribeKey",
        ],
        "export grant",
      );
      assertDoesNotAllow(
        doc("exportGrant"),
        [
          ...asks(["s3:GetObject", "s3:DeleteObject", "s3:PutObjectAcl"], bundle("manifest.json")),
          ask("s3:ListBucket", s3(w.migrationBucket), { "s3:prefix": `${PREFIX}/` }),
        ],
        "export grant",
      );
    });

    it("reaches nothing outside the bundle prefix and the key, and the key only through S3", () => {
      assertReachesNoneOf(
        w,
        doc("exportGrant"),
        [
          s3(w.migrationBucket, "elsewhere/manifest.json"),
          s3(w.migrationBucket, "manifest.json"),
          s3(w.migrationBucket),
          s3(w.dagBucket, "dags/etl.py"),
          s3(SOURCE_BUCKET, "dags/etl.py"),
          s3("someone-elses-bucket", `${PREFIX}/exp-1/manifest.json`),
          OTHER_KEY,
          `${SOURCE_TASK_LOGS}:log-stream:x`,
        ],
        "export grant",
      );
      assertDoesNotAllow(
        doc("exportGrant"),
        [
          ask("kms:Decrypt", w.migrationKey),
          ask("kms:GenerateDataKey", w.migrationKey, viaSqs),
          ask("kms:Decrypt", w.migrationKey, { "kms:ViaService": "s3.eu-west-1.amazonaws.com" }),
        ],
        "export grant",
      );
    });
  });

  describe("the import grant (on the target's role)", () => {
    const bundle = (key: string) => s3(w.migrationBucket, `${PREFIX}/exp-1/${key}`);
    const stream = `${SOURCE_TASK_LOGS}:log-stream:dag_id=etl/run_id=scheduled__2024-05-01T00_00_00+00_00/task_id=load/attempt=1.log`;

    it("lets the target list and read the bundle, write its report and decrypt through S3", () => {
      assertAllows(
        doc("importGrant"),
        [
          ...asks(["s3:GetObject", "s3:GetObjectVersion"], bundle("tables/dag_run.csv.gz")),
          ask("s3:GetObject", bundle("manifest.json")),
          ask("s3:ListBucket", s3(w.migrationBucket), { "s3:prefix": `${PREFIX}/exp-1/` }),
          ask("s3:PutObject", bundle("import-report.json")),
          ...asks(["kms:Decrypt", "kms:GenerateDataKey"], w.migrationKey, viaS3),
        ],
        "import grant",
      );
    });

    it("writes nothing but its report: no stream, manifest or delete; no listing outside the prefix", () => {
      assertNoWildcardAllows(doc("importGrant").Statement, "import grant");
      // Written out from the grant's purpose, not read from the builder it bounds nor from the pack's facts.
      assertActionsWithin(
        doc("importGrant"),
        [
          "s3:GetObject",
          "s3:GetObjectVersion",
          "s3:ListBucket",
          "s3:PutObject",
          "kms:Decrypt",
          "kms:DescribeKey",
          "kms:GenerateDataKey",
        ],
        "import grant",
      );
      assertDoesNotAllow(
        doc("importGrant"),
        [
          ...asks(["s3:PutObject"], bundle("manifest.json")),
          ...asks(["s3:PutObject"], bundle("tables/dag_run.csv.gz")),
          ...asks(["s3:DeleteObject", "s3:DeleteObjectVersion"], bundle("manifest.json")),
          ask("s3:ListBucket", s3(w.migrationBucket)),
          ask("s3:ListBucket", s3(w.migrationBucket), { "s3:prefix": "" }),
          ask("s3:ListBucket", s3(w.migrationBucket), { "s3:prefix": "elsewhere/" }),
          ask("kms:Encrypt", w.migrationKey, viaS3),
          // The task-log copy runs as the deployer: the target's role reads no log.
          ask("logs:GetLogEvents", stream),
          ask("logs:DescribeLogStreams", SOURCE_TASK_LOGS),
          ask("logs:PutLogEvents", stream),
          ask("logs:DeleteLogGroup", SOURCE_TASK_LOGS),
        ],
        "import grant",
      );
    });

    it("reaches nothing outside the bundle and the key, and the key only through S3", () => {
      assertReachesNoneOf(
        w,
        doc("importGrant"),
        [
          s3(w.migrationBucket, "elsewhere/tables/connection.csv.gz"),
          s3(w.migrationBucket, "import-report.json"),
          s3(w.dagBucket, "dags/etl.py"),
          s3(SOURCE_BUCKET, "dags/etl.py"),
          s3("someone-elses-bucket", `${PREFIX}/exp-1/manifest.json`),
          OTHER_KEY,
          `${TARGET_TASK_LOGS}:log-stream:x`,
          logGroupArn(`airflow-${SOURCE.name}-Scheduler`),
          `${logGroupArn("airflow-someone-elses-env-Task")}:log-stream:x`,
        ],
        "import grant",
      );
      assertDoesNotAllow(
        doc("importGrant"),
        [ask("kms:Decrypt", w.migrationKey), ask("kms:Decrypt", w.migrationKey, viaSqs)],
        "import grant",
      );
    });
  });

  describe("the migration bucket's policy", () => {
    const object = () => s3(w.migrationBucket, `${PREFIX}/exp-1/tables/variable.csv.gz`);
    const put = (context: Record<string, string>) => ask("s3:PutObject", object(), context);
    const tls = { "aws:SecureTransport": "true" };
    const withMigrationKey = () => ({
      ...tls,
      "s3:x-amz-server-side-encryption": "aws:kms",
      "s3:x-amz-server-side-encryption-aws-kms-key-id": w.migrationKey,
    });

    it("grants nothing: access to the bundle comes from the grants alone", () => {
      assertOnlyDenies(doc("migrationBucket"), "migration bucket policy");
    });

    it("denies every request over plain HTTP, on the bucket and its objects", () => {
      const http = { "aws:SecureTransport": "false" };
      assertDenies(
        doc("migrationBucket"),
        [
          ...asks(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], object(), http),
          ...asks(["s3:ListBucket", "s3:PutBucketPolicy"], s3(w.migrationBucket), http),
        ],
        "migration bucket policy",
      );
    });

    it("denies a write encrypted other than with the migration key (AES256, another key, SSE-KMS naming none)", () => {
      assertDenies(
        doc("migrationBucket"),
        [
          put({ ...tls, "s3:x-amz-server-side-encryption": "AES256" }),
          put({ ...withMigrationKey(), "s3:x-amz-server-side-encryption-aws-kms-key-id": OTHER_KEY }),
          put({ ...tls, "s3:x-amz-server-side-encryption": "aws:kms" }),
        ],
        "migration bucket policy",
      );
    });

    it("lets through what the migration does: writes under the migration key, reads and lists over TLS", () => {
      assertDoesNotDeny(
        doc("migrationBucket"),
        [
          put(withMigrationKey()),
          ask("s3:GetObject", object(), tls),
          ask("s3:ListBucket", s3(w.migrationBucket), { ...tls, "s3:prefix": `${PREFIX}/` }),
        ],
        "migration bucket policy",
      );
    });
  });

  describe("the DAG bucket's policy", () => {
    it("grants nothing, denies every request over plain HTTP and lets TLS through", () => {
      const dags = s3(w.dagBucket, "dags/daily_sales_report.py");
      assertOnlyDenies(doc("dagBucket"), "DAG bucket policy");
      const http = { "aws:SecureTransport": "false" };
      assertDenies(
        doc("dagBucket"),
        [...asks(["s3:GetObject", "s3:PutObject"], dags, http), ask("s3:ListBucket", s3(w.dagBucket), http)],
        "DAG bucket policy",
      );
      const tls = { "aws:SecureTransport": "true" };
      assertDoesNotDeny(
        doc("dagBucket"),
        [
          ask("s3:GetObject", dags, tls),
          ask("s3:PutObject", dags, tls),
          ask("s3:ListBucket", s3(w.dagBucket), tls),
        ],
        "DAG bucket policy",
      );
    });
  });

  describe("the web UI login policies (webUiAccess)", () => {
    it("let each principal open the target's UI as its own Airflow role, and as no other role or environment", () => {
      const login = (env: string, role: string) =>
        ask("airflow:CreateWebLoginToken", airflowRoleArn(env, role));
      assertAllows(doc("webUiAnalysts"), [login(TARGET, "Viewer")], "Analysts' login");
      assertAllows(doc("webUiDataEngineers"), [login(TARGET, "Op")], "DataEngineers' login");
      for (const which of ["webUiAnalysts", "webUiDataEngineers"] as const) {
        assertDoesNotAllow(
          doc(which),
          [
            login(TARGET, "Admin"),
            login(TARGET, "User"),
            login(SOURCE.name, "Viewer"),
            login(SOURCE.name, "Op"),
            ask("airflow:InvokeRestApi", airflowRoleArn(TARGET, "Viewer")),
            ask("airflow:CreateCliToken", envArn(TARGET)),
          ],
          which,
        );
      }
    });
  });

  describe("the deployer policy (a stack output)", () => {
    const stackRole = `arn:aws:iam::${ACCOUNT}:role/mwaa-migration/dev-migration-target-execution-role-1a2b3c`;
    const toMwaa = { "iam:PassedToService": "airflow.amazonaws.com" };
    const bundle = (key: string) => s3(w.migrationBucket, `${PREFIX}/exp-1/${key}`);
    const sourceDags = (key: string) => s3(SOURCE_BUCKET, `dags/${key}`);
    const targetDags = (key: string) => s3(w.dagBucket, `dags/${key}`);
    const sourceGroup = `airflow-${SOURCE.name}-Task`;
    const sourceStream = `${SOURCE_TASK_LOGS}:log-stream:dag_id=etl/run_id=scheduled__2024-05-01T00_00_00+00_00/task_id=load/attempt=1.log`;
    const targetStream = `${TARGET_TASK_LOGS}:log-stream:dag_id=etl/run_id=scheduled__2024-05-01T00_00_00+00_00/task_id=load/attempt=1.log`;
    let purging: Written;

    before(async () => {
      purging = written(
        await runStackWithOutputs({ ...loadDevConfig(), "mwaa-migration:purgeBundlesOnDelete": "true" }),
      );
    });

    it("lets the deployer read both environments, manage the target, reach Airflow as Admin, pass the target's role and attach the grants", () => {
      assertAllows(
        doc("deployer"),
        [
          ask("airflow:GetEnvironment", envArn(TARGET)),
          ask("airflow:GetEnvironment", envArn(SOURCE.name)),
          ...asks(
            ["airflow:CreateEnvironment", "airflow:UpdateEnvironment", "airflow:DeleteEnvironment"],
            envArn(TARGET),
          ),
          ...asks(["airflow:InvokeRestApi", "airflow:CreateWebLoginToken"], airflowRoleArn(TARGET, "Admin")),
          ask("airflow:InvokeRestApi", airflowRoleArn(SOURCE.name, "Admin")),
          ask("airflow:CreateCliToken", envArn(TARGET)),
          ask("airflow:CreateCliToken", envArn(SOURCE.name)),
          ask("iam:PassRole", stackRole, toMwaa),
          ...asks(["iam:PutRolePolicy", "iam:DeleteRolePolicy"], stackRole),
          ...asks(["iam:PutRolePolicy", "iam:DeleteRolePolicy"], SOURCE.executionRoleArn),
        ],
        "deployer policy",
      );
    });

    it("delivers, reads back and removes the migration DAGs in each side's DAG folder, and nothing else there", () => {
      assertAllows(
        doc("deployer"),
        [
          ...asks(["s3:PutObject", "s3:DeleteObject"], sourceDags("mwaa_migration_export.py")),
          // A run reads its staged DAG back (HeadObject) to trigger it without delivering it again.
          ask("s3:GetObject", sourceDags("mwaa_migration_export.py")),
          ask("s3:GetObject", targetDags("mwaa_migration/importer.py")),
          ...asks(
            ["s3:PutObject", "s3:DeleteObject"],
            sourceDags("mwaa_migration/contract_data/bundle.json"),
          ),
          ...asks(["s3:PutObject", "s3:DeleteObject"], sourceDags("mwaa_migration/.airflowignore")),
          ...asks(["s3:PutObject", "s3:DeleteObject"], targetDags("mwaa_migration_import.py")),
          ...asks(["s3:PutObject", "s3:DeleteObject"], targetDags("mwaa_migration/importer.py")),
        ],
        "deployer policy",
      );
      assertDoesNotAllow(
        doc("deployer"),
        [
          ...asks(["s3:PutObject", "s3:DeleteObject", "s3:GetObject"], sourceDags("etl.py")),
          ...asks(["s3:PutObject", "s3:DeleteObject"], targetDags("daily_sales_report.py")),
          ...asks(["s3:PutObject", "s3:DeleteObject"], targetDags("mwaa_migration_export.py")),
          ...asks(["s3:PutObject", "s3:DeleteObject"], sourceDags("mwaa_migration_import.py")),
          ...asks(["s3:PutObject", "s3:DeleteObject"], s3(SOURCE_BUCKET, "requirements.txt")),
          ...asks(["s3:PutObject", "s3:DeleteObject"], s3(w.dagBucket, "plugins.zip")),
          ...asks(["s3:PutObject", "s3:GetObject"], s3(SOURCE_BUCKET, "mwaa_migration_export.py")),
          ask("s3:GetObject", targetDags("mwaa_migration_export.py")),
          ask("s3:ListBucket", s3(SOURCE_BUCKET), { "s3:prefix": "dags/" }),
          ask("s3:DeleteObjectVersion", sourceDags("mwaa_migration_export.py")),
        ],
        "deployer policy",
      );
    });

    it("reads the bundle's manifest and report, and the streams the log copy needs, never its variables or connections", () => {
      assertAllows(
        doc("deployer"),
        [
          ask("s3:GetObject", bundle("manifest.json")),
          ask("s3:GetObject", bundle("import-report.json")),
          ask("s3:GetObject", bundle("tables/task_instance.csv.gz")),
          ask("s3:GetObject", bundle("tables/dag_run.csv.gz")),
          ask("kms:Decrypt", w.migrationKey, viaS3),
          ask("s3:ListBucket", s3(w.migrationBucket), {
            "s3:prefix": `${PREFIX}/task-log-copies/${sourceGroup}/`,
          }),
        ],
        "deployer policy",
      );
      assertDoesNotAllow(
        doc("deployer"),
        [
          ask("s3:GetObject", bundle("tables/connection.csv.gz")),
          ask("s3:GetObject", bundle("tables/variable.csv.gz")),
          ask("s3:GetObject", bundle("tables/xcom.csv.gz")),
          ask("s3:GetObject", s3(w.migrationBucket, "elsewhere/exp-1/manifest.json")),
          ...asks(["s3:PutObject", "s3:DeleteObject"], bundle("manifest.json")),
          ...asks(["s3:PutObject", "s3:DeleteObject"], bundle("import-report.json")),
          ask("s3:PutObject", bundle("tables/task_instance.csv.gz")),
          ask("kms:Decrypt", w.migrationKey),
          ask("kms:Decrypt", w.migrationKey, viaSqs),
          ask("kms:Encrypt", w.migrationKey, viaS3),
          ask("s3:ListBucket", s3(w.migrationBucket)),
          ask("s3:ListBucket", s3(w.migrationBucket), { "s3:prefix": "" }),
          ask("s3:ListBucket", s3(w.migrationBucket), { "s3:prefix": "elsewhere/" }),
        ],
        "deployer policy",
      );
    });

    it("copies task logs from the source's task log group into the target's, archiving and recording under the prefix", () => {
      assertAllows(
        doc("deployer"),
        [
          ask("logs:GetLogEvents", sourceStream),
          ask("logs:DescribeLogStreams", SOURCE_TASK_LOGS),
          ask("logs:GetLogEvents", targetStream),
          ask("logs:DescribeLogStreams", TARGET_TASK_LOGS),
          ask("logs:CreateLogStream", targetStream),
          ask("logs:PutLogEvents", targetStream),
          ask("logs:DescribeLogGroups", "*"),
          ask(
            "s3:PutObject",
            bundle(`task-logs/${sourceGroup}/dag_id=etl/run_id=r/task_id=load/attempt=1.log.jsonl.gz`),
          ),
          ask(
            "s3:PutObject",
            s3(w.migrationBucket, `${PREFIX}/task-log-copies/${sourceGroup}/dag_id=etl/attempt=1.log`),
          ),
          ask("kms:GenerateDataKey", w.migrationKey, viaS3),
        ],
        "deployer policy",
      );
      assertDoesNotAllow(
        doc("deployer"),
        [
          ask("logs:CreateLogStream", sourceStream),
          ask("logs:PutLogEvents", sourceStream),
          ...asks(
            ["logs:DeleteLogStream", "logs:DeleteLogGroup", "logs:PutRetentionPolicy"],
            TARGET_TASK_LOGS,
          ),
          ask("logs:GetLogEvents", `${logGroupArn(`airflow-${SOURCE.name}-Scheduler`)}:log-stream:x`),
          ask("logs:PutLogEvents", `${logGroupArn(`airflow-${TARGET}-Worker`)}:log-stream:x`),
          ask("logs:GetLogEvents", `${logGroupArn("airflow-someone-elses-env-Task")}:log-stream:x`),
          ask("s3:PutObject", bundle("task-logs/airflow-someone-elses-env-Task/x.jsonl.gz")),
          ask(
            "s3:PutObject",
            s3(w.migrationBucket, `${PREFIX}/task-log-copies/airflow-someone-elses-env-Task/x`),
          ),
          ask("kms:GenerateDataKey", w.migrationKey),
        ],
        "deployer policy",
      );
    });

    it("deletes from the migration bucket only with purgeBundlesOnDelete, and then only under the prefix", () => {
      assertDoesNotAllow(
        doc("deployer"),
        [ask("s3:DeleteObject", bundle("manifest.json"))],
        "deployer policy",
      );
      const withPurge = doc("deployer", purging);
      assertAllows(
        withPurge,
        [
          ...asks(["s3:DeleteObject"], bundle("manifest.json")),
          ask("s3:DeleteObject", bundle("tables/connection.csv.gz")),
          ask("s3:ListBucket", s3(purging.migrationBucket), { "s3:prefix": `${PREFIX}/exp-1/` }),
        ],
        "deployer policy with purgeBundlesOnDelete",
      );
      assertDoesNotAllow(
        withPurge,
        [
          ask("s3:DeleteObject", s3(purging.migrationBucket, "elsewhere/exp-1/manifest.json")),
          ask("s3:DeleteObjectVersion", bundle("manifest.json")),
          ask("s3:GetObject", bundle("tables/connection.csv.gz")),
          ask("s3:DeleteBucket", s3(purging.migrationBucket)),
        ],
        "deployer policy with purgeBundlesOnDelete",
      );
    });

    it("never changes the source environment, passes no role to another service, and touches no other role", () => {
      for (const deployer of [doc("deployer"), doc("deployer", purging)]) {
        assertNoWildcardAllows(deployer.Statement, "deployer policy");
        // Written out from the deployer's purpose, not read from the table it bounds.
        assertActionsWithin(
          deployer,
          [
            "airflow:*",
            "iam:PassRole",
            "iam:PutRolePolicy",
            "iam:DeleteRolePolicy",
            "iam:GetRolePolicy",
            "s3:PutObject",
            "s3:DeleteObject",
            "s3:GetObject",
            "s3:ListBucket",
            "kms:Decrypt",
            "kms:GenerateDataKey",
            "logs:GetLogEvents",
            "logs:DescribeLogStreams",
            "logs:DescribeLogGroups",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            // The dev stack's webUiAccess maps a group and a permission set (scoped to them below).
            "iam:PutGroupPolicy",
            "iam:DeleteGroupPolicy",
            "iam:GetGroupPolicy",
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
          "deployer policy",
        );
      }
      assertDoesNotAllow(
        doc("deployer"),
        [
          ...asks(
            ["airflow:UpdateEnvironment", "airflow:DeleteEnvironment", "airflow:TagResource"],
            envArn(SOURCE.name),
          ),
          ask("iam:PassRole", stackRole),
          ask("iam:PassRole", stackRole, { "iam:PassedToService": "ec2.amazonaws.com" }),
          ask("iam:PassRole", SOURCE.executionRoleArn, toMwaa),
          ask("iam:AttachRolePolicy", stackRole),
        ],
        "deployer policy",
      );
      assertReachesNoneOf(
        w,
        doc("deployer", purging),
        [
          envArn("someone-elses-env"),
          airflowRoleArn("someone-elses-env", "Admin"),
          `arn:aws:iam::${ACCOUNT}:role/Admin`,
          `arn:aws:iam::${ACCOUNT}:role/service-role/AmazonMWAA-someone-elses-env-Zz9`,
          `arn:aws:iam::${ACCOUNT}:group/Admins`,
          `arn:aws:iam::${ACCOUNT}:user/alice`,
          `arn:aws:iam::${ACCOUNT}:policy/AdminEverything`,
          `arn:aws:iam::${ACCOUNT}:policy/${TARGET}-web-ui-SomeoneElse`,
          s3("someone-elses-bucket", `${PREFIX}/exp-1/manifest.json`),
          s3("someone-elses-bucket", "dags/mwaa_migration_export.py"),
          s3("someone-elses-bucket"),
          s3(SOURCE_BUCKET, "dags/etl.py"),
          s3(purging.migrationBucket, "elsewhere/exp-1/manifest.json"),
          OTHER_KEY,
          logGroupArn("airflow-someone-elses-env-Task"),
          `${logGroupArn("airflow-someone-elses-env-Task")}:log-stream:x`,
        ],
        "deployer policy",
        UNSCOPABLE_ACTIONS,
      );
    });

    it("reaches Airflow only as Admin", () => {
      assertDoesNotAllow(
        doc("deployer"),
        [airflowRoleArn(TARGET, "Op"), airflowRoleArn(SOURCE.name, "User")].map((r) =>
          ask("airflow:InvokeRestApi", r),
        ),
        "deployer policy",
      );
    });
  });
});
