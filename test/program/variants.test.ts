import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "fs";
import { convertPipelineFolder } from "../../datapipeline/folder";
import { parseConversionOptions } from "../../datapipeline/options";
import { readZip } from "../../providers/framework/zip";
import { interfaceEndpointServices } from "../../rules/network";
import { loadFixture } from "../../datapipeline/fixtures/load";
import { KNOWN_SUBNETS } from "../support/awsMocks";
import { startDataPipelineStub } from "../support/dataPipelineStub";
import { StackRun, loadDevConfig, runStackWithOutputs } from "../support/stackUnderMocks";

const created = (run: StackRun, type: string) => run.resources.filter((r) => r.type === type && !r.read);
const environment = (run: StackRun) => created(run, "aws:mwaa/environment:Environment")[0].inputs;

/** The dev stack aimed at Airflow 3.0.6 (without a requirements.txt, whose constraint is for 2.11.0). */
const toAirflow3From = (sourceVersion: string) =>
  runStackWithOutputs(
    {
      ...loadDevConfig(),
      "mwaa-migration:targetAirflowVersion": "3.0.6",
      "mwaa-migration:requirementsFile": "",
      // The environment alone: whether history can move to 3.x is the versions table's to say.
      "mwaa-migration:historyImport": "false",
    },
    { source: { airflowVersion: sourceVersion } },
  );

