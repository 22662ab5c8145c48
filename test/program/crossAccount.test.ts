/**
 * A target in another account and region (targetRoleArn, targetRegion), under mocks: which resources the
 * target's own AWS provider builds, what the migration bucket's and key's policies let the source's role do
 * across accounts, and how the phases reach each side.
 */
import { strict as assert } from "assert";
import { MOCK_ACCOUNT } from "../support/awsMocks";
import { loadDevConfig, type RecordedResource, runStackWithOutputs } from "../support/stackUnderMocks";

const TARGET_ACCOUNT = "210987654321";
const TARGET_ROLE = `arn:aws:iam::${TARGET_ACCOUNT}:role/mwaa-migration-deployer`;
const SOURCE_ROLE = `arn:aws:iam::${MOCK_ACCOUNT}:role/service-role/AmazonMWAA-legacy-airflow-x1Yz9Q`;

const crossAccountConfig = (stage: string) => ({
  ...loadDevConfig(),
  "mwaa-migration:stage": stage,
  "mwaa-migration:targetRoleArn": TARGET_ROLE,
  "mwaa-migration:targetRegion": "eu-west-1",
  "mwaa-migration:webUiAccess": JSON.stringify([
    { principal: `arn:aws:iam::${TARGET_ACCOUNT}:group/Analysts`, airflowRole: "Viewer" },
  ]),
});

const one = (resources: RecordedResource[], type: string, name?: RegExp) => {
  const found = resources.filter((r) => r.type === type && (!name || name.test(r.name)));
  assert.equal(found.length, 1, `one ${type} ${name ?? ""}, found ${found.map((r) => r.name).join(", ")}`);
  return found[0];
};

/** The resources whose AWS calls go through the given provider (by its URN), by type. */
const typesOn = (resources: RecordedResource[], providerUrn: string | undefined) =>
  new Set(
    resources
      .filter(
        (r) =>
          r.type.startsWith("aws:") &&
          (r.provider?.split("::").slice(0, -1).join("::") ?? undefined) === providerUrn,
      )
      .map((r) => r.type),
  );

describe("a target in another account and region (mocks)", function () {
  this.timeout(300_000);
  let bulk: { resources: RecordedResource[]; outputs: Record<string, unknown> };
  let provider: RecordedResource;

  before(async () => {
    bulk = await runStackWithOutputs(crossAccountConfig("bulk"));
    provider = one(bulk.resources, "pulumi:providers:aws");
  });

  it("declares one AWS provider for the target's side: its region and the role it assumes", () => {
    assert.equal(provider.inputs.region, "eu-west-1");
    // A provider's structured inputs reach the engine as JSON text.
    assert.deepEqual(JSON.parse(provider.inputs.assumeRoles), [
      { roleArn: TARGET_ROLE, sessionName: "mwaa-migration" },
    ]);
  });

  it("builds everything of the target's side through it, and grants the source's role through the default", () => {
    const onTarget = typesOn(bulk.resources, provider.urn);
    for (const type of [
      "aws:mwaa/environment:Environment",
      "aws:iam/role:Role",
      "aws:s3/bucket:Bucket",
      "aws:kms/key:Key",
      "aws:s3/bucketPolicy:BucketPolicy",
      "aws:ec2/securityGroup:SecurityGroup",
    ])
      assert.ok(onTarget.has(type), `${type} is built in the target's account`);
    const grants = bulk.resources.filter(
      (r) => r.type === "aws:iam/rolePolicy:RolePolicy" && /-grants-/.test(r.name),
    );
    const byName = Object.fromEntries(grants.map((g) => [g.name.replace(/.*-grants-/, ""), g.provider]));
    assert.equal(byName["source-export"], undefined, "the export grant stays in the source's account");
    assert.ok(
      byName["target-import"]?.startsWith(provider.urn),
      "the import grant goes on the target's role",
    );
    const environment = one(bulk.resources, "aws:mwaa/environment:Environment", /-target-environment$/);
    const source = one(bulk.resources, "aws:mwaa/environment:Environment", /-source-mwaa$/);
    assert.equal(source.provider, undefined, "the source is read with the stack's own credentials");
    assert.match(
      String(bulk.outputs.targetEnvironmentArn),
      new RegExp(`:airflow:eu-west-1:${TARGET_ACCOUNT}:`),
    );
    assert.equal(environment.inputs.name, "airflow-2-11");
  });

  it("lets the source's role write the bundle, and only that, through the bucket's and the key's policies", () => {
    const bucketPolicy = JSON.parse(
      one(bulk.resources, "aws:s3/bucketPolicy:BucketPolicy", /-bucket-policy$/).inputs.policy,
    );
    const writer = bucketPolicy.Statement.filter((s: { Principal?: unknown }) =>
      JSON.stringify(s.Principal ?? "").includes(SOURCE_ROLE),
    );
    assert.deepEqual(
      writer.map((s: { Sid: string; Effect: string; Action: string[]; Resource: string }) => [
        s.Sid,
        s.Effect,
        s.Action,
        s.Resource,
      ]),
      [
        [
          "SourceRoleWriteExportBundle",
          "Allow",
          ["s3:PutObject", "s3:AbortMultipartUpload"],
          `arn:aws:s3:::${String(bulk.outputs.migrationBucketName)}/migration/*`,
        ],
      ],
    );
    // The bucket's denials still hold for every principal, the source's role included.
    assert.ok(bucketPolicy.Statement.some((s: { Sid: string }) => s.Sid === "DenyPutWithOtherKey"));

    const keyPolicy = JSON.parse(one(bulk.resources, "aws:kms/key:Key").inputs.policy);
    assert.deepEqual(keyPolicy.Statement[0], {
      Sid: "KeyAccountManagesThroughIam",
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${TARGET_ACCOUNT}:root` },
      Action: ["kms:*"],
      Resource: "*",
    });
    assert.deepEqual(keyPolicy.Statement.slice(1), [
      {
        Sid: "SourceRoleEncryptWithMigrationKey",
        Effect: "Allow",
        Principal: { AWS: SOURCE_ROLE },
        Action: ["kms:GenerateDataKey", "kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"],
        Resource: "*",
        Condition: { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } },
      },
    ]);
  });

  it("has the phases reach the source with the default credentials and the target and bundle as the role", () => {
    const work = (type: string) => one(bulk.resources, `pulumi-nodejs:dynamic/mwaa-migration:${type}`);
    const exported = work("MetadataExport");
    assert.deepEqual(exported.inputs.airflow, {
      kind: "mwaa",
      environmentName: "legacy-airflow",
      airflowVersion: "2.8.1",
      region: "us-east-1",
    });
    assert.equal(exported.inputs.region, "eu-west-1", "the bundle is in the target's region");
    assert.equal(exported.inputs.bundleAssumeRoleArn, TARGET_ROLE);
    const imported = work("MetadataImport");
    assert.deepEqual(imported.inputs.airflow, {
      kind: "mwaa",
      environmentName: "airflow-2-11",
      airflowVersion: "2.11.0",
      assumeRoleArn: TARGET_ROLE,
      region: "eu-west-1",
    });
    assert.equal(imported.inputs.bundleAssumeRoleArn, TARGET_ROLE);
    assert.deepEqual(imported.inputs.taskLogsSourceAccess, { region: "us-east-1" });
    assert.match(imported.inputs.taskLogs.sourceLogGroup, new RegExp(`:us-east-1:${MOCK_ACCOUNT}:`));
    assert.match(imported.inputs.taskLogs.targetLogGroup, new RegExp(`:eu-west-1:${TARGET_ACCOUNT}:`));
  });

  it("names each environment in its own account in the deployer policy, and lets it assume the role", () => {
    const statements = JSON.parse(String(bulk.outputs.deployerPolicy)).Statement as {
      Sid: string;
      Action: string[];
      Resource: string | string[];
    }[];
    const sid = (name: string) => statements.find((s) => s.Sid === name)!;
    assert.deepEqual(sid("AssumeTargetRole").Action, ["sts:AssumeRole"]);
    assert.equal(sid("AssumeTargetRole").Resource, TARGET_ROLE);
    assert.deepEqual(sid("ReadEnvironments").Resource, [
      `arn:aws:airflow:eu-west-1:${TARGET_ACCOUNT}:environment/airflow-2-11`,
      `arn:aws:airflow:us-east-1:${MOCK_ACCOUNT}:environment/legacy-airflow`,
    ]);
  });

  it("tells a self-managed source's owner which identity may write a bundle into the target's account", async () => {
    const config: Record<string, string> = {
      ...crossAccountConfig("bulk"),
      "mwaa-migration:sourceAirflowUrl": "https://airflow.corp.internal",
      "mwaa-migration:sourceAirflowUsername": "migration",
      "mwaa-migration:sourceAirflowPassword": "s3cret",
      "mwaa-migration:sourceAirflowVersion": "2.10.3",
      "mwaa-migration:sourceDagsLocation": "s3://corp-airflow/dags",
    };
    delete config["mwaa-migration:sourceEnvironmentName"];
    const { logs } = await runStackWithOutputs(config);
    assert.ok(
      logs.some(
        (l) =>
          l.severity === "warning" &&
          /needs the exportGrantPolicy output and must be of that account/.test(l.message),
      ),
      logs.map((l) => l.message).join("\n"),
    );
  });

  it("keeps a one-account stack as it was: no second provider, no resource policy for the source's role", async () => {
    const { resources } = await runStackWithOutputs({ ...loadDevConfig(), "mwaa-migration:stage": "bulk" });
    assert.equal(resources.filter((r) => r.type === "pulumi:providers:aws").length, 0);
    assert.equal(one(resources, "aws:kms/key:Key").inputs.policy, undefined);
    const bucketPolicy = one(resources, "aws:s3/bucketPolicy:BucketPolicy", /-bucket-policy$/).inputs.policy;
    assert.doesNotMatch(bucketPolicy, /SourceRole/);
  });
});