describe("stack variants", () => {
  it("without cloning, uses the documented defaults and nothing of the source's settings", async () => {
    const run = await runStackWithOutputs({
      ...loadDevConfig(),
      "mwaa-migration:cloneSourceSettings": "false",
      "mwaa-migration:environmentClass": "",
      "mwaa-migration:maxWorkers": "0",
      "mwaa-migration:webserverAccessMode": "",
      "mwaa-migration:weeklyMaintenanceWindowStart": "",
    });
    const env = environment(run);
    assert.equal(env.webserverAccessMode, "PRIVATE_ONLY");
    assert.equal(env.weeklyMaintenanceWindowStart, "SUN:03:00");
    assert.equal(env.schedulers, 2);
    assert.equal(env.environmentClass, "mw1.small");
    assert.equal(env.minWorkers, 1);
    assert.equal(env.maxWorkers, 10);
    assert.equal(env.loggingConfiguration.webserverLogs.logLevel, "WARNING");
    assert.equal(env.airflowConfigurationOptions["secrets.backend"], undefined);
    assert.equal(
      env.airflowConfigurationOptions["core.default_timezone"],
      "utc",
      "explicit options still apply",
    );
  });

  it("from a source MWAA could upgrade in place (2.11.0 to 3.0.6), says so and still builds the new environment", async () => {
    const run = await toAirflow3From("2.11.0");
    assert.equal(environment(run).airflowVersion, "3.0.6");
    assert.match(
      run.outputs.upgradePath,
      /MWAA can upgrade 2\.11\.0 to 3\.0\.6 in place; a new environment keeps the source/,
    );
    assert.ok(
      run.logs.some(
        (l) => l.severity === "info" && /^upgrade path: MWAA can upgrade 2\.11\.0/.test(l.message),
      ),
      "the preview log explains the choice",
    );
  });

  it("from 2.10.3 to 3.0.6, reports that only a new environment gets there", async () => {
    const run = await toAirflow3From("2.10.3");
    assert.match(run.outputs.upgradePath, /in place only from 2\.11\.0; 2\.10\.3 needs a new environment/);
  });

  it("on Airflow 3.2 in a shared VPC: public and private webserver, webserver counts, graceful worker replacement, endpoints of the customer", async () => {
    const subnets = ["subnet-0aaa1111bbbb2222c", "subnet-0ddd3333eeee4444f"];
    const run = await runStackWithOutputs({
      ...loadDevConfig(),
      "mwaa-migration:targetAirflowVersion": "3.2.1",
      "mwaa-migration:requirementsFile": "",
      "mwaa-migration:historyImport": "false",
      "mwaa-migration:webserverAccessMode": "PUBLIC_AND_PRIVATE",
      "mwaa-migration:minWebservers": "3",
      "mwaa-migration:maxWebservers": "5",
      "mwaa-migration:workerReplacementStrategy": "GRACEFUL",
      "mwaa-migration:endpointManagement": "CUSTOMER",
      "mwaa-migration:subnetIds": JSON.stringify(subnets),
    });
    const env = environment(run);
    assert.equal(env.airflowVersion, "3.2.1");
    assert.equal(env.webserverAccessMode, "PUBLIC_AND_PRIVATE");
    assert.equal(env.minWebservers, 3, "explicit over the source's 2");
    assert.equal(env.maxWebservers, 5, "explicit over the source's 3");
    assert.equal(env.workerReplacementStrategy, "GRACEFUL");
    assert.equal(env.endpointManagement, "CUSTOMER");
    assert.deepEqual(env.networkConfiguration.subnetIds, subnets);
  });

  it("on mw1.micro without cloning: one scheduler, webservers left to MWAA", async () => {
    const run = await runStackWithOutputs({
      ...loadDevConfig(),
      "mwaa-migration:cloneSourceSettings": "false",
      "mwaa-migration:environmentClass": "mw1.micro",
    });
    const env = environment(run);
    assert.equal(env.environmentClass, "mw1.micro");
    assert.equal(env.schedulers, 1, "the default follows the class");
    for (const key of ["minWebservers", "maxWebservers", "workerReplacementStrategy", "endpointManagement"]) {
      assert.ok(!(key in env), `${key} is MWAA's to default`);
    }
  });

  it("uses two given subnets and their VPC instead of building one", async () => {
    const subnets = ["subnet-0aaa1111bbbb2222c", "subnet-0ddd3333eeee4444f"];
    const run = await runStackWithOutputs({
      ...loadDevConfig(),
      "mwaa-migration:subnetIds": JSON.stringify(subnets),
    });
    assert.equal(created(run, "awsx:ec2:Vpc").length, 0);
    assert.deepEqual(environment(run).networkConfiguration.subnetIds, subnets);
    assert.equal(
      created(run, "aws:ec2/securityGroup:SecurityGroup")[0].inputs.vpcId,
      KNOWN_SUBNETS[subnets[0]].vpcId,
    );
  });

  it("with VPC endpoints, builds isolated subnets and the endpoints MWAA needs", async () => {
    const run = await runStackWithOutputs({
      ...loadDevConfig(),
      "mwaa-migration:networkEgress": "vpc-endpoints",
      // Without an internet route the dev requirements come as wheels (test/program/offlinePackages.test.ts).
      "mwaa-migration:requirementsFile": "",
    });
    const vpc = created(run, "awsx:ec2:Vpc")[0].inputs;
    assert.deepEqual(vpc.subnetSpecs, [{ type: "Isolated", name: "mwaa" }]);
    assert.equal(vpc.natGateways.strategy, "None");
    const endpoints = created(run, "aws:ec2/vpcEndpoint:VpcEndpoint");
    const services = endpoints.map((e) => e.inputs.serviceName);
    // Which services is network.ts's decision (tested there); here: every planned endpoint is built.
    assert.deepEqual(
      services.sort(),
      [...interfaceEndpointServices("us-east-1"), "com.amazonaws.us-east-1.s3"].sort(),
    );
    const s3 = endpoints.find((e) => e.inputs.serviceName.endsWith(".s3"))!;
    assert.equal(s3.inputs.vpcEndpointType, "Gateway");
    assert.equal(s3.inputs.routeTableIds.length, 2);
    const sgId = created(run, "aws:ec2/securityGroup:SecurityGroup")[0].id;
    for (const e of endpoints.filter((x) => x.inputs.vpcEndpointType === "Interface")) {
      assert.deepEqual(e.inputs.subnetIds, environment(run).networkConfiguration.subnetIds);
      assert.deepEqual(e.inputs.securityGroupIds, [sgId]);
    }
  });

  it("with a customer-managed key, encrypts the environment and its DAG bucket with it", async () => {
    const key = "arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b";
    const run = await runStackWithOutputs({ ...loadDevConfig(), "mwaa-migration:kmsKeyArn": key });
    assert.equal(environment(run).kmsKey, key);
    const dagsEncryption = created(
      run,
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    ).find((r) => r.name.endsWith("dags-encryption"))!;
    assert.deepEqual(dagsEncryption.inputs.rules[0].applyServerSideEncryptionByDefault, {
      sseAlgorithm: "aws:kms",
      kmsMasterKeyId: key,
    });
    const policy = JSON.parse(
      created(run, "aws:iam/rolePolicy:RolePolicy").find((r) => r.name.endsWith("execution-policy"))!.inputs
        .policy,
    );
    assert.equal(
      policy.Statement.find((s: { Sid: string }) => s.Sid === "EncryptionWithEnvironmentKey").Resource,
      key,
    );
  });

  it("from a self-managed Airflow: no MWAA read, no source grant, the export policy as an output", async () => {
    const config = { ...loadDevConfig() };
    delete config["mwaa-migration:sourceEnvironmentName"];
    const run = await runStackWithOutputs({
      ...config,
      "mwaa-migration:sourceAirflowUrl": "https://airflow.corp.internal",
      "mwaa-migration:sourceAirflowUsername": "migration",
      "mwaa-migration:sourceAirflowPassword": "s3cret",
      "mwaa-migration:sourceAirflowVersion": "2.10.3",
      "mwaa-migration:sourceDagsLocation": "s3://corp-airflow/dags",
    });
    assert.equal(
      run.resources.filter((r) => r.read && r.type === "aws:mwaa/environment:Environment").length,
      0,
    );
    const policies = created(run, "aws:iam/rolePolicy:RolePolicy").map((r) => r.name);
    assert.ok(!policies.some((n) => n.endsWith("source-export")));
    assert.ok(policies.some((n) => n.endsWith("target-import")));
    const exportPolicy = JSON.parse(run.outputs.exportGrantPolicy);
    assert.deepEqual(exportPolicy.Statement[0].Action, ["s3:PutObject", "s3:AbortMultipartUpload"]);
    const importPolicy = JSON.parse(
      created(run, "aws:iam/rolePolicy:RolePolicy").find((r) => r.name.endsWith("target-import"))!.inputs
        .policy,
    );
    assert.ok(!importPolicy.Statement.some((s: { Sid: string }) => s.Sid === "ReadSourceTaskLogs"));
    assert.equal(run.outputs.sourceAirflowVersion, "2.10.3");
    assert.match(
      run.outputs.upgradePath,
      /self-managed Airflow 2\.10\.3 moves to MWAA 2\.11\.0 only through a new environment/,
    );
    assert.ok(!JSON.stringify(run.outputs).includes("s3cret"), "the password never reaches an output");
  });

  it("expires bundles after the configured days, under the configured prefix the grants are scoped to", async () => {
    const run = await runStackWithOutputs({
      ...loadDevConfig(),
      "mwaa-migration:bundleExpirationDays": "7",
      "mwaa-migration:migrationPrefix": "exports/legacy",
    });
    const rule = created(run, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")[0].inputs
      .rules[0];
    assert.deepEqual(rule.filter, { prefix: "exports/legacy/" });
    assert.deepEqual(rule.expiration, { days: 7 });
    assert.deepEqual(rule.noncurrentVersionExpiration, { noncurrentDays: 7 });
    const exportPolicy = JSON.parse(run.outputs.exportGrantPolicy);
    assert.equal(
      exportPolicy.Statement[0].Resource,
      `arn:aws:s3:::${run.outputs.migrationBucketName}/exports/legacy/*`,
    );
  });

  it("uploads plugins.zip and pins its version when configured", async () => {
    const run = await runStackWithOutputs({
      ...loadDevConfig(),
      "mwaa-migration:pluginsZip": "test/support/fixtures/plugins.zip",
    });
    const env = environment(run);
    assert.equal(env.pluginsS3Path, "plugins.zip");
    const plugins = created(run, "aws:s3/bucketObjectv2:BucketObjectv2").find(
      (r) => r.inputs.key === "plugins.zip",
    )!;
    assert.equal(plugins.inputs.contentType, "application/zip");
    assert.match(env.pluginsS3ObjectVersion, /^[0-9a-f]{32}$/);
  });

  describe("an Airflow 3 history target", () => {
    const toAirflow3 = (stage: string) =>
      runStackWithOutputs({
        ...loadDevConfig(),
        "mwaa-migration:stage": stage,
        "mwaa-migration:targetAirflowVersion": "3.3.1",
        "mwaa-migration:requirementsFile": "",
        "mwaa-migration:pluginsZip": "test/support/fixtures/plugins.zip",
      });
    const uploadedPlugins = (run: StackRun) => {
      const object = created(run, "aws:s3/bucketObjectv2:BucketObjectv2").find(
        (r) => r.inputs.key === "plugins.zip",
      )!;
      return readZip(fs.readFileSync(object.inputs.source.file)).map((entry) => entry.name);
    };

    it("carries the migration plugin beside the user's plugins, and the bundle location it may read", async () => {
      for (const stage of ["prepare", "bulk", "cutover"]) {
        const run = await toAirflow3(stage);
        if (stage === "cutover") {
          // The import runs in the plugin: only the export DAG is staged before the pause.
          const staged = run.resources
            .filter((r) => r.type.endsWith(":MigrationDagStaging"))
            .map((r) => r.name);
          assert.deepEqual(staged, ["dev-migration-cutover-stage-export"]);
        }
        const names = uploadedPlugins(run);
        assert.ok(names.includes("mwaa_migration_plugin.py"), `${stage}: the plugin module`);
        assert.ok(names.includes("mwaa_migration/plugin_app.py"), `${stage}: the library beside it`);
        const user = readZip(fs.readFileSync("test/support/fixtures/plugins.zip")).map((e) => e.name);
        for (const name of user.filter((n) => n !== ".airflowignore"))
          assert.ok(names.includes(name), `${stage}: the user's ${name} is kept`);
        assert.equal(
          environment(run).airflowConfigurationOptions["mwaa_migration.bundle_location"],
          `s3://${run.outputs.migrationBucketName}/migration`,
          stage,
        );
      }
    });

    it("takes the plugin and its option out at complete, leaving the user's plugins.zip as it was", async () => {
      const run = await toAirflow3("complete");
      const user = readZip(fs.readFileSync("test/support/fixtures/plugins.zip")).map((e) => e.name);
      assert.deepEqual(uploadedPlugins(run), user);
      assert.equal(environment(run).airflowConfigurationOptions["mwaa_migration.bundle_location"], undefined);
    });

    it("ships nothing of the migration to an Airflow 2 target", async () => {
      const run = await runStackWithOutputs({
        ...loadDevConfig(),
        "mwaa-migration:stage": "bulk",
        "mwaa-migration:pluginsZip": "test/support/fixtures/plugins.zip",
      });
      assert.ok(!uploadedPlugins(run).includes("mwaa_migration_plugin.py"));
      assert.equal(environment(run).airflowConfigurationOptions["mwaa_migration.bundle_location"], undefined);
    });
  });

  it("converts the Data Pipeline definitions into DAGs under datapipeline/ and outputs what became of each", async () => {
    const run = await runStackWithOutputs({
      ...loadDevConfig(),
      "mwaa-migration:pipelineDefinitions": "datapipeline/fixtures",
      "mwaa-migration:pipelineActivationTime": "2027-01-04T00:00:00Z",
    });
    const definitions = fs.readdirSync("datapipeline/fixtures").filter((f) => f.endsWith(".json"));
    const conversion = run.outputs.pipelineConversion as { dagFile: string; definition: string }[];
    assert.deepEqual(conversion.map((p) => p.definition).sort(), definitions.sort());
    const keys = created(run, "aws:s3/bucketObjectv2:BucketObjectv2").map((r) => r.inputs.key);
    for (const p of conversion) assert.ok(keys.includes(`dags/${p.dagFile}`), p.dagFile);
    assert.ok(keys.includes("dags/daily_sales_report.py"), "the user's own DAGs stay beside them");
  });

  it("converts with the stack's converter choices: shell commands through ECS, a role's own connection", async () => {
    const run = await runStackWithOutputs({
      ...loadDevConfig(),
      "mwaa-migration:pipelineDefinitions": "datapipeline/fixtures",
      "mwaa-migration:pipelineActivationTime": "2027-01-04T00:00:00Z",
      "mwaa-migration:pipelineConversionOptions": JSON.stringify({
        shellRunner: "ecs",
        ecsCluster: "etl-shell",
        roleConnections: { DataPipelineDefaultRole: "aws_etl" },
      }),
    });
    // An uploaded string asset is recorded without its text: the parse check's file hashes stand for it.
    const expected = convertPipelineFolder("datapipeline/fixtures", "2.11.0", {
      activationTime: new Date("2027-01-04T00:00:00Z"),
      choices: parseConversionOptions(
        '{"shellRunner":"ecs","ecsCluster":"etl-shell","roleConnections":{"DataPipelineDefaultRole":"aws_etl"}}',
      ).choices,
    }).pipelines.find((p) => p.dagFile === "datapipeline/shell_staging.py");
    const content = expected?.content ?? "";
    const parseCheck = run.resources.find((r) => r.inputs.dagFiles !== undefined);
    assert.equal(
      (parseCheck?.inputs.dagFiles as Record<string, string>)["datapipeline/shell_staging.py"],
      crypto.createHash("sha256").update(content).digest("hex"),
      "the uploaded DAG is the one converted with the stack's choices",
    );
    assert.match(content, /EcsRunTaskOperator\(/);
    assert.match(content, /cluster="etl-shell"/);
    assert.match(content, /aws_conn_id="aws_etl"/);
    assert.doesNotMatch(content, /aws_conn_id="aws_default"/);
  });

  it("in a China region, names every resource in the aws-cn partition", async () => {
    const run = await runStackWithOutputs({
      ...loadDevConfig(),
      "aws:region": "cn-north-1",
      // The dev stack's principals are commercial ARNs, which a China target refuses (rules/webUiAccess.ts).
      "mwaa-migration:webUiAccess":
        '[{"principal":"arn:aws-cn:iam::123456789012:group/Analysts","airflowRole":"Viewer"}]',
    });
    // A dynamic resource's serialized provider is code, not a resource's name: left out.
    const inputs = run.resources.map(({ inputs: { __provider: _code, ...rest } }) => rest);
    const everything = JSON.stringify([inputs, run.outputs]);
    assert.doesNotMatch(everything, /arn:aws:/, "no ARN of the commercial partition");
    assert.match(everything, /arn:aws-cn:airflow:cn-north-1:\d+:role\/legacy-airflow\/Admin/);
    assert.match(everything, /arn:aws-cn:s3:::/);
  });
});

describe("Data Pipeline pipelines read from the account (pipelineIds)", function () {
  this.timeout(120_000);
  const PIPELINE = "df-0123456789ABCDEFGHIJ";
  let stub: Awaited<ReturnType<typeof startDataPipelineStub>>;
  before(async () => {
    stub = await startDataPipelineStub({
      [PIPELINE]: { name: "nightly-copy", definition: loadFixture("s3-copy-daily") },
    });
  });
  after(() => stub.stop());

  it("reads each pipeline at preview and uploads its DAG like a definition file's, with the deployer's read", async () => {
    const run = await runStackWithOutputs({
      ...loadDevConfig(),
      "mwaa-migration:pipelineIds": JSON.stringify([PIPELINE]),
    });
    assert.ok(stub.calls.includes(`DescribePipelines ${PIPELINE}`), stub.calls.join("; "));
    assert.ok(stub.calls.includes(`GetPipelineDefinition ${PIPELINE}`), stub.calls.join("; "));
    const conversion = run.outputs.pipelineConversion as { dagFile: string; definition: string }[];
    assert.deepEqual(
      conversion.map((p) => [p.definition, p.dagFile]),
      [[PIPELINE, "datapipeline/nightly_copy.py"]],
    );
    const keys = created(run, "aws:s3/bucketObjectv2:BucketObjectv2").map((r) => r.inputs.key);
    assert.ok(keys.includes("dags/datapipeline/nightly_copy.py"), keys.join(", "));
    const statements = JSON.parse(run.outputs.deployerPolicy as string).Statement as {
      Sid: string;
      Action: string[];
    }[];
    assert.deepEqual(statements.find((st) => st.Sid === "ReadDataPipelineDefinitions")?.Action, [
      "datapipeline:DescribePipelines",
      "datapipeline:GetPipelineDefinition",
    ]);
  });

  it("stops the preview on a pipeline it cannot read, naming the id, the reason and the statement", async () => {
    const missing = "df-MISSING0000000000000";
    await assert.rejects(
      runStackWithOutputs({ ...loadDevConfig(), "mwaa-migration:pipelineIds": JSON.stringify([missing]) }),
      (error: Error) => {
        assert.match(error.message, new RegExp(`pipelineIds: ${missing} could not be read`));
        assert.match(error.message, /not found/);
        assert.match(error.message, /ReadDataPipelineDefinitions/);
        return true;
      },
    );
  });

  it("has no read statement without pipeline ids", async () => {
    const run = await runStackWithOutputs(loadDevConfig());
    assert.doesNotMatch(run.outputs.deployerPolicy as string, /datapipeline:/);
  });
});
